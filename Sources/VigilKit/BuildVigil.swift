import Access
import Capture
import Encode
import Foundation
import Library
import Logging
import MediaCore
import NIOCore
import NIOPosix
import Record
import SecureMedia
import Serve
import ServeWire
import ServiceLifecycle
import Synchronization
import Tokens

/// A built daemon: its streams, its listeners, and the event loops they run on. The stream
/// list changes on reload (`apply(_:)`); everything else is fixed for the process.
public final class Vigil: @unchecked Sendable {
    public let rtspServer: RTSPServer
    /// The HTTP status API, when enabled.
    public let statusAPI: StatusAPI?
    /// WebRTC viewers (WHEP on the HTTP API), when the API and `[webrtc]` are on.
    public let webRTC: WebRTCServer?
    let eventLoopGroup: MultiThreadedEventLoopGroup
    let eventLoop: any EventLoop
    let anchor: WallClockAnchor
    let logger: Logger
    /// Sends READY/STATUS/WATCHDOG/STOPPING to systemd when `NOTIFY_SOCKET` is set.
    public let lifecycle: SystemdLifecycle
    /// The one access check, shared by the RTSP server and the HTTP API; a reload takes new
    /// `[access]` and `[[user]]` settings into it.
    public let access: AccessPolicy
    /// The UMAS token store, when `[access] token_secret` is set (fixed for the process).
    public let tokens: TokenStore?
    /// What the policy redeems tokens through (the store, seen as access control sees it).
    public let tokenRedeemer: (any TokenRedeeming)?
    /// The recorders' index, leases and retention cleaner.
    public let recordings: RecordingService
    /// The clocks of access control: token lifetimes are wall-clock time from here.
    public let accessClock: any AccessClock
    let tokenMaintenance: TokenMaintenance?
    /// `/gettoken`'s shared secret; a reload may change or remove it (the store stays).
    let tokenSecret: Mutex<UMASSecret?>
    /// Short viewer numbers for the status API, in join order per stream: session ids are
    /// capabilities and never leave the RTSP connection that owns them.
    let viewerNumbers = Mutex(ViewerNumbers())
    private let lock = NSLock()
    private var _streams: [VigilStream]
    private var _settings: VigilSettings
    /// Reloads run one at a time.
    let reloads = ReloadSerializer()
    let startedAt = ContinuousClock.now

    init(
        settings: VigilSettings, streams: [VigilStream], rtspServer: RTSPServer, eventLoopGroup: MultiThreadedEventLoopGroup,
        anchor: WallClockAnchor, notifier: SystemdNotifier?, logger: Logger, access: AccessPolicy,
        tokens: TokenStore?, tokenRedeemer: (any TokenRedeeming)?, accessClock: any AccessClock, recordings: RecordingService,
        webRTC: WebRTCServer? = nil
    ) {
        self.webRTC = webRTC
        self.recordings = recordings
        self.access = access
        self.tokens = tokens
        self.tokenRedeemer = tokenRedeemer
        self.accessClock = accessClock
        self.tokenMaintenance = tokens.map { TokenMaintenance(store: $0, clock: accessClock, logger: logger) }
        self.tokenSecret = Mutex(settings.access.tokenSecret.flatMap(UMASSecret.init))
        self._settings = settings
        self._streams = streams
        self.rtspServer = rtspServer
        self.eventLoopGroup = eventLoopGroup
        self.eventLoop = rtspServer.eventLoop
        self.anchor = anchor
        self.logger = logger
        self.lifecycle = SystemdLifecycle(notifier: notifier, logger: logger)
        // The HTTP API takes the RTSP listener's request_timeout as its header timeout.
        self.statusAPI = settings.http.enabled
            ? StatusAPI(
                settings: settings.http,
                limits: .init(requestTimeout: settings.rtsp.requestTimeout, maxConnections: settings.http.maxConnections),
                eventLoopGroup: eventLoopGroup, access: access, logger: logger)
            : nil
    }

    /// The settings in force (after the last successful reload).
    public var settings: VigilSettings { lock.withLock { _settings } }
    /// The running streams, in config order.
    public var streams: [VigilStream] { lock.withLock { _streams } }

    func replace(streams: [VigilStream], settings: VigilSettings) {
        lock.withLock {
            _streams = streams
            _settings = settings
        }
    }

    // The first stream: what the one-stream command line and the older tests look at.
    public var hub: LiveStream { streams[0].hub }
    public var pipeline: MediaPipeline { streams[0].pipeline }
    public var camera: CameraSource? { streams[0].camera }
    public var microphone: MicrophoneSource? { streams[0].microphone }

    /// The H.264 parameter sets the first stream announces (from the encoder itself); empty for H.263.
    public var encoderParameterSets: (sps: [UInt8], pps: [UInt8]) {
        guard let h264 = pipeline.videoEncoder as? H264Encoder else { return ([], []) }
        return (h264.sps, h264.pps)
    }

    /// The services in start order; graceful shutdown runs in reverse: systemd hears
    /// STOPPING=1 first, then the HTTP API closes, then the RTSP server says BYE to its
    /// viewers, the pipelines stop, and the token store closes last.
    public var services: [any Service] {
        var list: [any Service] = []
        if let tokenMaintenance { list.append(tokenMaintenance) }
        // The services that need the whole daemon are made here, from the finished Vigil,
        // rather than pointed at it after its init.
        list += [MediaService(vigil: self), rtspServer]
        if let webRTC { list.append(WebRTCService(server: webRTC)) }
        if let statusAPI { list.append(StatusService(api: statusAPI, vigil: self)) }
        list.append(LifecycleService(lifecycle: lifecycle, vigil: self))
        return list
    }

    /// Runs until SIGINT/SIGTERM (when `signals` is true) or until the surrounding task is
    /// cancelled or `ServiceGroup.triggerGracefulShutdown()` is called through `group`.
    public func makeServiceGroup(signals: Bool) -> ServiceGroup {
        ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services.map { .init(service: $0) },
                gracefulShutdownSignals: signals ? [.sigterm, .sigint] : [],
                logger: logger))
    }

    /// Closes the event loops; call after the service group has returned.
    public func shutdownEventLoops() async {
        try? await eventLoopGroup.shutdownGracefully()
    }
}

/// One stream's running parts: its hub (viewers, packets) and its pipeline (sources, encoders).
public final class VigilStream: Sendable {
    public let settings: VigilSettings.Stream
    /// The MTU it was built with (a change restarts it).
    let mtu: Int
    public let hub: LiveStream
    public let pipeline: MediaPipeline
    /// The camera and microphone, when the stream has them (for status and tests).
    public let camera: CameraSource?
    public let microphone: MicrophoneSource?

    init(settings: VigilSettings.Stream, mtu: Int, hub: LiveStream, pipeline: MediaPipeline, camera: CameraSource?, microphone: MicrophoneSource?) {
        self.settings = settings
        self.mtu = mtu
        self.hub = hub
        self.pipeline = pipeline
        self.camera = camera
        self.microphone = microphone
    }

    public var path: String { settings.path }
}

/// Why Vigil cannot start with these settings, said for the operator.
public struct VigilStartupError: Error, CustomStringConvertible, LocalizedError {
    public var description: String
    public var errorDescription: String? { description }
}

/// The composition root, shared by `main` and the tests: for each stream capture sources →
/// encoders → stream hub, one access policy (and the token store behind it), and one RTSP
/// server over all hubs, all from one settings value. `accessClock` is for tests that drive
/// token lifetimes.
public func buildVigil(
    settings: VigilSettings, logger: Logger, notifier: SystemdNotifier? = nil,
    accessClock: any AccessClock = SystemAccessClock(),
    environment: [String: String] = ProcessInfo.processInfo.environment
) throws -> Vigil {
    // Access first: it may refuse the settings, and nothing has started yet.
    if settings.http.enabled, let problem = settings.access.apiExposureProblem(httpHost: settings.http.host) {
        throw VigilStartupError(description: problem)
    }
    let accessConfiguration: AccessConfiguration
    do {
        accessConfiguration = try settings.access.configuration()
    } catch {
        throw VigilStartupError(description: "[access]: \(error)")
    }
    if settings.access.isOpen {
        logger.notice(
            "access is open to everyone: no [[user]] and no [access] anonymous key, so anyone may watch every stream and read the API; add a [[user]] (vigil passwd) to require a login")
    }
    let tokens = try settings.access.tokenSecret == nil ? nil : openTokenStore(settings.access, environment: environment, logger: logger)
    let redeemer = tokens.map { TokenStoreRedeemer(store: $0, logger: logger) }
    var random = SystemRandomNumberGenerator()
    let policy = AccessPolicy(
        configuration: accessConfiguration, secret: AccessPolicy.randomSecret(using: &random), tokens: redeemer,
        clock: accessClock,
        sessionLifetimes: LoginSessionLifetimes(
            idle: .nanoseconds(settings.http.sessionIdle.nanoseconds), absolute: .nanoseconds(settings.http.sessionLifetime.nanoseconds)))

    let anchor = WallClockAnchor.now()
    let recordings = RecordingService(
        stateDirectory: settings.access.resolvedStateDirectory(environment: environment), anchor: anchor, logger: logger)
    var built: [VigilStream] = []
    // Event loops after the streams: nothing that throws may leave threads behind. The
    // streams need a loop for their hubs, so they get it after the group exists and are
    // stopped if a later one fails.
    let eventLoopGroup = MultiThreadedEventLoopGroup(numberOfThreads: max(1, settings.networkThreads))
    let eventLoop = eventLoopGroup.next()
    do {
        for stream in settings.streams {
            built.append(try buildStream(
                stream, mtu: settings.mtu, interleavedAudioHold: settings.rtsp.interleavedAudioHold, eventLoop: eventLoop, anchor: anchor,
                recordings: recordings, library: settings.library, jpegQuality: settings.http.jpegQuality,
                hls: settings.http.enabled && settings.http.hls.enabled, logger: logger))
        }
    } catch {
        try? eventLoopGroup.syncShutdownGracefully()
        recordings.stop()
        throw error
    }
    recordings.apply(streams: settings.streams)
    let server = RTSPServer(
        configuration: settings.rtsp, streams: built.map(\.hub), storedMedia: storedMedia(settings, recordings: recordings, logger: logger),
        eventLoop: eventLoop, logger: logger, access: policy)
    var webRTC: WebRTCServer?
    if settings.http.enabled && settings.webRTC.enabled {
        webRTC = try makeWebRTCServer(settings.webRTC, stateDirectory: recordings.stateDirectory, eventLoop: eventLoop, logger: logger)
    }
    return Vigil(
        settings: settings, streams: built, rtspServer: server, eventLoopGroup: eventLoopGroup, anchor: anchor,
        notifier: notifier, logger: logger, access: policy, tokens: tokens, tokenRedeemer: redeemer,
        accessClock: accessClock, recordings: recordings, webRTC: webRTC)
}

/// What RTSP plays from the disk: each recording stream's timeline at `PATH/playback`, and the
/// media library at `vod/NAME`.
func storedMedia(_ settings: VigilSettings, recordings: RecordingService, logger: Logger) -> [StoredMediaService] {
    var services = recordings.playbackServices(streams: settings.streams)
    if !settings.library.paths.isEmpty {
        let catalog = LibraryCatalog(
            roots: settings.library.paths, defaultFrameRate: settings.library.defaultFrameRate, frameRates: settings.library.frameRates)
        services.append(StoredMediaService(path: "vod", accessPath: "vod", servesNames: true) { request throws(StoredMediaError) in
            do throws(LibraryError) {
                return try catalog.open(request.name)
            } catch {
                switch error {
                case .refused(_, let reason): throw .refused(reason)
                case .notFound: throw .nothing("\(error)")
                case .unreadable:
                    logger.warning("library file cannot be played", metadata: ["error": "\(error)"])
                    throw .nothing("\(error)")
                }
            }
        })
    }
    return services
}

/// Opens `<state directory>/tokens.sqlite`, creating the directory (0700) if it is missing.
func openTokenStore(_ access: VigilSettings.Access, environment: [String: String], logger: Logger) throws -> TokenStore {
    let directory = access.resolvedStateDirectory(environment: environment)
    let path = (directory as NSString).appendingPathComponent(TokenStore.fileName)
    do {
        if !FileManager.default.fileExists(atPath: directory) {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let policy = TokenPolicy(
            maximumDuration: access.tokenMaxDuration.map { .seconds($0) }, maximumLimit: access.tokenMaxUses)
        let store = try TokenStore(path: path, policy: policy)
        logger.info("token store open", metadata: ["path": "\(path)"])
        return store
    } catch {
        throw VigilStartupError(
            description: "cannot open the token store \(path) ([access] token_secret is set; state_directory or $STATE_DIRECTORY must be a writable directory): \(error)")
    }
}

/// One stream's sources, encoders, hub and pipeline. Randomness (SSRCs, sequence numbers,
/// timestamp offsets, the CNAME) is drawn here and nowhere else.
func buildStream(
    _ settings: VigilSettings.Stream, mtu: Int, interleavedAudioHold: TimeAmount = LiveStream.defaultInterleavedAudioHold,
    eventLoop: any EventLoop, anchor: WallClockAnchor, recordings: RecordingService, library: VigilSettings.Library = .init(),
    jpegQuality: Int = VigilSettings.HTTP.defaultJPEGQuality, hls: Bool = false, logger: Logger
) throws -> VigilStream {
    if case .file(let name, let loop) = settings.videoSource {
        return try buildFileStream(
            settings, name: name, loop: loop, library: library, mtu: mtu, interleavedAudioHold: interleavedAudioHold,
            eventLoop: eventLoop, anchor: anchor, logger: logger)
    }
    var random = SystemRandomNumberGenerator()
    var logger = logger
    logger[metadataKey: "stream"] = "\(settings.path)"
    // Sources start a little after the epoch so the first frame is not already late.
    let epoch = MediaClock.now() + .milliseconds(50)

    var video = settings.video
    var audioSampleRate = settings.audio.sampleRate
    if case .rawInput(let raw) = settings.audioSource { audioSampleRate = raw.sampleRate }

    // Sources feed the pipeline's queues. The video source comes first: a camera's mode
    // decides the stream's size and rate.
    let videoQueue = BoundedQueue<RawFrame>(capacity: MediaPipeline.videoQueueCapacity)
    let audioQueue = BoundedQueue<PCMChunk>(capacity: MediaPipeline.audioQueueCapacity)
    var starts: [@Sendable () -> Void] = []
    var stops: [@Sendable () -> Void] = []
    var camera: CameraSource?
    switch settings.videoSource {
    case .rawInput(let raw):
        video.width = raw.width
        video.height = raw.height
        video.frameRate = raw.frameRate
        let source = try RawVideoInputSource(settings: raw, epoch: epoch, output: videoQueue)
        starts.append { source.start() }
        stops.append { source.stop() }
    case .camera(let path):
        let request = CameraRequest(width: video.width, height: video.height, frameRate: video.frameRate)
        let source = try CameraSource(settings: CameraSettings(path: path, request: request), output: videoQueue, logger: logger)
        video.width = source.selection.width
        video.height = source.selection.height
        video.frameRate = source.selection.frameRate
        camera = source
        starts.append { source.start() }
        stops.append { source.stop() }
    case .file:
        preconditionFailure("a file stream is built by buildFileStream")
    case .synthetic:
        let synthetic = SyntheticVideoSettings(width: video.width, height: video.height, frameRate: video.frameRate, pattern: video.pattern)
        let source = SyntheticVideoSource(settings: synthetic, epoch: epoch, output: videoQueue)
        starts.append { source.start() }
        stops.append { source.stop() }
    }
    var microphone: MicrophoneSource?
    if settings.audio.enabled {
        switch settings.audioSource {
        case .rawInput(let raw):
            let source = try RawAudioInputSource(settings: raw, epoch: epoch, output: audioQueue)
            starts.append { source.start() }
            stops.append { source.stop() }
        case .microphone(let name):
            let source = try MicrophoneSource(
                settings: MicrophoneSettings(name: name, sampleRate: audioSampleRate, channels: 1), output: audioQueue, logger: logger)
            microphone = source
            starts.append { source.start() }
            stops.append { source.stop() }
        case .synthetic:
            var synthetic = SyntheticAudioSettings()
            synthetic.sampleRate = audioSampleRate
            synthetic.deliveryDelay = settings.audio.syntheticDeliveryDelay
            let source = SyntheticAudioSource(settings: synthetic, epoch: epoch, output: audioQueue)
            starts.append { source.start() }
            stops.append { source.stop() }
        }
    }

    let (videoEncoder, videoTrack) = try makeVideoEncoder(video)

    let cname = "vigil-\(String(UInt64.random(in: 1...UInt64.max, using: &random), radix: 16))"
    var videoConfiguration = TrackConfiguration(
        kind: .video, codec: videoEncoder.codec, payloadType: videoTrack.payloadType, clockRate: 90_000,
        formatParameters: videoTrack.fmtp,
        ssrc: UInt32.random(in: 1...UInt32.max, using: &random),
        initialSequenceNumber: UInt16.random(in: 0...UInt16.max, using: &random),
        timestampOffset: UInt32.random(in: 0...UInt32.max, using: &random),
        h263Payload: videoTrack.h263Payload)
    switch video.rtcpProfile {
    case .auto: videoConfiguration.profile = .byClient
    case .avp: videoConfiguration.profile = .avp
    case .avpf: videoConfiguration.profile = .avpf
    }
    videoConfiguration.bandwidthKbps = video.bitrateKbps
    switch video.retransmission {
    case .off: videoConfiguration.repair = .none
    case .resend: videoConfiguration.repair = .resend
    case .rtx:
        videoConfiguration.repair = .retransmissionStream(
            payloadType: 99, ssrc: UInt32.random(in: 1...UInt32.max, using: &random),
            initialSequenceNumber: UInt16.random(in: 0...UInt16.max, using: &random))
    }
    var tracks = [videoConfiguration]
    var audioEncoder: AudioEncoders?
    var audioKbps = 0
    if settings.audio.enabled, settings.audio.codec == .opus {
        let opus: OpusEncoder
        do {
            opus = try OpusEncoder(sampleRate: audioSampleRate)
        } catch {
            throw VigilStartupError(description: "stream \(settings.path): audio: \(error)")
        }
        audioEncoder = AudioEncoders(stream: .opus(opus), opusCopy: nil, recorderTakesCopy: false)
        audioKbps = opus.bitrateKbps
        // RFC 7587: a dynamic payload type, 48 kHz RTP clock whatever the input rate.
        var track = TrackConfiguration.opus(
            payloadType: 97, ssrc: UInt32.random(in: 1...UInt32.max, using: &random),
            initialSequenceNumber: UInt16.random(in: 0...UInt16.max, using: &random),
            timestampOffset: UInt32.random(in: 0...UInt32.max, using: &random))
        track.bandwidthKbps = opus.bitrateKbps
        tracks.append(track)
    } else if settings.audio.enabled {
        let law: G711Encoder.Law = settings.audio.codec == .pcmu ? .muLaw : .aLaw
        // Recordings get an Opus copy of G.711 audio unless told to keep G.711 as it is, and
        // live HLS gets it while a muxer runs.
        let recordsCopy = settings.record.enabled && settings.record.audio == .opus
        var copy: OpusEncoder?
        if recordsCopy || hls {
            do {
                copy = try OpusEncoder(sampleRate: audioSampleRate)
            } catch {
                throw VigilStartupError(
                    description: "stream \(settings.path): "
                        + (recordsCopy ? "[stream.record] audio = \"opus\"" : "the Opus copy of its audio for HLS") + ": \(error)")
            }
        }
        audioEncoder = AudioEncoders(stream: .g711(G711Encoder(law: law)), opusCopy: copy, recorderTakesCopy: recordsCopy)
        audioKbps = audioSampleRate * 8 / 1000
        // RFC 3551 §6: PCMU is static payload type 0 and PCMA 8, both 8 kHz mono; any other
        // rate needs a dynamic type with its rate in rtpmap.
        let staticType: UInt8 = law == .muLaw ? 0 : 8
        tracks.append(
            TrackConfiguration(
                kind: .audio, codec: law == .muLaw ? .pcmu : .pcma,
                payloadType: audioSampleRate == 8000 ? staticType : 97, clockRate: audioSampleRate, channels: 1,
                ssrc: UInt32.random(in: 1...UInt32.max, using: &random),
                initialSequenceNumber: UInt16.random(in: 0...UInt16.max, using: &random),
                timestampOffset: UInt32.random(in: 0...UInt32.max, using: &random)))
        tracks[tracks.count - 1].bandwidthKbps = audioSampleRate * 8 / 1000
    }
    let stream = StreamConfiguration(
        path: settings.path, tracks: tracks, mtu: mtu, cname: cname,
        sessionBandwidthKbps: video.bitrateKbps + audioKbps)
    var control = LiveStream.EncoderControl(requestKeyFrame: { [videoEncoder] in videoEncoder.submit(.forceKeyFrame) })
    if video.adaptiveBitrate {
        let minimum = video.minimumBitrateKbps ?? max(64, video.bitrateKbps / 4)
        var configuration = BitrateController.Configuration(minimumKbps: min(minimum, video.bitrateKbps), maximumKbps: video.bitrateKbps)
        configuration.policy = video.adaptivePolicy
        control.bitrateController = BitrateController(configuration: configuration, startKbps: video.bitrateKbps)
        control.setBitrate = { [videoEncoder] kbps in videoEncoder.submit(.setBitrate(kbps: kbps)) }
    }
    let hub = LiveStream(
        configuration: stream, eventLoop: eventLoop, anchor: anchor, epoch: epoch, encoder: control,
        interleavedAudioHold: interleavedAudioHold, logger: logger)

    let recordedAudio = audioEncoder?.recordedAudio(sampleRate: audioSampleRate)
    let recorder = try recordings.recorder(
        for: settings, video: video, audio: recordedAudio, logger: logger,
        requestKeyFrame: { [videoEncoder] in videoEncoder.submit(.forceKeyFrame) })
    var consumers: [any EncodedUnitConsumer] = [hub]
    if let recorder { consumers.append(recorder) }
    let pipeline = MediaPipeline(
        output: EncodedFanOut(consumers: consumers), recorder: recorder, videoEncoder: videoEncoder, audioEncoder: audioEncoder,
        videoQueue: videoQueue, audioQueue: audioQueue,
        startSources: { [starts] in starts.forEach { $0() } },
        stopSources: { [stops] in stops.forEach { $0() } },
        encodedVideo: video, snapshots: Snapshots(quality: jpegQuality),
        logger: logger)
    return VigilStream(settings: settings, mtu: mtu, hub: hub, pipeline: pipeline, camera: camera, microphone: microphone)
}

/// Virtual live: a stream whose pictures and sound come from a library file, sent as they
/// are stored (no capture, no encoder) and shared by its viewers like any live stream.
func buildFileStream(
    _ settings: VigilSettings.Stream, name: String, loop: Bool, library: VigilSettings.Library, mtu: Int,
    interleavedAudioHold: TimeAmount, eventLoop: any EventLoop, anchor: WallClockAnchor, logger: Logger
) throws -> VigilStream {
    var logger = logger
    logger[metadataKey: "stream"] = "\(settings.path)"
    let catalog = LibraryCatalog(roots: library.paths, defaultFrameRate: library.defaultFrameRate, frameRates: library.frameRates)
    let reader: any StoredMediaReader
    do {
        reader = try catalog.open(name)
    } catch {
        throw VigilStartupError(description: "stream \(settings.path): source = \"file\": \(error)")
    }
    var random = SystemRandomNumberGenerator()
    let tracks = StoredMediaTracks.configurations(reader.tracks, using: &random)
    let cname = "vigil-\(String(UInt64.random(in: 1...UInt64.max, using: &random), radix: 16))"
    let stream = StreamConfiguration(
        path: settings.path, tracks: tracks, mtu: mtu, cname: cname, sessionBandwidthKbps: settings.video.bitrateKbps + 64)
    let hub = LiveStream(
        configuration: stream, eventLoop: eventLoop, anchor: anchor, epoch: MediaClock.now(), interleavedAudioHold: interleavedAudioHold,
        logger: logger)
    let feeder = FileLiveFeeder(name: name, loop: loop, logger: logger) { try catalog.open(name) }
    let pipeline = MediaPipeline(
        output: EncodedFanOut(consumers: [hub]), recorder: nil, videoEncoder: nil, feeder: feeder, audioEncoder: nil,
        videoQueue: BoundedQueue(capacity: 1), audioQueue: BoundedQueue(capacity: 1), startSources: {}, stopSources: {},
        encodedVideo: settings.video, logger: logger)
    return VigilStream(settings: settings, mtu: mtu, hub: hub, pipeline: pipeline, camera: nil, microphone: nil)
}

/// The HTTP API of `vigil`, as a service.
/// The WebRTC port, open while the daemon runs.
struct WebRTCService: Service {
    let server: WebRTCServer
    func run() async throws {
        try await server.start()
        try? await gracefulShutdown()
        await server.stop()
    }
}

/// The WebRTC server, with the DTLS certificate kept in `STATE/webrtc` so that its
/// fingerprint outlives restarts (a viewer's browser may pin what it saw). A state directory
/// that cannot be written costs only that: a certificate for this run, and a notice.
func makeWebRTCServer(
    _ settings: VigilSettings.WebRTC, stateDirectory: String, eventLoop: any EventLoop, logger: Logger
) throws -> WebRTCServer {
    let directory = (stateDirectory as NSString).appendingPathComponent("webrtc")
    let certificate: DTLSCertificate
    do {
        // The state directory is systemd's (StateDirectory=) or the operator's to make: Vigil
        // makes none of its own for this, only the folder inside it.
        guard FileManager.default.fileExists(atPath: stateDirectory) else {
            throw VigilStartupError(description: "the state directory \(stateDirectory) does not exist")
        }
        if !FileManager.default.fileExists(atPath: directory) {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        }
        certificate = try DTLSCertificate.loadOrCreate(directory: directory)
    } catch {
        logger.notice("the WebRTC certificate cannot be kept in the state directory; one for this run only",
                      metadata: ["directory": "\(directory)", "error": "\(error)"])
        do {
            certificate = try DTLSCertificate.generate()
        } catch {
            throw VigilStartupError(description: "[webrtc]: cannot make a DTLS certificate: \(error)")
        }
    }
    do {
        return try WebRTCServer(
            configuration: .init(
                host: settings.host, port: settings.port, addresses: settings.addresses, maxPeers: settings.maxPeers,
                maxConnectingPerClient: settings.maxConnectingPerClient, connectTimeout: settings.connectTimeout, consentTimeout: settings.consentTimeout),
            certificate: certificate, eventLoop: eventLoop, logger: logger)
    } catch {
        throw VigilStartupError(description: "[webrtc]: cannot set up DTLS: \(error)")
    }
}

struct StatusService: Service {
    let api: StatusAPI
    let vigil: Vigil
    func run() async throws { try await api.run(for: vigil) }
}

/// systemd's view of `vigil`, as a service (the last one, so it stops first).
struct LifecycleService: Service {
    let lifecycle: SystemdLifecycle
    let vigil: Vigil
    func run() async throws { try await lifecycle.run(for: vigil) }
}

/// Starts every stream's pipeline, and at shutdown stops those running then (reloads may
/// have replaced some in between).
struct MediaService: Service {
    let vigil: Vigil

    func run() async throws {
        for stream in vigil.streams { stream.pipeline.start() }
        try? await gracefulShutdown()
        await vigil.reloads.close()
        for stream in vigil.streams { await stream.pipeline.stop() }
        vigil.recordings.stop()
    }
}

/// The stream's video encoder for its codec setting, and what its track announces: payload
/// type, fmtp and (H.263) payload format. H.263 is coded at the source size when the payload
/// format allows custom sizes (RFC 4629 as H263-1998) and the size is whole macroblocks;
/// otherwise the picture is scaled to the nearest standard format not larger than the source.
func makeVideoEncoder(
    _ video: VigilSettings.Video
) throws -> (any VideoEncoder, (payloadType: UInt8, fmtp: String, h263Payload: H263Format.Payload)) {
    /// The dynamic payload type of the video track (RFC 3551 §3: 96–127).
    let dynamicPayloadType: UInt8 = 96
    let payload: H263Format.Payload
    switch video.codec {
    case .h264:
        let encoder = try H264Encoder(settings: H264Settings(
            width: video.width, height: video.height, frameRate: video.frameRate,
            bitrateKbps: video.bitrateKbps, preset: video.preset, tune: video.tune, profile: video.profile,
            keyFrameInterval: video.keyFrameInterval, threads: video.threads))
        return (encoder, (dynamicPayloadType, H264FormatParameters.fmtp(sps: encoder.sps, pps: encoder.pps), .rfc4629))
    case .h263: payload = .rfc4629
    case .h263Profile2000: payload = .rfc4629Profile2000
    case .h263RFC2190: payload = .rfc2190
    }
    let format = H263PictureFormat.forSource(
        width: video.width, height: video.height, allowCustom: payload.allowsCustomPictureFormat)
    let encoder = try H263Encoder(settings: H263Settings(
        width: video.width, height: video.height, format: format, frameRate: video.frameRate,
        bitrateKbps: video.bitrateKbps, keyFrameInterval: video.keyFrameInterval))
    let fmtp = H263Format.fmtp(payload: payload, width: format.width, height: format.height, bitrateKbps: video.bitrateKbps)
    return (encoder, (payload.staticPayloadType ?? dynamicPayloadType, fmtp, payload))
}
