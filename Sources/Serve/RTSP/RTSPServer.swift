import Access
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The RTSP listener and everything behind it, as a `Service`: binds the TCP port and each
/// stream's UDP ports, serves until graceful shutdown, then says BYE to every viewer and
/// closes every connection.
public final class RTSPServer: Service, Sendable {
    public struct Configuration: Sendable, Hashable {
        public var host: String
        /// 0 picks a free port (tests); `boundPort` tells which.
        public var port: Int
        /// The first UDP port tried for the streams' RTP/RTCP server ports.
        public var udpPortBase: Int
        /// RFC 2326 §12.37: a session with no request and no RTCP for this long is ended. A
        /// connection lives as long as its sessions (their RTCP counts, interleaved or UDP);
        /// with none, it is closed after this long without a request (after a session of its
        /// own ended: this long after that, so the client can still hear 454).
        public var sessionTimeout: TimeAmount
        /// Sessions beyond this are refused with 503, so a flood of SETUPs cannot exhaust the box.
        /// Every session holds its RTSP connection open, so `maxConnections` bounds them too.
        public var maxSessions: Int
        /// A connection must finish its first request within this long of being accepted, or
        /// it is closed: half a request must not hold a descriptor for ever. Real clients send
        /// their first request within a round trip.
        public var requestTimeout: TimeAmount
        /// Open connections beyond this are answered 503 and closed. Below the open-file limit,
        /// so that a flood meets a 503 and never EMFILE.
        public var maxConnections: Int
        /// The same for the connections from one IP address, so one host cannot take them all.
        public var maxConnectionsPerAddress: Int
        public var serverName: String
        /// Multicast (RFC 2326 §12.39 `multicast`): stream n is sent to `multicastGroupBase`
        /// + n, track t on port `multicastPortBase` + 2t (RTCP on the next port), with this
        /// TTL. nil base: multicast SETUPs are refused with 461.
        public var multicastGroupBase: String?
        public var multicastPortBase: Int
        /// 1 keeps the stream on the local network segment unless the owner widens it.
        public var multicastTTL: Int
        /// How long audio for a TCP viewer may wait to leave with the next picture in one
        /// system call (`StreamHub.interleavedAudioHold`); zero sends each audio packet at once.
        public var interleavedAudioHold: TimeAmount = LiveStream.defaultInterleavedAudioHold
        /// File viewers (playback of recordings and files) beyond this are refused with 503:
        /// each reads the disk and holds a second of media read ahead.
        public var maxFileViewers = 256
        /// The largest RTP packet a file player sends.
        public var fileMTU = 1400

        public init(
            host: String = "0.0.0.0", port: Int = 8554, udpPortBase: Int = 6970,
            sessionTimeout: TimeAmount = .seconds(60), maxSessions: Int = 2000, serverName: String = "Vigil/0.1",
            multicastGroupBase: String? = "239.255.42.1", multicastPortBase: Int = 5004, multicastTTL: Int = 1,
            requestTimeout: TimeAmount = .seconds(5), maxConnections: Int = 2048, maxConnectionsPerAddress: Int = 32
        ) {
            self.requestTimeout = requestTimeout
            self.maxConnections = maxConnections
            self.maxConnectionsPerAddress = maxConnectionsPerAddress
            self.multicastGroupBase = multicastGroupBase
            self.multicastPortBase = multicastPortBase
            self.multicastTTL = multicastTTL
            self.host = host
            self.port = port
            self.udpPortBase = udpPortBase
            self.sessionTimeout = sessionTimeout
            self.maxSessions = maxSessions
            self.serverName = serverName
        }
    }

    /// How often idle sessions are looked for at most; a session ends between timeout and timeout + this.
    static let reapInterval: TimeAmount = .seconds(5)

    public let configuration: Configuration
    /// The streams served now; reloads add and remove hubs while the server runs.
    public var streams: [LiveStream] { streamList.withLockedValue { $0 } }
    private let streamList: NIOLockedValueBox<[LiveStream]>
    public let eventLoop: any EventLoop
    private let logger: Logger
    private let stateBox: NIOLoopBoundBox<RTSPServerState?>
    private let initialStoredMedia: [StoredMediaService]
    private let access: AccessPolicy?
    private let bound: EventLoopPromise<Int>
    /// Whether `bound` was completed: a server built but never run must still complete it.
    private let boundCompleted = NIOLockedValueBox(false)

    /// - Parameter access: the one access check (users, digest, tokens); nil serves everyone,
    ///   as the synthetic default with no config does.
    public init(
        configuration: Configuration, streams: [LiveStream], storedMedia: [StoredMediaService] = [], eventLoop: any EventLoop,
        logger: Logger, access: AccessPolicy? = nil
    ) {
        self.configuration = configuration
        self.streamList = NIOLockedValueBox(streams)
        self.eventLoop = eventLoop
        self.logger = logger
        self.stateBox = .makeEmptyBox(valueType: RTSPServerState.self, eventLoop: eventLoop)
        self.initialStoredMedia = storedMedia
        self.access = access
        self.bound = eventLoop.makePromise(of: Int.self)
    }

    /// What the connections share, built on the loop at first use from what `init` was given
    /// (all `Sendable`), so the hubs inside it never leave their loop. On `eventLoop` only.
    var state: RTSPServerState {
        if let state = stateBox.value { return state }
        let state = RTSPServerState(
            configuration: configuration, hubs: streams.map(\.hub.value), storedMedia: initialStoredMedia, eventLoop: eventLoop,
            logger: logger, access: access)
        stateBox.value = state
        return state
    }

    deinit {
        if !boundCompleted.withLockedValue({ $0 }) {
            bound.fail(CancellationError())
        }
    }

    /// The TCP port once listening; throws if binding failed.
    public func boundPort() async throws -> Int {
        try await bound.futureResult.get()
    }

    public func run() async throws {
        let serverChannel: any Channel
        do {
            for stream in streams {
                try await bindSockets(of: stream)
            }
            let playbackPorts = try await eventLoop.submit { NIOLoopBound(self.state.playbackPorts, eventLoop: self.eventLoop) }.get()
            try await PlaybackPorts.bind(playbackPorts, host: configuration.host, firstPort: configuration.udpPortBase + 1000)
            let state = try await eventLoop.submit { NIOLoopBound(self.state, eventLoop: self.eventLoop) }.get()
            let listenerLogger = {
                var logger = logger
                logger[metadataKey: "listener"] = "rtsp"
                return logger
            }()
            serverChannel = try await ServerBootstrap(group: eventLoop)
                .serverChannelOption(ChannelOptions.backlog, value: 256)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                // Out of descriptors, accept pauses and backs off instead of spinning.
                .serverChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            AcceptThrottle(logger: listenerLogger, openConnections: { state.value.connections.count }), position: .first)
                    }
                }
                .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
                // A TCP viewer more than this behind loses packets instead of queueing them.
                .childChannelOption(ChannelOptions.writeBufferWaterMark, value: .init(low: 256 << 10, high: 1 << 20))
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureRTSPServerPipeline(server: state.value)
                    }
                }
                .bind(host: configuration.host, port: configuration.port)
                .get()
        } catch {
            boundCompleted.withLockedValue { $0 = true }
            bound.fail(error)
            await closeUDP()
            throw error
        }
        let port = serverChannel.localAddress?.port ?? configuration.port
        try await eventLoop.submit {
            for hub in self.state.hubs.values { hub.startReports() }
            self.scheduleReaping()
        }.get()
        logger.info("RTSP listening", metadata: ["port": "\(port)"])
        boundCompleted.withLockedValue { $0 = true }
        bound.succeed(port)

        try? await gracefulShutdown()

        logger.info("RTSP shutting down: BYE to every viewer")
        try? await serverChannel.close()
        try await eventLoop.flatSubmit { () -> EventLoopFuture<Void> in
            self.state.isShuttingDown = true
            self.state.reaper?.cancel()
            for session in self.state.sessions.values where !(session.source is StreamHub) {
                self.state.end(session, goodbye: true, reason: "shutdown")
            }
            let hubsClosed = EventLoopFuture.andAllComplete(
                self.state.hubs.values.map { $0.shutdown() } + [self.state.playbackPorts.close()], on: self.eventLoop)
            self.state.sessions.removeAll()
            let connections = self.state.connections.values.map { $0.close() }
            return hubsClosed.and(EventLoopFuture.andAllComplete(connections, on: self.eventLoop)).map { _ in () }
        }.get()
    }

    /// Looks for idle sessions at least twice per timeout, so a session ends within 1.5 timeouts.
    private func scheduleReaping() {
        let interval = min(Self.reapInterval, .nanoseconds(configuration.sessionTimeout.nanoseconds / 2))
        state.reaper = eventLoop.scheduleTask(in: interval) {
            let state = self.state
            guard !state.isShuttingDown else { return }
            state.reapIdleSessions()
            state.reportQuietLimits()
            self.scheduleReaping()
        }
    }

    /// Binds a hub's UDP ports and gives it the lowest free multicast group.
    private func bindSockets(of stream: LiveStream) async throws {
        try await stream.bindUDP(host: configuration.host, firstPort: configuration.udpPortBase)
        if let base = configuration.multicastGroupBase {
            let index = try await eventLoop.submit {
                let taken = Set(self.state.multicastIndex.values)
                let index = (0...).first { !taken.contains($0) }!
                self.state.multicastIndex[ObjectIdentifier(stream)] = index
                return index
            }.get()
            try await stream.configureMulticast(
                group: Self.address(base, plus: index), portBase: configuration.multicastPortBase,
                ttl: configuration.multicastTTL)
        }
    }

    /// Serves one more stream while running (reload): binds its sockets, then makes its path
    /// resolvable and starts its sender reports. Other streams and their viewers are untouched.
    public func add(_ stream: LiveStream) async throws {
        do {
            try await bindSockets(of: stream)
        } catch {
            _ = try? await eventLoop.flatSubmit { stream.hub.value.shutdown() }.get()
            throw error
        }
        try await eventLoop.submit {
            let hub = stream.hub.value
            self.state.hubs[hub.path] = hub
            hub.startReports()
        }.get()
        streamList.withLockedValue { $0.append(stream) }
        logger.info("stream added", metadata: ["stream": "\(stream.path)"])
    }

    /// Stops serving one stream (reload): its sessions end with an RTCP BYE, its sockets
    /// close; the RTSP connections stay open, and a later request for the path gets 404.
    public func remove(_ stream: LiveStream) async {
        streamList.withLockedValue { $0.removeAll { $0 === stream } }
        _ = try? await eventLoop.flatSubmit { () -> EventLoopFuture<Void> in
            let hub = stream.hub.value
            if self.state.hubs[hub.path] === hub { self.state.hubs[hub.path] = nil }
            self.state.multicastIndex[ObjectIdentifier(stream)] = nil
            for session in self.state.sessions.values where session.offer == ObjectIdentifier(hub) {
                self.state.end(session, goodbye: true, reason: "stream reconfigured")
            }
            return hub.shutdown()
        }.get()
        logger.info("stream removed", metadata: ["stream": "\(stream.path)"])
    }

    /// Serves exactly `services` as stored media from now on (start and reload): new paths
    /// open, removed ones answer 404 to new requests. Sessions already playing a removed path
    /// play on to their end: their players hold their own readers.
    public func serveStoredMedia(_ services: [StoredMediaService]) async {
        _ = try? await eventLoop.submit {
            var offers: [String: StoredMediaOffer] = [:]
            for service in services {
                if let existing = self.state.storedMedia[service.path], existing.service.accessPath == service.accessPath,
                    existing.service.permission == service.permission
                {
                    existing.service = service
                    offers[service.path] = existing
                } else {
                    offers[service.path] = self.state.makeOffer(service)
                }
            }
            self.state.storedMedia = offers
        }.get()
    }

    /// The IPv4 address `count` after `base` (239.255.42.1 + 2 = 239.255.42.3).
    static func address(_ base: String, plus count: Int) throws -> String {
        let parts = base.split(separator: ".").compactMap { UInt32($0) }
        guard parts.count == 4, parts.allSatisfy({ $0 < 256 }) else { throw ServeError.unsupportedTransport("multicast base \(base)") }
        let value = (parts[0] << 24 | parts[1] << 16 | parts[2] << 8 | parts[3]) &+ UInt32(count)
        return "\(value >> 24).\(value >> 16 & 255).\(value >> 8 & 255).\(value & 255)"
    }

    private func closeUDP() async {
        _ = try? await eventLoop.flatSubmit {
            EventLoopFuture.andAllComplete(self.state.hubs.values.map { $0.shutdown() }, on: self.eventLoop)
        }.get()
    }

    /// What the connection limits have done so far.
    public func connectionSnapshot() async throws -> RTSPConnectionSnapshot {
        try await eventLoop.submit { self.state.connectionCounts }.get()
    }

    /// A snapshot for logs and status: viewers per stream.
    public func viewerCounts() async throws -> [String: Int] {
        try await eventLoop.submit {
            Dictionary(uniqueKeysWithValues: self.state.hubs.values.map { ($0.path, $0.viewerCount) })
        }.get()
    }
}

extension ChannelPipeline.SynchronousOperations {
    /// The handlers of one RTSP connection: bytes to requests and interleaved frames, then the
    /// answers. The listener installs them on every accepted connection, and the tests on an
    /// `EmbeddedChannel`, so both run the same pipeline.
    func configureRTSPServerPipeline(server: RTSPServerState) throws {
        try addHandlers(ByteToMessageHandler(RTSPInboundDecoder()), RTSPConnectionHandler(server: server))
    }
}
