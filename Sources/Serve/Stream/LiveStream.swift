import Logging
import MediaCore
import NIOCore

/// A live stream as the rest of the program holds it: encoder threads, the status API,
/// reloads. The stream's `StreamHub` lives on its event loop and nowhere else; every call here
/// hops there (or is a value that never changes), so this is `Sendable` by construction, not
/// by promise.
public final class LiveStream: Sendable {
    public let configuration: StreamConfiguration
    public let eventLoop: any EventLoop
    /// The hub, reachable only on `eventLoop` (the box checks).
    let hub: NIOLoopBoundBox<StreamHub>

    /// What the hub may ask of the stream's shared video encoder.
    public struct EncoderControl: Sendable {
        public var requestKeyFrame: (@Sendable () -> Void)?
        public var setBitrate: (@Sendable (Int) -> Void)?
        /// Decides the encoder's bitrate from the viewers' reports; nil keeps it fixed.
        public var bitrateController: BitrateController?

        public init(
            requestKeyFrame: (@Sendable () -> Void)? = nil, setBitrate: (@Sendable (Int) -> Void)? = nil,
            bitrateController: BitrateController? = nil
        ) {
            self.requestKeyFrame = requestKeyFrame
            self.setBitrate = setBitrate
            self.bitrateController = bitrateController
        }
    }

    /// 40 ms: past one picture interval at 25 or 30 fps, so audio nearly always rides along,
    /// and well inside any player's jitter buffer.
    public static let defaultInterleavedAudioHold: TimeAmount = .milliseconds(40)

    public init(
        configuration: StreamConfiguration, eventLoop: any EventLoop, anchor: WallClockAnchor, epoch: MediaInstant,
        encoder: EncoderControl = EncoderControl(), interleavedAudioHold: TimeAmount = LiveStream.defaultInterleavedAudioHold,
        logger: Logger
    ) {
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.hub = .makeBoxSendingValue(
            StreamHub(
                configuration: configuration, eventLoop: eventLoop, anchor: anchor, epoch: epoch, encoder: encoder,
                interleavedAudioHold: interleavedAudioHold, logger: logger),
            eventLoop: eventLoop)
    }

    public var path: String { configuration.path }

    /// Hands an encoded unit to the hub from any thread.
    public func submit(_ unit: EncodedUnit, track: Int) {
        let hub = self.hub
        eventLoop.execute { hub.value.deliver(unit, track: track) }
    }

    /// Viewers receiving at least one track now.
    public func viewerCount() async throws -> Int {
        let hub = self.hub
        return try await eventLoop.submit { hub.value.viewerCount }.get()
    }

    /// The statistics of every playing viewer, read on the hub's loop.
    public func viewerSnapshots() async throws -> [ViewerSnapshot] {
        let hub = self.hub
        return try await eventLoop.submit { hub.value.viewerSnapshots() }.get()
    }

    /// Each track's totals over the life of the stream, all viewers together.
    public func trackSnapshots() async throws -> [TrackSnapshot] {
        let hub = self.hub
        return try await eventLoop.submit { hub.value.trackSnapshots() }.get()
    }
}

extension LiveStream: EncodedUnitConsumer {
    /// The live path: hops to the hub's event loop, never waits.
    public func offer(_ unit: EncodedUnit, track: Int) { submit(unit, track: track) }
}
