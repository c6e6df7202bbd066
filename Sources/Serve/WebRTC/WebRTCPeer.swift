import ICE
import Logging
import NIOCore
import SecureMedia
import ServeWire
import Synchronization

/// One WebRTC viewer (a WHEP resource): its ICE-lite credentials and the addresses that
/// passed a check, its DTLS handshake, and once that is done its SRTP keys and its outputs on
/// the live hub. The hub's packets are shared with every other viewer; this class rewrites
/// each copy's payload type to the number the viewer's offer chose, protects it with the
/// viewer's own keys, and sends it to the address ICE selected (`PacketPath`).
///
/// Confined to the hub's event loop, like the hub and the router that owns it.
final class WebRTCPeer {
    enum State: String {
        /// Answered; waiting for the first connectivity check and the DTLS handshake.
        case connecting
        /// DTLS done, SRTP keys in hand: on the hub.
        case playing
        case closed
    }

    /// The WHEP resource's name (its URL's last part): 128 random bits, unguessable.
    let id: String
    let path: String
    /// The address the offer came from.
    let client: String?
    let credentials: ICELite.Credentials
    let bindings: [WebRTCBinding]
    /// The offer's payload type for each of our tracks it takes.
    private let payloadTypes: [Int: UInt8]
    private(set) weak var hub: StreamHub?
    let channel: any Channel
    private let dtls: DTLSSession
    private var srtp: SRTPSession?
    private(set) var state = State.connecting
    /// Where media goes: the pair the controlling agent nominated, or until it does, the last
    /// address whose check succeeded.
    private(set) var selected: SocketAddress?
    private var nominated = false
    /// Every address that passed a check: DTLS and SRTCP are taken from these only.
    private(set) var validated: Set<SocketAddress> = []
    private(set) var session: RTSPSession?
    let created: NIODeadline
    /// The last successful connectivity check (RFC 7675 consent).
    private(set) var lastConsent: NIODeadline?
    private var retransmission: Scheduled<Void>?
    private let logger: Logger
    /// Told when the peer closes, so the router forgets it.
    private let onClose: (WebRTCPeer, String) -> Void

    // Counters for logs and tests.
    private(set) var checksAnswered = 0
    private(set) var srtcpRefused = 0
    private(set) var protectFailures = 0

    init(
        id: String, path: String, client: String?, credentials: ICELite.Credentials, bindings: [WebRTCBinding], hub: StreamHub, channel: any Channel,
        dtls: DTLSSession, logger: Logger, onClose: @escaping (WebRTCPeer, String) -> Void
    ) {
        self.id = id
        self.path = path
        self.client = client
        self.credentials = credentials
        self.bindings = bindings
        self.payloadTypes = Dictionary(bindings.map { ($0.trackIndex, $0.payloadType) }, uniquingKeysWith: { first, _ in first })
        self.hub = hub
        self.channel = channel
        self.dtls = dtls
        self.created = channel.eventLoop.now
        var logger = logger
        logger[metadataKey: "webrtc"] = "\(id.prefix(8))"
        logger[metadataKey: "stream"] = "\(path)"
        self.logger = logger
        self.onClose = onClose
        Self.alive.add(1, ordering: .relaxed)
    }

    deinit {
        Self.alive.subtract(1, ordering: .relaxed)
    }

    /// Peer objects not yet freed, in the whole process: a closed peer that lingers (a
    /// reference cycle, a timer never cancelled) shows here.
    static let alive = Atomic<Int>(0)

    // MARK: - Datagrams in

    /// A STUN message from `address`: a connectivity check answered, and the address
    /// remembered as validated (and selected if nominated).
    func receiveSTUN(_ bytes: [UInt8], from address: SocketAddress) -> Bool {
        guard state != .closed, let ip = address.rawIPBytes, let port = address.port else { return false }
        switch ICELite.answer(bytes, from: ip, port: UInt16(port), credentials: credentials) {
        case .answer(let response, let nominates):
            write(response, to: address)
            channel.flush()
            checksAnswered += 1
            lastConsent = channel.eventLoop.now
            let isNew = validated.insert(address).inserted
            if nominates || !nominated {
                if selected != address {
                    logger.debug("ICE pair selected", metadata: ["peer": "\(address)", "nominated": "\(nominates)"])
                }
                selected = address
                nominated = nominated || nominates
            }
            return isNew
        case .refuse(let response, let code):
            write(response, to: address)
            channel.flush()
            logger.debug("connectivity check refused", metadata: ["peer": "\(address)", "code": "\(code)"])
            return false
        case .ignore:
            return false
        }
    }

    /// A DTLS record from a validated address.
    func receiveDTLS(_ buffer: ByteBuffer, from address: SocketAddress) {
        guard state != .closed else { return }
        do {
            let output = try dtls.receive(buffer.readableBytesView)
            handle(output, to: address)
        } catch {
            logger.notice("DTLS handshake with a WebRTC viewer failed", metadata: ["error": "\(error)"])
            close(reason: "DTLS failed: \(error)")
        }
    }

    /// An SRTCP packet (RFC 5761 §4: payload types 192–223 after the first byte are RTCP):
    /// receiver reports and feedback, handed to the hub once per track the peer plays (each
    /// takes the reports about its own SSRC).
    func receiveSRTP(_ buffer: ByteBuffer) {
        guard state == .playing, let srtp, let session, let hub else { return }
        guard let second = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt8.self), (192...223).contains(second) else {
            return  // media from the viewer: it was offered recvonly, and we play nothing back
        }
        var packet = buffer
        do {
            try srtp.unprotectRTCP(&packet)
        } catch {
            srtcpRefused += 1
            if srtcpRefused == 1 || srtcpRefused % 100 == 0 {
                logger.debug("SRTCP packet refused", metadata: ["error": "\(error)", "refused": "\(srtcpRefused)"])
            }
            return
        }
        for output in session.outputs.values.sorted(by: { $0.trackIndex < $1.trackIndex }) {
            hub.receiveRTCP(packet, track: output.trackIndex, from: nil, output: output)
        }
    }

    private func handle(_ output: DTLSOutput, to address: SocketAddress) {
        for datagram in output.datagrams { write(datagram, to: address) }
        if !output.datagrams.isEmpty { channel.flush() }
        if let keys = output.keys, srtp == nil {
            do {
                srtp = try SRTPSession(keys: keys)
            } catch {
                close(reason: "SRTP keys refused: \(error)")
                return
            }
            if selected == nil { selected = address }
            startMedia()
        }
        if output.closed {
            close(reason: "the viewer closed DTLS")
            return
        }
        scheduleRetransmission()
    }

    private func scheduleRetransmission() {
        retransmission?.cancel()
        retransmission = nil
        guard state != .closed, !dtls.isEstablished, let wait = dtls.retransmitDeadline else { return }
        let nanoseconds = max(1_000_000, wait.components.seconds * 1_000_000_000 + wait.components.attoseconds / 1_000_000_000)
        retransmission = channel.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(nanoseconds)) { [weak self] in
            guard let self, self.state != .closed else { return }
            let output = self.dtls.handleTimeout()
            if let address = self.selected ?? self.validated.first {
                self.handle(output, to: address)
            }
        }
    }

    // MARK: - Media

    private func startMedia() {
        guard let hub, let address = selected else {
            close(reason: "the stream is gone")
            return
        }
        let session = RTSPSession(
            id: "webrtc-\(id.prefix(12))", source: hub, offer: ObjectIdentifier(hub), connectionID: ObjectIdentifier(self),
            peer: address, now: channel.eventLoop.now)
        for binding in bindings {
            session.outputs[binding.trackIndex] = TrackOutput(trackIndex: binding.trackIndex, transport: .path(self), session: session)
        }
        session.hasStarted = true
        self.session = session
        state = .playing
        logger.info("WebRTC viewer connected", metadata: ["peer": "\(address)", "tracks": "\(bindings.map(\.trackIndex))"])
        hub.playLive(session, baseURL: "") { _ in }
    }

    /// Ends the peer: its media (with an RTCP BYE), DTLS with close_notify, its timers.
    func close(reason: String) {
        guard state != .closed else { return }
        if let session, let hub {
            hub.stop(session, goodbye: true)
        }
        state = .closed
        session = nil
        retransmission?.cancel()
        retransmission = nil
        if let address = selected {
            for datagram in dtls.close().datagrams { write(datagram, to: address) }
            channel.flush()
        }
        srtp = nil
        logger.info("WebRTC viewer closed", metadata: ["reason": "\(reason)"])
        onClose(self, reason)
    }

    private func write(_ bytes: [UInt8], to address: SocketAddress) {
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        channel.write(AddressedEnvelope(remoteAddress: address, data: buffer), promise: nil)
    }
}

extension WebRTCPeer: PacketPath {
    var name: String { "webrtc" }

    var isWritable: Bool { state == .playing && channel.isWritable }

    /// RFC 3711 §3.1: the auth tag (10 bytes for AES_CM_128_HMAC_SHA1_80, 16 for AES-GCM) is
    /// appended; room for the largest is reserved with the copy.
    private static let trailerRoom = 16

    func send(rtp packet: ByteBuffer, track: Int) {
        guard let srtp, let address = selected, let payloadType = payloadTypes[track] else { return }
        var copy = channel.allocator.buffer(capacity: packet.readableBytes + Self.trailerRoom)
        copy.writeImmutableBuffer(packet)
        // RFC 3550 §5.1: the marker bit stays; the 7-bit payload type becomes the offer's.
        if let second = copy.getInteger(at: copy.readerIndex + 1, as: UInt8.self) {
            copy.setInteger((second & 0x80) | (payloadType & 0x7F), at: copy.readerIndex + 1)
        }
        do {
            try srtp.protectRTP(&copy)
        } catch {
            protectFailures += 1
            return
        }
        channel.write(AddressedEnvelope(remoteAddress: address, data: copy), promise: nil)
    }

    func send(rtcp packet: ByteBuffer, track: Int) {
        guard let srtp, let address = selected else { return }
        var copy = channel.allocator.buffer(capacity: packet.readableBytes + Self.trailerRoom + 4)
        copy.writeImmutableBuffer(packet)
        do {
            try srtp.protectRTCP(&copy)
        } catch {
            protectFailures += 1
            return
        }
        channel.write(AddressedEnvelope(remoteAddress: address, data: copy), promise: nil)
    }

    func flush() {
        channel.flush()
    }
}

extension SocketAddress {
    /// The address's bytes in network order (4 for IPv4, 16 for IPv6), as STUN's
    /// XOR-MAPPED-ADDRESS carries them.
    var rawIPBytes: [UInt8]? {
        switch self {
        case .v4(let v4):
            var address = v4.address.sin_addr
            return withUnsafeBytes(of: &address) { Array($0) }
        case .v6(let v6):
            var address = v6.address.sin6_addr
            return withUnsafeBytes(of: &address) { Array($0) }
        case .unixDomainSocket:
            return nil
        }
    }
}
