import COpenSSL

/// Which end of the DTLS handshake this is. In WebRTC the SDP's `a=setup` decides
/// (RFC 5763 §5): "active" is the client, "passive" the server.
public enum DTLSRole: Sendable, Hashable {
    case server
    case client
}

/// What a session call produced: datagrams to send to the peer, in order; the SRTP keys, once,
/// from the call that completed the handshake; and whether the session is over.
public struct DTLSOutput: Sendable, Hashable {
    public var datagrams: [[UInt8]]
    /// Set once: when the handshake completes and the peer's certificate matched the SDP.
    public var keys: SRTPKeyMaterial?
    /// The session is over: the peer sent close_notify or a fatal alert (or, from `close()`
    /// and `handleTimeout()`, this end ended it).
    public var closed: Bool
    /// Application data the peer sent after the handshake (nothing, for media-only WebRTC;
    /// SCTP data channels would arrive here).
    public var applicationData: [[UInt8]]

    public init(datagrams: [[UInt8]] = [], keys: SRTPKeyMaterial? = nil, closed: Bool = false, applicationData: [[UInt8]] = []) {
        self.datagrams = datagrams
        self.keys = keys
        self.closed = closed
        self.applicationData = applicationData
    }
}

/// One WebRTC peer's DTLS 1.2 association — RFC 6347, with DTLS-SRTP (RFC 5764) and the
/// peer checked by fingerprint (RFC 5763 §5, RFC 8122). Datagrams in, datagrams out: OpenSSL
/// reads from a memory BIO and writes to a `DatagramSink`; there is no socket. The handshake
/// timer is OpenSSL's (it reads the wall clock); the caller asks `retransmitDeadline` and calls
/// `handleTimeout()` when it passes.
///
/// Not `Sendable`: one owner (the peer's event loop) calls it.
public final class DTLSSession {
    /// The largest datagram the session writes: an IPv6 path's minimum MTU (1280) less the
    /// IPv6 and UDP headers and room for a TURN channel header — what browsers assume too.
    public static let mtu = 1200
    /// UDP carries at most this much; a longer "datagram" is not one and is dropped unread.
    static let maximumDatagramLength = 65_535

    public let role: DTLSRole
    public let remoteFingerprint: DTLSFingerprint
    private let context: DTLSContext
    private let ssl: OpaquePointer
    /// Owned by `ssl` (SSL_set_bio); kept to write datagrams into and to empty after each one.
    private let incoming: OpaquePointer
    private let sink: DatagramSink
    private let peer: PeerCheck

    private enum State: Hashable {
        case handshaking
        case established
        case closed
        case failed(DTLSError)
    }

    private var state = State.handshaking

    public init(context: DTLSContext, role: DTLSRole, remoteFingerprint: DTLSFingerprint) throws {
        guard let ssl = SSL_new(context.context) else { throw OpenSSLErrorQueue.error("SSL_new") }
        guard let incoming = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            throw OpenSSLErrorQueue.error("BIO_new(BIO_s_mem)")
        }
        guard let outgoing = BIO_new(context.datagramMethod) else {
            BIO_free(incoming)
            SSL_free(ssl)
            throw OpenSSLErrorQueue.error("BIO_new(datagram sink)")
        }
        // An empty memory BIO says "retry" rather than end-of-file: more datagrams will come.
        _ = vigil_BIO_set_mem_eof_return(incoming, -1)
        let sink = DatagramSink(mtu: Self.mtu)
        let peer = PeerCheck(expected: remoteFingerprint)
        BIO_set_data(outgoing, Unmanaged.passUnretained(sink).toOpaque())
        SSL_set_bio(ssl, incoming, outgoing)
        self.ssl = ssl
        self.incoming = incoming
        self.sink = sink
        self.peer = peer
        self.context = context
        self.role = role
        self.remoteFingerprint = remoteFingerprint
        // `peer` lives as long as `self`, which frees `ssl` in deinit: unretained is enough.
        guard SSL_set_ex_data(ssl, PeerCheck.exDataIndex, Unmanaged.passUnretained(peer).toOpaque()) == 1 else {
            throw OpenSSLErrorQueue.error("SSL_set_ex_data")
        }
        _ = vigil_SSL_set_mtu(ssl, Self.mtu)
        switch role {
        case .server: SSL_set_accept_state(ssl)
        case .client: SSL_set_connect_state(ssl)
        }
    }

    deinit {
        SSL_free(ssl)  // and both BIOs with it
    }

    /// Whether the handshake is done and the peer proved to be the one the SDP named.
    public var isEstablished: Bool { state == .established }

    /// Begins the handshake: a client's first flight (ClientHello); a server waits for one.
    public func start() -> DTLSOutput {
        guard role == .client, state == .handshaking else { return DTLSOutput() }
        do { return try handshake() } catch { return DTLSOutput(datagrams: sink.take(), closed: true) }
    }

    /// One datagram from the peer. Before the handshake completes this advances it (an
    /// output's `keys` says it has); after, it reads alerts and application data. A record
    /// that does not decrypt or parse is dropped, as RFC 6347 §4.1.2.7 asks. Throws when the
    /// handshake fails — the peer's alert, OpenSSL's reason, a fingerprint mismatch, no SRTP
    /// profile — and keeps throwing that error after; the alert OpenSSL queued for the peer
    /// comes out of the next `close()`.
    public func receive(_ datagram: some Collection<UInt8>) throws(DTLSError) -> DTLSOutput {
        switch state {
        case .failed(let error): throw error
        case .closed: return DTLSOutput(datagrams: sink.take(), closed: true)
        case .handshaking, .established: break
        }
        guard !datagram.isEmpty, datagram.count <= Self.maximumDatagramLength else { return DTLSOutput(datagrams: sink.take()) }
        let bytes = Array(datagram)
        // One datagram at a time: whatever OpenSSL left of the last one is not part of this one.
        _ = BIO_ctrl(incoming, BIO_CTRL_RESET, 0, nil)
        let written = bytes.withUnsafeBytes { BIO_write(incoming, $0.baseAddress, Int32($0.count)) }
        guard written == Int32(bytes.count) else { return DTLSOutput(datagrams: sink.take()) }
        var output = DTLSOutput()
        if state == .handshaking {
            output = try handshake()
            guard state == .established else { return output }
        }
        readApplicationData(into: &output)
        output.datagrams += sink.take()
        return output
    }

    /// Time left until the handshake timer fires (zero once it has); `nil` when no timer runs —
    /// the handshake is done, or not started, or the session is over.
    public var retransmitDeadline: Duration? {
        guard state == .handshaking || state == .established else { return nil }
        var left = timeval()
        guard vigil_DTLSv1_get_timeout(ssl, &left) == 1 else { return nil }
        return .seconds(Int64(left.tv_sec)) + .microseconds(Int64(left.tv_usec))
    }

    /// Retransmits the last flight if the handshake timer has fired (nothing if it has not).
    /// When OpenSSL gives up retransmitting, the session fails with `.handshakeTimedOut` and
    /// the output says `closed`.
    public func handleTimeout() -> DTLSOutput {
        guard state == .handshaking || state == .established else { return DTLSOutput(datagrams: sink.take(), closed: state != .handshaking) }
        OpenSSLErrorQueue.clear()
        if vigil_DTLSv1_handle_timeout(ssl) < 0 {
            OpenSSLErrorQueue.clear()
            state = .failed(.handshakeTimedOut)
            return DTLSOutput(datagrams: sink.take(), closed: true)
        }
        return DTLSOutput(datagrams: sink.take())
    }

    /// Ends the session with a close_notify alert (RFC 5246 §7.2.1) — or, after a failed
    /// handshake, with the alert OpenSSL queued then. The session is over after this.
    public func close() -> DTLSOutput {
        if state == .handshaking || state == .established {
            OpenSSLErrorQueue.clear()
            _ = SSL_shutdown(ssl)
            OpenSSLErrorQueue.clear()
            state = .closed
        }
        return DTLSOutput(datagrams: sink.take(), closed: true)
    }

    // MARK: Steps

    /// SSL_do_handshake once; on completion, the fingerprint checked again, the profile read
    /// and the keys exported.
    private func handshake() throws(DTLSError) -> DTLSOutput {
        OpenSSLErrorQueue.clear()
        let result = SSL_do_handshake(ssl)
        if result != 1 {
            let code = SSL_get_error(ssl, result)
            if code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE {
                return DTLSOutput(datagrams: sink.take())
            }
            let reason = OpenSSLErrorQueue.drain()
            if peer.received != nil, peer.received != peer.expected {
                throw fail(.fingerprintMismatch(expected: peer.expected, received: peer.received))
            }
            throw fail(.handshakeFailed(reason: reason))
        }
        let keys = try completedHandshakeKeys()
        state = .established
        return DTLSOutput(datagrams: sink.take(), keys: keys)
    }

    private func completedHandshakeKeys() throws(DTLSError) -> SRTPKeyMaterial {
        // The verify callback has checked the fingerprint; checked here again, so that no key
        // leaves a session whose peer was not seen and matched.
        guard let certificate = SSL_get1_peer_certificate(ssl) else { throw failAfterHandshake(.noPeerCertificate) }
        defer { X509_free(certificate) }
        guard peer.accepts(certificate) else {
            throw failAfterHandshake(.fingerprintMismatch(expected: peer.expected, received: peer.received))
        }
        guard let selected = SSL_get_selected_srtp_profile(ssl) else { throw failAfterHandshake(.noSRTPProfile(selected: nil)) }
        guard let profile = SRTPProfile(useSRTPIdentifier: UInt(selected.pointee.id)) else {
            throw failAfterHandshake(.noSRTPProfile(selected: selected.pointee.name.map { String(cString: $0) }))
        }
        var exported = [UInt8](repeating: 0, count: SRTPKeyMaterial.exportedLength(profile))
        let label = SRTPKeyMaterial.exporterLabel
        let result = exported.withUnsafeMutableBufferPointer { out in
            SSL_export_keying_material(ssl, out.baseAddress, out.count, label, label.utf8.count, nil, 0, 0)
        }
        guard result == 1, let keys = SRTPKeyMaterial(exported: exported, profile: profile, role: role) else {
            throw failAfterHandshake(.keyExportFailed(reason: OpenSSLErrorQueue.drain()))
        }
        return keys
    }

    /// Reads what the peer sent after the handshake: application data, close_notify, a fatal
    /// alert (the session is over), or nothing (the record was a retransmission or garbage).
    private func readApplicationData(into output: inout DTLSOutput) {
        var buffer = [UInt8](repeating: 0, count: Self.maximumDatagramLength)
        while state == .established {
            OpenSSLErrorQueue.clear()
            let count = buffer.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
            if count > 0 {
                output.applicationData.append(Array(buffer[0..<Int(count)]))
                continue
            }
            let code = SSL_get_error(ssl, count)
            if code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE { break }
            // SSL_ERROR_ZERO_RETURN is close_notify; SSL_ERROR_SSL a fatal alert or a fatal
            // protocol error. Either way OpenSSL will not read this association again.
            OpenSSLErrorQueue.clear()
            state = .closed
            output.closed = true
        }
    }

    private func fail(_ error: DTLSError) -> DTLSError {
        state = .failed(error)
        return error
    }

    /// A failure found after OpenSSL finished the handshake: the peer is told (close_notify;
    /// the flight that finished it is withheld) and the session fails.
    private func failAfterHandshake(_ error: DTLSError) -> DTLSError {
        _ = sink.take()
        OpenSSLErrorQueue.clear()
        _ = SSL_shutdown(ssl)
        OpenSSLErrorQueue.clear()
        return fail(error)
    }
}
