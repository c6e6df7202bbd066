import ICE
import Logging
import NIOCore
import NIOPosix
import SecureMedia
import ServeWire

/// WebRTC viewers of the live streams, offered through WHEP (draft-ietf-wish-whep): an SDP
/// offer in, an answer out, then ICE-lite, DTLS-SRTP and the stream's shared packets on one
/// UDP port for every peer.
///
/// The port is demultiplexed as RFC 7983 §7 has it, by the first byte: 0–3 STUN (its peer
/// found by the USERNAME's local ufrag, RFC 8445 §7.3), 20–63 DTLS and 128–191 SRTP/SRTCP
/// (their peer found by the 5-tuple a check validated). A datagram from an address no check
/// validated costs a lookup and a count, never a handshake or a decryption.
///
/// Everything lives on the event loop of the live streams (`LiveStream.eventLoop`, the RTSP
/// server's); every call here hops there, so this is `Sendable` by construction.
public final class WebRTCServer: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// Where the UDP socket binds; `0.0.0.0` for every interface.
        public var host: String
        /// The one UDP port for every peer; 0 picks a free one (tests).
        public var port: Int
        /// Addresses announced as host candidates besides the one the WHEP request reached
        /// (for a box behind a NAT: its public address, with the port forwarded).
        public var addresses: [String]
        /// Peers beyond this are refused (503) until one leaves.
        public var maxPeers: Int
        /// Peers one client address may have still setting up (ICE and DTLS not done) at once;
        /// beyond, 429. So that one client cannot hold every `maxPeers` slot with offers it
        /// never connects for the `connectTimeout` each one lasts. nil: half of `maxPeers`.
        public var maxConnectingPerClient: Int?
        var connectingLimit: Int { maxConnectingPerClient ?? max(1, maxPeers / 2) }
        /// From the answer to a working DTLS handshake; a peer that takes longer is dropped.
        public var connectTimeout: TimeAmount
        /// RFC 7675 §5.1: consent lapses 30 s after the last successful check.
        public var consentTimeout: TimeAmount

        public init(
            host: String = "0.0.0.0", port: Int = 8189, addresses: [String] = [], maxPeers: Int = 64,
            maxConnectingPerClient: Int? = nil, connectTimeout: TimeAmount = .seconds(15), consentTimeout: TimeAmount = .seconds(30)
        ) {
            self.host = host
            self.port = port
            self.addresses = addresses
            self.maxPeers = maxPeers
            self.maxConnectingPerClient = maxConnectingPerClient
            self.connectTimeout = connectTimeout
            self.consentTimeout = consentTimeout
        }
    }

    public let configuration: Configuration
    public let eventLoop: any EventLoop
    public let fingerprint: DTLSFingerprint
    let context: DTLSContext
    let router: NIOLoopBoundBox<WebRTCRouter>
    let logger: Logger

    public init(configuration: Configuration, certificate: DTLSCertificate, eventLoop: any EventLoop, logger: Logger) throws {
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.context = try DTLSContext(certificate: certificate)
        self.fingerprint = certificate.fingerprint
        var logger = logger
        logger[metadataKey: "listener"] = "webrtc"
        self.logger = logger
        self.router = .makeBoxSendingValue(WebRTCRouter(configuration: configuration, eventLoop: eventLoop, logger: logger), eventLoop: eventLoop)
    }

    /// Binds the UDP port; returns it.
    @discardableResult
    public func start() async throws -> Int {
        let router = self.router
        let channel = try await DatagramBootstrap(group: eventLoop)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            // A burst of pictures to many peers queues here rather than failing with ENOBUFS.
            .channelOption(.socketOption(.so_sndbuf), value: 4 << 20)
            .channelOption(.socketOption(.so_rcvbuf), value: 1 << 20)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(WebRTCDatagramHandler(router: router))
                }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
        let port = channel.localAddress?.port ?? 0
        try await eventLoop.submit {
            router.value.attach(channel: channel)
        }.get()
        logger.info("WebRTC listening", metadata: ["address": "\(configuration.host):\(port)/udp"])
        return port
    }

    /// The bound UDP port, once started.
    public func boundPort() async throws -> Int? {
        let router = self.router
        return try await eventLoop.submit { router.value.channel?.localAddress?.port }.get()
    }

    /// Answers a WHEP offer for `stream`: a new peer waiting for its checks. `reachedAt` is
    /// the address the HTTP request came in on, announced first (the client reached it);
    /// `client` the address it came from (for `maxConnectingPerClient`).
    public func open(
        stream: LiveStream, offer: String, reachedAt: String?, client: String? = nil
    ) async throws(WebRTCRefusal) -> WHEPResource {
        let parsed: WebRTCOffer
        do {
            parsed = try WebRTCOffer.parse(offer)
        } catch {
            throw error.isUnacceptable ? .unacceptable("\(error)") : .badOffer("\(error)")
        }
        let router = self.router
        let hubBox = stream.hub
        let context = self.context
        let fingerprint = self.fingerprint
        let result: Result<WHEPResource, WebRTCRefusal>
        do {
            result = try await eventLoop.submit {
                router.value.open(
                    hub: hubBox.value, offer: parsed, reachedAt: reachedAt, client: client, context: context, fingerprint: fingerprint)
            }.get()
        } catch {
            throw .notRunning
        }
        return try result.get()
    }

    /// PATCH: a trickle-ICE fragment (RFC 8840) for resource `id` of `path`. An ICE-lite agent
    /// makes no checks of its own, so the client's candidates need nothing from us; new
    /// credentials (an ICE restart) are refused, which the draft allows.
    public func trickle(id: String, path: String, fragment: String) async throws(WebRTCRefusal) {
        let parsed: TrickleFragment
        do {
            parsed = try TrickleFragment.parse(fragment)
        } catch {
            throw .badOffer("\(error)")
        }
        let router = self.router
        let result: Result<Void, WebRTCRefusal>
        do {
            result = try await eventLoop.submit { router.value.trickle(id: id, path: path, fragment: parsed) }.get()
        } catch {
            throw .notRunning
        }
        try result.get()
    }

    /// DELETE: ends resource `id` of `path`; false when there is none.
    public func close(id: String, path: String) async -> Bool {
        let router = self.router
        return (try? await eventLoop.submit { router.value.close(id: id, path: path, reason: "DELETE") }.get()) ?? false
    }

    /// Peers now, connecting or playing.
    public func peerCount() async -> Int {
        let router = self.router
        return (try? await eventLoop.submit { router.value.peers.count }.get()) ?? 0
    }

    /// WebRTC peer objects alive in this process (all servers): after every peer closed, 0
    /// once their last references went (the memory a peer held is released).
    public static var peerObjectsAlive: Int { WebRTCPeer.alive.load(ordering: .relaxed) }

    /// What the router has seen, for status and tests.
    public func counters() async -> WebRTCCounters {
        let router = self.router
        return (try? await eventLoop.submit { router.value.counters }.get()) ?? WebRTCCounters()
    }

    /// Ends every peer and closes the port.
    public func stop() async {
        let router = self.router
        let closed = try? await eventLoop.flatSubmit { router.value.stop() }.get()
        _ = closed
    }
}

/// A WHEP resource as the HTTP side answers it: 201, the answer, `Location: …/whep/ID`.
public struct WHEPResource: Sendable, Hashable {
    public var id: String
    public var answer: String
}

/// Why an offer or a request about a resource was refused, with the HTTP status it maps to.
public enum WebRTCRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    /// Not a usable offer (400).
    case badOffer(String)
    /// Nothing we send matches what the viewer takes (406).
    case unacceptable(String)
    /// At the peer limit (503).
    case tooManyPeers(Int)
    /// This client already has that many peers still connecting (429).
    case tooManyConnecting(Int)
    /// No such resource (404).
    case noResource
    /// A trickle fragment asking for an ICE restart (422: the draft lets a server refuse it).
    case restartRefused
    /// The server is stopping (503).
    case notRunning

    public var description: String {
        switch self {
        case .badOffer(let why): return "the offer is not usable: \(why)"
        case .unacceptable(let why): return "nothing this stream sends is in the offer: \(why)"
        case .tooManyPeers(let limit): return "at the WebRTC viewer limit (\(limit)); try again later"
        case .tooManyConnecting(let limit):
            return "\(limit) WebRTC sessions from this address are still connecting; try again when they have (or have timed out)"
        case .noResource: return "no such WHEP session"
        case .restartRefused: return "ICE restarts are not supported; make a new offer (POST)"
        case .notRunning: return "WebRTC is not running"
        }
    }

    public var httpStatus: Int {
        switch self {
        case .badOffer: return 400
        case .unacceptable: return 406
        case .tooManyPeers, .notRunning: return 503
        case .tooManyConnecting: return 429
        case .noResource: return 404
        case .restartRefused: return 422
        }
    }
}

/// Totals over the server's life.
public struct WebRTCCounters: Sendable, Hashable {
    public var peersOpened = 0
    public var peersConnected = 0
    public var closedByDelete = 0
    public var closedByConsent = 0
    public var closedByTimeout = 0
    /// Datagrams from addresses no check validated, dropped after a lookup.
    public var strangers = 0
    public init() {}
}

/// The peers of the WebRTC port and the tables that find them. On the loop only.
final class WebRTCRouter {
    let configuration: WebRTCServer.Configuration
    let logger: Logger
    private(set) var channel: (any Channel)?
    private(set) var peers: [String: WebRTCPeer] = [:]
    private var byUfrag: [String: WebRTCPeer] = [:]
    private var byAddress: [SocketAddress: WebRTCPeer] = [:]
    private var sweeper: Scheduled<Void>?
    var counters = WebRTCCounters()

    let eventLoop: any EventLoop

    init(configuration: WebRTCServer.Configuration, eventLoop: any EventLoop, logger: Logger) {
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.logger = logger
    }

    func attach(channel: any Channel) {
        self.channel = channel
        scheduleSweep()
    }

    private func scheduleSweep() {
        sweeper = eventLoop.assumeIsolated().scheduleTask(in: .seconds(1)) { [weak self] in
            guard let self, self.channel != nil else { return }
            self.sweep()
            self.scheduleSweep()
        }
    }

    func open(
        hub: StreamHub, offer: WebRTCOffer, reachedAt: String?, client: String?, context: DTLSContext, fingerprint: DTLSFingerprint
    ) -> Result<WHEPResource, WebRTCRefusal> {
        guard let channel, let port = channel.localAddress?.port else { return .failure(.notRunning) }
        guard !hub.isShutDown else { return .failure(.noResource) }
        guard peers.count < configuration.maxPeers else { return .failure(.tooManyPeers(configuration.maxPeers)) }
        if let client {
            let connecting = peers.values.reduce(0) { $0 + ($1.client == client && $1.state == .connecting ? 1 : 0) }
            guard connecting < configuration.connectingLimit else {
                return .failure(.tooManyConnecting(configuration.connectingLimit))
            }
        }
        var ufrag = Self.iceString(length: 8)
        while byUfrag[ufrag] != nil { ufrag = Self.iceString(length: 8) }
        let credentials = ICELite.Credentials(localUfrag: ufrag, localPassword: Self.iceString(length: 24), remoteUfrag: offer.iceUfrag)
        let local = WebRTCLocalEndpoint(
            iceUfrag: credentials.localUfrag, icePassword: credentials.localPassword, fingerprint: fingerprint.sdp,
            candidates: candidateAddresses(reachedAt: reachedAt).map { WebRTCCandidate(address: $0, port: port) },
            sessionID: UInt64.random(in: 1...UInt64(Int64.max)))
        let answer: WebRTCAnswer
        do {
            answer = try WebRTCNegotiation.answer(offer, tracks: hub.webRTCTracks(), local: local)
        } catch {
            return .failure(error.isUnacceptable ? .unacceptable("\(error)") : .badOffer("\(error)"))
        }
        guard let remoteFingerprint = DTLSFingerprint(sdp: offer.fingerprint) else {
            return .failure(.badOffer("a=fingerprint \"\(offer.fingerprint)\" is not \"sha-256 XX:XX:…\""))
        }
        let dtls: DTLSSession
        do {
            dtls = try DTLSSession(context: context, role: answer.dtlsRole == "active" ? .client : .server, remoteFingerprint: remoteFingerprint)
        } catch {
            return .failure(.notRunning)
        }
        let id = Self.resourceID()
        let peer = WebRTCPeer(
            id: id, path: hub.path, client: client, credentials: credentials, bindings: answer.bindings, hub: hub, channel: channel,
            dtls: dtls, logger: logger
        ) { [weak self] peer, reason in
            self?.forget(peer, reason: reason)
        }
        peers[id] = peer
        byUfrag[ufrag] = peer
        counters.peersOpened += 1
        logger.info("WHEP offer answered", metadata: [
            "webrtc": "\(id.prefix(8))", "stream": "\(hub.path)", "tracks": "\(answer.bindings.map(\.trackIndex))",
        ])
        return .success(WHEPResource(id: id, answer: answer.sdp.serialized()))
    }

    func trickle(id: String, path: String, fragment: TrickleFragment) -> Result<Void, WebRTCRefusal> {
        guard let peer = peers[id], peer.path == path else { return .failure(.noResource) }
        if let ufrag = fragment.iceUfrag, ufrag != peer.credentials.remoteUfrag { return .failure(.restartRefused) }
        return .success(())
    }

    func close(id: String, path: String, reason: String) -> Bool {
        guard let peer = peers[id], peer.path == path else { return false }
        counters.closedByDelete += 1
        peer.close(reason: reason)
        return true
    }

    private func forget(_ peer: WebRTCPeer, reason: String) {
        peers[peer.id] = nil
        if byUfrag[peer.credentials.localUfrag] === peer { byUfrag[peer.credentials.localUfrag] = nil }
        for address in peer.validated where byAddress[address] === peer { byAddress[address] = nil }
    }

    /// RFC 7983 §7, by the first byte.
    func receive(_ envelope: AddressedEnvelope<ByteBuffer>) {
        let buffer = envelope.data
        let address = envelope.remoteAddress
        guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return }
        switch first {
        case 0...3:
            let bytes = Array(buffer.readableBytesView)
            let peer = ICELite.localUfrag(ofRequest: bytes).flatMap { byUfrag[$0] }
            guard let peer else {
                counters.strangers += 1
                return
            }
            let wasPlaying = peer.state == .playing
            if peer.receiveSTUN(bytes, from: address) {
                if let other = byAddress[address], other !== peer { other.close(reason: "its address was taken by another peer") }
                byAddress[address] = peer
            }
            if !wasPlaying && peer.state == .playing { counters.peersConnected += 1 }
        case 20...63:
            guard let peer = byAddress[address] else {
                counters.strangers += 1
                return
            }
            let wasPlaying = peer.state == .playing
            peer.receiveDTLS(buffer, from: address)
            if !wasPlaying && peer.state == .playing { counters.peersConnected += 1 }
        case 128...191:
            guard let peer = byAddress[address] else {
                counters.strangers += 1
                return
            }
            peer.receiveSRTP(buffer)
        default:
            counters.strangers += 1
        }
    }

    /// Once a second: peers that never connected, lost consent, or whose stream went away.
    private func sweep() {
        let now = eventLoop.now
        for peer in Array(peers.values) {
            if peer.hub == nil || peer.hub?.isShutDown == true {
                peer.close(reason: "the stream is gone")
            } else if peer.state == .connecting, now - peer.created > configuration.connectTimeout {
                counters.closedByTimeout += 1
                peer.close(reason: "ICE and DTLS did not complete within \(configuration.connectTimeout.nanoseconds / 1_000_000_000) s")
            } else if let consent = peer.lastConsent, now - consent > configuration.consentTimeout {
                counters.closedByConsent += 1
                peer.close(reason: "consent expired: no connectivity check for \(configuration.consentTimeout.nanoseconds / 1_000_000_000) s")
            }
        }
    }

    func stop() -> EventLoopFuture<Void> {
        sweeper?.cancel()
        for peer in Array(peers.values) { peer.close(reason: "Vigil is stopping") }
        guard let channel else { return eventLoop.makeSucceededVoidFuture() }
        self.channel = nil
        return channel.close()
    }

    /// Candidate addresses, first the one the request reached, then the configured ones, then
    /// the box's IPv4 interfaces (loopback last, for a viewer on the box itself).
    func candidateAddresses(reachedAt: String?) -> [String] {
        var list: [String] = []
        func add(_ address: String) {
            if !address.isEmpty, address != "0.0.0.0", address != "::", !list.contains(address) { list.append(address) }
        }
        if let reachedAt { add(reachedAt.hasPrefix("::ffff:") ? String(reachedAt.dropFirst(7)) : reachedAt) }
        for address in configuration.addresses { add(address) }
        if configuration.host != "0.0.0.0" {
            add(configuration.host)
        } else {
            interfaceAddresses.forEach(add)
        }
        return list
    }

    /// The box's IPv4 interface addresses, loopback last: read once (at the first offer),
    /// not for every POST on the loop.
    private lazy var interfaceAddresses: [String] = {
        var others: [String] = []
        var loopback: [String] = []
        for device in (try? System.enumerateDevices()) ?? [] {
            guard case .v4 = device.address, let ip = device.address?.ipAddress else { continue }
            if ip.hasPrefix("127.") { loopback.append(ip) } else { others.append(ip) }
        }
        return others + loopback
    }()

    /// RFC 8839 §5.4: ice-char is ALPHA / DIGIT / "+" / "/"; ufrag ≥ 4 characters, password ≥ 22.
    static func iceString(length: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }

    /// 128 random bits, hex.
    static func resourceID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let value = generator.next() as UInt64
            let hex = String(value, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }
}

/// The UDP channel's only handler: every datagram to the router, on the loop.
final class WebRTCDatagramHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let router: NIOLoopBoundBox<WebRTCRouter>

    init(router: NIOLoopBoundBox<WebRTCRouter>) {
        self.router = router
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        router.value.receive(unwrapInboundIn(data))
    }

    /// A refused send (ICMP port unreachable from a peer that went away) must not close the
    /// port for everyone.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {}
}

extension StreamHub {
    /// What each track sends, for the WebRTC answer.
    func webRTCTracks() -> [WebRTCLocalTrack] {
        tracks.map { track in
            let config = track.configuration
            return WebRTCLocalTrack(
                trackIndex: track.index, kind: config.kind.rawValue, encoding: config.encodingName, clockRate: config.clockRate,
                channels: config.codec == .opus ? 2 : config.channels, fmtp: config.formatParameters, ssrc: config.ssrc,
                cname: configuration.cname)
        }
    }
}
