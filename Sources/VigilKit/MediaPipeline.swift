import Capture
import Encode
import Foundation
import Logging
import MediaCore
import Record
import Serve
import ServiceLifecycle

/// Capture and encoding for one stream, as a `Service`: each source and each encoder runs on
/// its own thread and hands results on through bounded queues (drop-oldest for raw media);
/// encoded units go to the stream's fan-out, whose consumers (the live hub, the recorder)
/// never block it.
public final class MediaPipeline: Service, @unchecked Sendable {
    /// Raw pictures waiting for the encoder: two is enough to absorb one slow encode, and
    /// dropping the oldest keeps latency bounded when the encoder cannot keep up.
    static let videoQueueCapacity = 2
    /// Audio chunks (20 ms each) waiting for G.711: cheap to encode, so a short queue.
    static let audioQueueCapacity = 16

    /// Where every encoded unit goes: the live hub, the recorder and whoever attaches later.
    public let output: EncodedFanOut
    /// The stream's recorder, when it records: started before the sources, stopped after the
    /// encoders so that it writes their last units.
    public let recorder: Recorder?
    /// H.264 (libx264) or H.263, as the settings choose; nil for a stream played from a file.
    public let videoEncoder: (any VideoEncoder)?
    /// Virtual live: the file that stands in for capture and encoding.
    let feeder: FileLiveFeeder?
    let audioEncoder: AudioEncoders?
    let videoQueue: BoundedQueue<RawFrame>
    let audioQueue: BoundedQueue<PCMChunk>
    private let startSources: @Sendable () -> Void
    private let stopSources: @Sendable () -> Void
    private let logger: Logger
    private let lock = NSLock()
    private var threads: [Thread] = []
    private var stopping = false
    private var started = false
    /// The video as encoded (a camera's mode may differ from what was asked).
    public let encodedVideo: VigilSettings.Video
    /// The latest raw picture, for JPEG snapshots; nil for a stream played from a file (it
    /// has no raw pictures, and snapshots never decode the H.264).
    public let snapshots: Snapshots?
    private let stopped = DispatchGroup()
    private var _framesEncoded: UInt64 = 0
    private var _audioUnitsEncoded: UInt64 = 0

    init(
        output: EncodedFanOut, recorder: Recorder?, videoEncoder: (any VideoEncoder)?, feeder: FileLiveFeeder? = nil,
        audioEncoder: AudioEncoders?,
        videoQueue: BoundedQueue<RawFrame>, audioQueue: BoundedQueue<PCMChunk>,
        startSources: @escaping @Sendable () -> Void, stopSources: @escaping @Sendable () -> Void,
        encodedVideo: VigilSettings.Video, snapshots: Snapshots? = nil, logger: Logger
    ) {
        self.encodedVideo = encodedVideo
        self.snapshots = snapshots
        self.output = output
        self.recorder = recorder
        self.videoEncoder = videoEncoder
        self.feeder = feeder
        self.audioEncoder = audioEncoder
        self.videoQueue = videoQueue
        self.audioQueue = audioQueue
        self.startSources = startSources
        self.stopSources = stopSources
        self.logger = logger
    }

    public var framesEncoded: UInt64 { lock.withLock { _framesEncoded } }
    public var audioUnitsEncoded: UInt64 { lock.withLock { _audioUnitsEncoded } }
    public var framesDroppedBeforeEncoding: UInt64 { videoQueue.dropped }
    /// Pictures the source delivered (encoded or dropped).
    public var framesCaptured: UInt64 { videoQueue.pushed }
    public var audioChunksCaptured: UInt64 { audioQueue.pushed }
    public var audioChunksDropped: UInt64 { audioQueue.dropped }

    public func run() async throws {
        start()
        try? await gracefulShutdown()
        await stop()
    }

    /// Starts the threads once; later calls do nothing.
    func start() {
        let first = lock.withLock { () -> Bool in
            defer { started = true }
            return !started && !stopping
        }
        guard first else { return }
        recorder?.start()
        if let feeder {
            spawn(name: "vigil-file-live") { [self] in
                feeder.run(
                    publish: { unit, track in
                        output.publish(unit, track: track)
                        if unit.codec.isVideo { lock.withLock { _framesEncoded += 1 } } else { lock.withLock { _audioUnitsEncoded += 1 } }
                    },
                    isStopping: { isStopping })
            }
        }
        if videoEncoder != nil {
            spawn(name: "vigil-encode-video") { [self] in videoLoop() }
        }
        if audioEncoder != nil {
            spawn(name: "vigil-encode-audio") { [self] in audioLoop() }
        }
        startSources()
        logger.info("media pipeline started")
    }

    /// Stops sources and encoders and waits for their threads; later calls do nothing.
    func stop() async {
        let first = lock.withLock { () -> Bool in
            defer { stopping = true }
            return !stopping
        }
        guard first else { return }
        stopSources()
        videoQueue.close()
        audioQueue.close()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            stopped.notify(queue: .global()) { continuation.resume() }
        }
        if let recorder {
            // Its last segment is closed and synced before the pipeline counts as stopped.
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                DispatchQueue.global().async {
                    recorder.stop()
                    continuation.resume()
                }
            }
        }
        logger.info("media pipeline stopped", metadata: ["framesEncoded": "\(framesEncoded)"])
    }

    private func spawn(name: String, _ body: @escaping @Sendable () -> Void) {
        stopped.enter()
        let group = stopped
        let thread = Thread {
            nameCurrentThread(name)
            body()
            group.leave()
        }
        thread.name = name
        lock.withLock { threads.append(thread) }
        thread.start()
    }

    private var isStopping: Bool { lock.withLock { stopping } }

    private func videoLoop() {
        guard let videoEncoder else { return }
        var warnedAboutError = false
        while let frame = videoQueue.pop() {
            snapshots?.offer(frame)
            do {
                let units = try videoEncoder.encode(frame)
                warnedAboutError = false
                for unit in units { output.publish(unit, track: 0) }
                lock.withLock { _framesEncoded += UInt64(units.count) }
            } catch {
                if !warnedAboutError {
                    logger.warning("video encode failed; dropping frames until it recovers", metadata: ["error": "\(error)"])
                    warnedAboutError = true
                }
            }
        }
    }

    private func audioLoop() {
        guard let audioEncoder else { return }
        var warnedAboutError = false
        while let chunk = audioQueue.pop() {
            do {
                let units = try audioEncoder.encode(chunk)
                warnedAboutError = false
                for (unit, track) in units { output.publish(unit, track: track) }
                lock.withLock { _audioUnitsEncoded += UInt64(units.count { $0.track == 1 }) }
            } catch {
                if !warnedAboutError {
                    logger.warning("audio encode failed; dropping audio until it recovers", metadata: ["error": "\(error)"])
                    warnedAboutError = true
                }
            }
        }
    }
}
