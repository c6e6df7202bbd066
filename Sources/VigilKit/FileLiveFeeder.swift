import Foundation
import Logging
import MediaCore

/// Virtual live: a library file played as a stream's live source, without re-encoding. Its
/// units go to the stream's fan-out at the pace of the media clock, as an encoder's would, so
/// every viewer shares one channel (the hub) and joins at its next key frame.
///
/// Instants are moved onto the media clock: the file's start is `base`, and each loop starts
/// where the last one ended (when the longest track's last unit ends), so RTP timestamps and
/// sender reports run on without a jump and audio keeps its place beside the video. A unit
/// that would still start before the end of its track's previous one is left out, so no
/// track's time goes backwards.
final class FileLiveFeeder: Sendable {
    let name: String
    let loop: Bool
    private let open: @Sendable () throws -> any StoredMediaReader
    private let logger: Logger
    /// How long a sleep between units may be at most, so a stop is seen at once.
    static let napLimit: Int64 = 50_000_000

    init(name: String, loop: Bool, logger: Logger, open: @escaping @Sendable () throws -> any StoredMediaReader) {
        self.name = name
        self.loop = loop
        self.logger = logger
        self.open = open
    }

    /// Runs on the calling thread until `isStopping` says so, or the file ends without `loop`.
    func run(publish: (EncodedUnit, Int) -> Void, isStopping: () -> Bool) {
        let reader: any StoredMediaReader
        do {
            reader = try open()
        } catch {
            logger.error("virtual live: the file cannot be played", metadata: ["file": "\(name)", "error": "\(error)"])
            return
        }
        let length = max(reader.end - reader.start, 1_000_000)
        var base = MediaClock.now().nanoseconds + 100_000_000
        var trackEnds: [Int: Int64] = [:]
        var loops = 0
        while !isStopping() {
            do {
                guard try reader.seek(to: reader.start) != nil else { break }
                while !isStopping(), let stored = try reader.next() {
                    let due = base + (stored.decodeInstant - reader.start)
                    while !isStopping() {
                        let wait = due - MediaClock.now().nanoseconds
                        if wait <= 0 { break }
                        usleep(UInt32(min(wait, Self.napLimit) / 1000))
                    }
                    var unit = stored.unit
                    let instant = base + (unit.instant.nanoseconds - reader.start)
                    if let end = trackEnds[stored.track], instant < end, !unit.codec.isVideo { continue }
                    unit.instant = MediaInstant(nanoseconds: instant)
                    trackEnds[stored.track] = instant + unit.duration.nanoseconds
                    publish(unit, stored.track)
                }
            } catch {
                logger.error("virtual live: reading the file failed", metadata: ["file": "\(name)", "error": "\(error)"])
                return
            }
            loops += 1
            guard loop else { break }
            // The next loop starts when every track's last unit has ended (AAC audio runs a few
            // milliseconds past the video): both tracks move together, nothing overlaps.
            base = max(base + length, trackEnds.values.max() ?? base + length)
            logger.debug("virtual live: looped", metadata: ["file": "\(name)", "loops": "\(loops)"])
        }
    }
}
