import Foundation
import Logging
import MediaCore

/// Which camera, in which mode.
public struct CameraSettings: Sendable, Hashable {
    public var path: String
    public var request: CameraRequest

    public init(path: String, request: CameraRequest) {
        self.path = path
        self.request = request
    }
}

/// A V4L2 camera as a source that never ends: while the device is there its pictures flow,
/// stamped by the driver on the media clock; when it goes away (unplugged, driver unloaded,
/// stalled) viewers get the "no signal" placeholder on the same stream, and the camera is
/// reopened with backoff until it comes back. Each condition is logged once.
public final class CameraSource: @unchecked Sendable {
    public let settings: CameraSettings
    /// The mode the stream was built for; a camera that comes back must offer it again.
    public let selection: CameraSelection
    private let output: BoundedQueue<RawFrame>
    private let logger: Logger
    private let thread = SourceThread(name: "vigil-camera")
    private let lock = NSLock()
    private var initialCapture: V4L2Capture?
    private var _framesCaptured: UInt64 = 0
    private var _placeholderFrames: UInt64 = 0
    private var _droppedByDriver: UInt64 = 0
    private var _isStreaming = false

    /// No picture for this long while streaming counts as losing the device.
    static let stallLimit: MediaDuration = .seconds(2)
    /// How long one wait for a buffer lasts before the stop flag is looked at.
    static let pollMilliseconds: Int32 = 200

    /// Opens the camera and picks its mode. When it is absent, `fallback` (the configured
    /// size, YUYV) stands in: the stream starts on the placeholder and the camera joins when
    /// it appears. Errors a retry cannot fix (not a capture device, no usable format) throw.
    public init(settings: CameraSettings, output: BoundedQueue<RawFrame>, logger: Logger) throws(CameraError) {
        self.settings = settings
        self.output = output
        var logger = logger
        logger[metadataKey: "device"] = "\(settings.path)"
        self.logger = logger
        let request = settings.request
        var chosen = CameraSelection(
            pixelFormat: .yuyv, width: request.width, height: request.height, frameRate: request.frameRate, isExact: true)
        do {
            let info = try CameraDiscovery.describe(settings.path)
            guard let found = FormatSelection.choose(from: info.formats, request: request) else {
                throw CameraError.noAcceptableFormat(path: settings.path, offered: info.formats.map(\.pixelFormat.description))
            }
            chosen = found
            if !found.isExact {
                logger.notice("camera has no \(request.width)x\(request.height) at \(request.frameRate) fps; using the nearest mode",
                    metadata: ["mode": "\(found.width)x\(found.height)@\(found.frameRate) \(found.pixelFormat)"])
            }
            initialCapture = try V4L2Capture(path: settings.path, selection: found)
            logger.info("camera opened", metadata: [
                "card": "\(info.card)", "mode": "\(found.width)x\(found.height)@\(found.frameRate) \(found.pixelFormat)",
            ])
        } catch let error as CameraError where error.isTransient {
            // Absent or busy: the stream starts on the placeholder; the capture thread's
            // state machine reports it (once) and retries.
        } catch let error as CameraError {
            throw error
        } catch {
            throw .call("open", errno: EIO)
        }
        selection = chosen
    }

    public var framesCaptured: UInt64 { lock.withLock { _framesCaptured } }
    public var placeholderFrames: UInt64 { lock.withLock { _placeholderFrames } }
    public var framesDroppedByDriver: UInt64 { lock.withLock { _droppedByDriver } }
    public var isStreaming: Bool { lock.withLock { _isStreaming } }

    public func start() {
        let capture = lock.withLock { () -> V4L2Capture? in
            defer { initialCapture = nil }
            return initialCapture
        }
        let box = HandOff<V4L2Capture>(capture)
        thread.start { [self] thread in run(thread: thread, initial: box) }
    }

    public func stop() {
        thread.stop()
    }

    private func run(thread: SourceThread, initial: HandOff<V4L2Capture>) {
        var machine = DeviceLossStateMachine()
        // Taken out of the box, not held in a parameter: when the device is lost, dropping
        // `capture` must really close it (the driver cannot go away while we hold it).
        var capture = initial.take()
        var sequence: UInt64 = 0
        let placeholder = PlaceholderPicture(width: selection.width, height: selection.height)
        let period = MediaDuration(nanoseconds: 1_000_000_000 / Int64(max(1, selection.frameRate)))
        var nextPlaceholder = MediaClock.now()
        var lastPicture = MediaClock.now()
        var warnedAboutTimestamps = false
        if capture != nil { carryOut(machine.opened(at: MediaClock.now())) }

        while !thread.isStopRequested {
            let now = MediaClock.now()
            if capture == nil {
                if machine.shouldAttempt(at: now) {
                    do {
                        capture = try reopen()
                        carryOut(machine.opened(at: now))
                        lastPicture = now
                        continue
                    } catch {
                        carryOut(machine.failed(at: now, reason: "\(error)"))
                    }
                }
                // The placeholder keeps the stream's picture rate while the camera is away.
                MediaClock.sleep(until: nextPlaceholder)
                output.push(placeholder.frame(index: sequence, instant: nextPlaceholder))
                sequence += 1
                lock.withLock { _placeholderFrames += 1; _isStreaming = false }
                nextPlaceholder = max(nextPlaceholder + period, MediaClock.now() - period)
                continue
            }
            do {
                guard let camera = capture else { continue }
                if let frame = try camera.next(timeoutMilliseconds: Self.pollMilliseconds, sequence: sequence) {
                    output.push(frame)
                    sequence += 1
                    lastPicture = MediaClock.now()
                    lock.withLock {
                        _framesCaptured += 1
                        _droppedByDriver = camera.droppedByDriver
                        _isStreaming = true
                    }
                    if camera.lastTimestampSource == .dequeue && !warnedAboutTimestamps {
                        warnedAboutTimestamps = true
                        logger.notice("the driver gives no monotonic buffer timestamps; stamping pictures when they are dequeued")
                    }
                } else if MediaClock.now() - lastPicture > Self.stallLimit {
                    throw CameraError.stalled(path: settings.path, seconds: Self.stallLimit.seconds)
                }
            } catch {
                capture = nil
                nextPlaceholder = MediaClock.now()
                carryOut(machine.failed(at: MediaClock.now(), reason: "\(error)"))
            }
        }
    }

    /// Opens the camera again in a mode with the stream's size: the format may differ (the
    /// encoder converts), the size may not (the stream's size is fixed for its viewers).
    private func reopen() throws(CameraError) -> V4L2Capture {
        let info = try CameraDiscovery.describe(settings.path)
        let request = CameraRequest(
            width: selection.width, height: selection.height, frameRate: selection.frameRate, preference: settings.request.preference)
        guard let found = FormatSelection.choose(from: info.formats, request: request) else {
            throw .noAcceptableFormat(path: settings.path, offered: info.formats.map(\.pixelFormat.description))
        }
        guard found.width == selection.width, found.height == selection.height else {
            throw .modeChanged(
                path: settings.path, expected: "\(selection.width)x\(selection.height)", got: "\(found.width)x\(found.height)")
        }
        return try V4L2Capture(path: settings.path, selection: found)
    }

    private func carryOut(_ actions: [DeviceLossStateMachine.Action]) {
        for action in actions {
            switch action {
            case .reportLost(let reason):
                lock.withLock { _isStreaming = false }
                logger.warning("camera unavailable; showing the placeholder and retrying", metadata: ["reason": "\(reason)"])
            case .reportRecovered(let after):
                logger.notice("camera back", metadata: ["after": "\(String(format: "%.1f", after.seconds)) s"])
            }
        }
    }
}
