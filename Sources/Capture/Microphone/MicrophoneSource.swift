import Foundation
import Logging
import MediaCore

/// Which microphone, at which rate.
public struct MicrophoneSettings: Sendable, Hashable {
    /// An ALSA PCM name: `default`, `hw:1,0`, `plughw:CARD=Loopback,DEV=1`…
    public var name: String
    public var sampleRate: Int
    public var channels: Int

    public init(name: String, sampleRate: Int = 8000, channels: Int = 1) {
        self.name = name
        self.sampleRate = sampleRate
        self.channels = channels
    }
}

/// An ALSA microphone as a source that never ends: periods flow stamped by ALSA; overruns are
/// recovered in place and counted; when the device goes away the stream carries silence on
/// the same timeline and the device is reopened with backoff, like the camera.
public final class MicrophoneSource: @unchecked Sendable {
    public let settings: MicrophoneSettings
    private let output: BoundedQueue<PCMChunk>
    private let logger: Logger
    private let thread = SourceThread(name: "vigil-microphone")
    private let lock = NSLock()
    private var initial: ALSACapture?
    private var _chunks: UInt64 = 0
    private var _silentChunks: UInt64 = 0
    private var _overruns: UInt64 = 0
    static let chunkDuration: MediaDuration = .milliseconds(20)

    /// Opens the PCM. Settings a retry cannot fix (rate, channels, format) throw; a device
    /// that is absent or busy starts the stream on silence until it appears.
    public init(settings: MicrophoneSettings, output: BoundedQueue<PCMChunk>, logger: Logger) throws(MicrophoneError) {
        self.settings = settings
        self.output = output
        var logger = logger
        logger[metadataKey: "device"] = "\(settings.name)"
        self.logger = logger
        do {
            initial = try ALSACapture(name: settings.name, sampleRate: settings.sampleRate, channels: settings.channels)
            logger.info("microphone opened", metadata: ["rate": "\(settings.sampleRate)", "channels": "\(settings.channels)"])
        } catch where error.isTransient {
            // Absent or busy: the stream starts on silence; the capture thread's state
            // machine reports it (once) and retries.
        }
    }

    public var chunksCaptured: UInt64 { lock.withLock { _chunks } }
    public var silentChunks: UInt64 { lock.withLock { _silentChunks } }
    public var overruns: UInt64 { lock.withLock { _overruns } }

    public func start() {
        let box = HandOff<ALSACapture>(lock.withLock { () -> ALSACapture? in
            defer { initial = nil }
            return initial
        })
        thread.start { [self] thread in run(thread: thread, initial: box) }
    }

    public func stop() {
        thread.stop()
    }

    private func run(thread: SourceThread, initial: HandOff<ALSACapture>) {
        var machine = DeviceLossStateMachine()
        // Taken out of the box, not held in a parameter: when the device is lost, dropping
        // `capture` must really close it (the driver cannot go away while we hold it).
        var capture = initial.take()
        var nextSilence = MediaClock.now()
        let perChunk = Int(Int64(settings.sampleRate) * Self.chunkDuration.nanoseconds / 1_000_000_000)
        var reportedTimestamps = false
        if capture != nil { carryOut(machine.opened(at: MediaClock.now())) }
        while !thread.isStopRequested {
            let now = MediaClock.now()
            if capture == nil {
                if machine.shouldAttempt(at: now) {
                    do {
                        capture = try ALSACapture(name: settings.name, sampleRate: settings.sampleRate, channels: settings.channels)
                        carryOut(machine.opened(at: now))
                        continue
                    } catch {
                        carryOut(machine.failed(at: now, reason: "\(error)"))
                    }
                }
                MediaClock.sleep(until: nextSilence + Self.chunkDuration)
                output.push(PCMChunk(
                    samples: [Int16](repeating: 0, count: perChunk * settings.channels), sampleRate: settings.sampleRate,
                    channels: settings.channels, instant: nextSilence))
                lock.withLock { _silentChunks += 1 }
                nextSilence = max(nextSilence + Self.chunkDuration, MediaClock.now() - Self.chunkDuration)
                continue
            }
            do {
                guard let microphone = capture else { continue }
                let chunk = try microphone.read()
                output.push(chunk)
                nextSilence = chunk.instant + chunk.duration
                lock.withLock {
                    _chunks += 1
                    _overruns = microphone.overruns
                }
                if !microphone.usedDriverTimestamps && !reportedTimestamps {
                    reportedTimestamps = true
                    logger.notice("ALSA gives no timestamps for this PCM; stamping audio when it is read")
                }
            } catch {
                capture = nil
                carryOut(machine.failed(at: MediaClock.now(), reason: "\(error)"))
            }
        }
    }

    private func carryOut(_ actions: [DeviceLossStateMachine.Action]) {
        for action in actions {
            switch action {
            case .reportLost(let reason):
                logger.warning("microphone unavailable; sending silence and retrying", metadata: ["reason": "\(reason)"])
            case .reportRecovered(let after):
                logger.notice("microphone back", metadata: ["after": "\(String(format: "%.1f", after.seconds)) s"])
            }
        }
    }
}
