import Foundation
import Logging
import MediaCore
import Record
import Serve
import Synchronization

/// What the streams' recorders share: the recording index under the state directory (opened
/// the first time a stream records), the leases that keep the cleaner off files in use, and
/// the one retention cleaner over every recording stream's bounds.
public final class RecordingService: Sendable {
    public let stateDirectory: String
    public let leases = SegmentLeases()
    let logger: Logger
    private let opened = Mutex<(index: RecordingIndex, cleaner: RetentionCleaner)?>(nil)

    /// The wall-clock anchor the sender reports use, so recorded times and SR times agree.
    let anchor: WallClockAnchor

    init(stateDirectory: String, anchor: WallClockAnchor, logger: Logger) {
        self.stateDirectory = stateDirectory
        self.anchor = anchor
        self.logger = logger
    }

    /// The index, if any stream has recorded in this process.
    public var index: RecordingIndex? { opened.withLock { $0?.index } }
    public var cleaner: RetentionCleaner? { opened.withLock { $0?.cleaner } }

    /// Where `stream`'s segments go: `[stream.record] path`, else
    /// `<state directory>/recordings/<path>` (a path's `/` become directories).
    public func directory(for stream: VigilSettings.Stream) -> String {
        if let path = stream.record.path { return path }
        return ((stateDirectory as NSString).appendingPathComponent("recordings") as NSString).appendingPathComponent(stream.path)
    }

    /// Opens the index and starts the cleaner the first time; throws a startup error naming
    /// the state directory.
    func openIndex() throws -> (index: RecordingIndex, cleaner: RetentionCleaner) {
        try opened.withLock { state in
            if let state { return state }
            let path = (stateDirectory as NSString).appendingPathComponent(RecordingIndex.fileName)
            do {
                if !FileManager.default.fileExists(atPath: stateDirectory) {
                    try FileManager.default.createDirectory(
                        atPath: stateDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                }
                let index = try RecordingIndex(path: path)
                let cleaner = RetentionCleaner(policies: [], index: index, leases: leases, logger: logger)
                cleaner.start()
                state = (index, cleaner)
                logger.info("recording index open", metadata: ["path": "\(path)"])
                return (index, cleaner)
            } catch {
                throw VigilStartupError(
                    description: "cannot open the recording index \(path) ([stream.record] enabled; state_directory or $STATE_DIRECTORY must be a writable directory): \(error)")
            }
        }
    }

    /// A recorder for `stream`, or nil when it does not record. `video` is the video as
    /// encoded (a camera may have chosen another size).
    func recorder(
        for stream: VigilSettings.Stream, video: VigilSettings.Video, audio: RecordedAudio?, logger: Logger,
        requestKeyFrame: @escaping @Sendable () -> Void
    ) throws -> Recorder? {
        guard stream.record.enabled else { return nil }
        let (index, cleaner) = try openIndex()
        var writer = SegmentWriter.Configuration(
            segmentDuration: stream.record.segmentDuration, partDuration: stream.record.partDuration,
            width: video.width, height: video.height, audio: audio)
        writer.audioWait = .milliseconds(300)
        return Recorder(
            configuration: RecorderConfiguration(stream: stream.path, directory: directory(for: stream), writer: writer),
            index: index, anchor: anchor, leases: leases, logger: logger, requestKeyFrame: requestKeyFrame,
            afterPart: { [cleaner] in cleaner.poke() })
    }

    /// The bounds of every recording stream, for the cleaner (at start and after a reload).
    func apply(streams: [VigilSettings.Stream]) {
        guard let cleaner else { return }
        cleaner.policies = streams.filter(\.record.enabled).map { stream in
            RetentionPolicy(
                stream: stream.path, directory: directory(for: stream), keep: stream.record.keep?.nanoseconds,
                maxSize: stream.record.maxSize, minFree: stream.record.minFree)
        }
        cleaner.poke()
    }

    /// RTSP playback of each recording stream's timeline at `PATH/playback` (access as the
    /// stream's, with the `playback` permission). `?start=` and `&end=` (ISO 8601) bound what
    /// the presentation holds; npt ranges count from its start.
    func playbackServices(streams: [VigilSettings.Stream]) -> [StoredMediaService] {
        streams.filter(\.record.enabled).map { stream in
            let path = stream.path
            return StoredMediaService(path: "\(path)/playback", accessPath: path) { [self] request throws(StoredMediaError) in
                let parameters = RecordingQuery.parameters(request.query)
                let window: RecordingQuery
                switch RecordingQuery.parse(
                    start: parameters["start"], end: parameters["end"], duration: parameters["duration"], now: .max, clip: false)
                {
                case .success(let parsed): window = parsed
                case .failure(let problem): throw .badQuery(problem.description)
                }
                guard let index else { throw .nothing("nothing is recorded for \(path)") }
                let segments: [RecordedSegment]
                do {
                    segments = try index.segments(stream: path, from: window.start, to: window.end)
                } catch {
                    throw .nothing("the recording index cannot be read: \(error)")
                }
                do {
                    return try RecordingReader(segments: segments, from: window.start, to: window.end, leases: leases)
                } catch {
                    throw .nothing("nothing recorded for \(path) in the range asked for")
                }
            }
        }
    }

    /// Stops the cleaner (after the recorders have stopped).
    func stop() {
        opened.withLock { $0 }?.cleaner.stop()
    }

}
