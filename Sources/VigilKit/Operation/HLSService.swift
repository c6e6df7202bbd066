import Access
import Encode
import Foundation
import HLS
import MediaCore
import Record
import Synchronization

/// Live HLS muxers and HLS playlist sessions of the HTTP API.
///
/// A stream's muxer (`LiveHLS`) starts on the first playlist request and is attached to the
/// stream's fan-out (and, for G.711 streams, turns the Opus copy on); with no request for
/// `[http] hls_idle` it is detached and its memory goes. A session is what a playlist
/// request that passed the access check leaves behind: an unguessable id in every URI of
/// the playlists it gets, so that the parts and segments that follow are not checked again
/// (one check, and one token use, per playlist session — not per part).
final class HLSService: Sendable {
    /// Why a stream has no live HLS.
    enum Unavailable: Error, CustomStringConvertible {
        case notH264
        case playsFile

        var description: String {
            switch self {
            case .notH264: "HLS carries H.264; this stream is H.263"
            case .playsFile: "this stream plays a file; HLS is made only from live encoders"
            }
        }
    }

    struct Running: Sendable {
        let stream: VigilStream
        let muxer: LiveHLS
        var lastUsed: ContinuousClock.Instant
    }

    struct Session: Sendable {
        let path: String
        let permission: Permission
        var lastUsed: ContinuousClock.Instant
    }

    /// Sessions kept at most; the least recently used goes first.
    static let maximumSessions = 4096

    let settings: VigilSettings.HTTP.HLS
    private let running = Mutex<[ObjectIdentifier: Running]>([:])
    private let sessions = Mutex<[String: Session]>([:])
    private let started = Atomic<UInt64>(0)

    init(settings: VigilSettings.HTTP.HLS) {
        self.settings = settings
    }

    /// Muxers started since the daemon started, and running now.
    var muxersStarted: UInt64 { started.load(ordering: .relaxed) }
    var muxersRunning: Int { running.withLock { $0.count } }

    /// The stream's running muxer, started if it has none.
    func muxer(for stream: VigilStream, anchor: WallClockAnchor) -> Result<LiveHLS, Unavailable> {
        let key = ObjectIdentifier(stream)
        let now = ContinuousClock.now
        if let muxer = running.withLock({ table -> LiveHLS? in
            table[key]?.lastUsed = now
            return table[key]?.muxer
        }) {
            return .success(muxer)
        }
        let pipeline = stream.pipeline
        guard let encoder = pipeline.videoEncoder else { return .failure(.playsFile) }
        guard let h264 = encoder as? H264Encoder else { return .failure(.notH264) }
        let video = pipeline.encodedVideo
        let frameInterval = 1 / Double(max(1, video.frameRate))
        let keyFrameSeconds = Double(h264.settings.effectiveKeyFrameInterval) * frameInterval
        // Whole pictures per part: a part is cut on the first picture at least half an
        // interval short of the target, so at a steady rate none is longer than the target.
        // A part holds one picture at least: below 5 fps the target is the picture interval.
        let partTarget = max(settings.partTarget.seconds, frameInterval)
        let cutAfter = max(frameInterval / 2, partTarget - frameInterval / 2)
        let target = Int((max(settings.segmentDuration.seconds, keyFrameSeconds) - 1e-6).rounded(.up))
        let audio = pipeline.audioEncoder?.browserAudio
        let writer = SegmentWriter.Configuration(
            segmentDuration: settings.segmentDuration, partDuration: .seconds(cutAfter), width: video.width, height: video.height,
            audio: audio)
        let configuration = LiveHLS.Configuration(writer: writer, playlist: LivePlaylist(targetDuration: max(1, target), partTarget: partTarget))
        let candidate = LiveHLS(configuration: configuration, anchor: anchor, firstSequence: Self.firstSequence())
        let (muxer, fresh) = running.withLock { table -> (LiveHLS, Bool) in
            if let existing = table[key] { return (existing.muxer, false) }
            table[key] = Running(stream: stream, muxer: candidate, lastUsed: now)
            return (candidate, true)
        }
        if fresh {
            started.add(1, ordering: .relaxed)
            if audio?.track == AudioEncoders.opusCopyTrack { pipeline.audioEncoder?.demandCopy(true) }
            pipeline.output.attach(muxer)
            // The first segment starts on a key frame: ask for one now rather than wait for the next.
            encoder.submit(.forceKeyFrame)
        }
        return .success(muxer)
    }

    /// Parts made by the stream's running muxer; nil when none runs.
    func partsMade(for stream: VigilStream) -> UInt64? {
        running.withLock { $0[ObjectIdentifier(stream)]?.muxer }?.window.partsMade
    }

    /// Media sequence numbers of a new muxer start from the wall clock's seconds, so a
    /// player that outlived a muxer never takes a new segment for an old one of the same number.
    static func firstSequence() -> Int {
        Int((MediaClock.wallClockNanoseconds() / 1_000_000_000) % 100_000_000)
    }

    /// A request for `muxer` ended now (a blocking one may have waited seconds).
    func touch(_ muxer: LiveHLS, now: ContinuousClock.Instant = .now) {
        running.withLock { table in
            if let key = table.first(where: { $0.value.muxer === muxer })?.key { table[key]?.lastUsed = now }
        }
    }

    /// Closes muxers idle for `hls_idle` or whose stream is gone (a reload replaced it), and
    /// forgets sessions idle as long (at least a minute).
    func reap(streams: [VigilStream], now: ContinuousClock.Instant = .now) {
        let idle = Duration.nanoseconds(settings.idleTimeout.nanoseconds)
        let current = Set(streams.map(ObjectIdentifier.init))
        let closing = running.withLock { table -> [Running] in
            // A muxer with a request waiting on it is in use, however long ago it began.
            let gone = table.filter { !current.contains($0.key) || (now - $0.value.lastUsed > idle && $0.value.muxer.waiting == 0) }
            for key in gone.keys { table[key] = nil }
            return Array(gone.values)
        }
        for entry in closing { stop(entry) }
        let sessionIdle = max(idle, .seconds(60))
        sessions.withLock { table in table = table.filter { now - $0.value.lastUsed <= sessionIdle } }
    }

    /// Closes every muxer (the API stops).
    func stopAll() {
        let all = running.withLock { table -> [Running] in
            defer { table.removeAll() }
            return Array(table.values)
        }
        for entry in all { stop(entry) }
    }

    private func stop(_ entry: Running) {
        entry.stream.pipeline.output.detach(entry.muxer)
        if entry.muxer.configuration.writer.audio?.track == AudioEncoders.opusCopyTrack {
            entry.stream.pipeline.audioEncoder?.demandCopy(false)
        }
        entry.muxer.close()
    }

    /// A new session for `path`, allowed `permission` by the access check just made.
    func openSession(path: String, permission: Permission, now: ContinuousClock.Instant = .now) -> String {
        var random = SystemRandomNumberGenerator()
        let id = (0..<2).map { _ in String(format: "%016llx", random.next() as UInt64) }.joined()
        sessions.withLock { table in
            if table.count >= Self.maximumSessions, let oldest = table.min(by: { $0.value.lastUsed < $1.value.lastUsed }) {
                table[oldest.key] = nil
            }
            table[id] = Session(path: path, permission: permission, lastUsed: now)
        }
        return id
    }

    /// True when `id` is a session of `path` with `permission`; it counts as used.
    func useSession(_ id: String, path: String, permission: Permission, now: ContinuousClock.Instant = .now) -> Bool {
        sessions.withLock { table in
            guard let session = table[id], session.path == path, session.permission == permission else { return false }
            table[id]?.lastUsed = now
            return true
        }
    }

    var sessionCount: Int { sessions.withLock { $0.count } }
}
