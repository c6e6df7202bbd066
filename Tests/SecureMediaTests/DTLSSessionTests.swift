import XCTest

@testable import SecureMedia

/// Vigil's DTLS client and server against each other in memory, datagrams passed by hand:
/// keys crosswise equal, a lost datagram recovered by the handshake timer, a stranger's
/// certificate refused, close_notify seen as the end.
final class DTLSSessionTests: XCTestCase {
    struct Pair {
        var client: DTLSSession
        var server: DTLSSession
        var clientCertificate: DTLSCertificate
        var serverCertificate: DTLSCertificate
    }

    static func pair(serverExpects: DTLSFingerprint? = nil) throws -> Pair {
        let clientCertificate = try DTLSCertificate.generate()
        let serverCertificate = try DTLSCertificate.generate()
        let client = try DTLSSession(
            context: DTLSContext(certificate: clientCertificate), role: .client, remoteFingerprint: serverCertificate.fingerprint)
        let server = try DTLSSession(
            context: DTLSContext(certificate: serverCertificate), role: .server,
            remoteFingerprint: serverExpects ?? clientCertificate.fingerprint)
        return Pair(client: client, server: server, clientCertificate: clientCertificate, serverCertificate: serverCertificate)
    }

    /// Passes datagrams both ways until neither side has more, dropping those `drop` says to;
    /// returns the keys each side reported.
    static func exchange(
        _ pair: Pair, first: [[UInt8]], drop: (_ toServer: Bool, _ index: Int) -> Bool = { _, _ in false }
    ) throws -> (client: SRTPKeyMaterial?, server: SRTPKeyMaterial?) {
        var toServer = first
        var toClient: [[UInt8]] = []
        var clientKeys: SRTPKeyMaterial?
        var serverKeys: SRTPKeyMaterial?
        var sentToServer = 0
        var sentToClient = 0
        for _ in 0..<20 where !(toServer.isEmpty && toClient.isEmpty) {
            for datagram in toServer {
                defer { sentToServer += 1 }
                if drop(true, sentToServer) { continue }
                let output = try pair.server.receive(datagram)
                toClient += output.datagrams
                if let keys = output.keys { serverKeys = keys }
            }
            toServer = []
            for datagram in toClient {
                defer { sentToClient += 1 }
                if drop(false, sentToClient) { continue }
                let output = try pair.client.receive(datagram)
                toServer += output.datagrams
                if let keys = output.keys { clientKeys = keys }
            }
            toClient = []
        }
        return (clientKeys, serverKeys)
    }

    func testClientAndServerAgreeOnCrosswiseKeys() throws {
        let pair = try Self.pair()
        XCTAssertNil(pair.client.retransmitDeadline, "no timer before the handshake starts")
        XCTAssertTrue(pair.server.start().datagrams.isEmpty, "a server waits for the ClientHello")
        let hello = pair.client.start()
        XCTAssertEqual(hello.datagrams.count, 1, "the ClientHello, in one datagram")
        XCTAssertEqual(hello.datagrams.first?.first, 22, "a handshake record (RFC 6347 §4.1)")
        XCTAssertNotNil(pair.client.retransmitDeadline, "the client's timer runs while it waits")
        let keys = try Self.exchange(pair, first: hello.datagrams)
        let client = try XCTUnwrap(keys.client)
        let server = try XCTUnwrap(keys.server)
        XCTAssertTrue(pair.client.isEstablished)
        XCTAssertTrue(pair.server.isEstablished)
        XCTAssertEqual(client.profile, .aeadAes128Gcm, "both offer GCM first")
        XCTAssertEqual(client.localKey, server.remoteKey)
        XCTAssertEqual(client.localSalt, server.remoteSalt)
        XCTAssertEqual(client.remoteKey, server.localKey)
        XCTAssertEqual(client.remoteSalt, server.localSalt)
        XCTAssertNotEqual(client.localKey, client.remoteKey)
        XCTAssertEqual(client.localKey.count, 16)
        XCTAssertEqual(client.localSalt.count, 12)

        // The keys work: what one side protects the other unprotects.
        let clientSRTP = try SRTPSession(keys: client)
        let serverSRTP = try SRTPSession(keys: server)
        var packet = SRTPSessionTests.rtp(sequence: 7, ssrc: 0x1234_5678, payload: Array("media".utf8))
        let plain = packet
        try serverSRTP.protectRTP(&packet)
        try clientSRTP.unprotectRTP(&packet)
        XCTAssertEqual(packet, plain)

        // close_notify: the peer learns the session is over.
        let bye = pair.client.close()
        XCTAssertTrue(bye.closed)
        XCTAssertFalse(bye.datagrams.isEmpty, "a close_notify alert")
        var closed = false
        for datagram in bye.datagrams { closed = try pair.server.receive(datagram).closed || closed }
        XCTAssertTrue(closed)
        XCTAssertFalse(pair.server.isEstablished)
    }

    /// The server's first flight is lost; the client's timer fires, it sends the ClientHello
    /// again, and the server answers it with its flight again.
    func testALostDatagramIsRecoveredByTheHandshakeTimer() throws {
        let pair = try Self.pair()
        let hello = pair.client.start().datagrams
        var serverFlight: [[UInt8]] = []
        for datagram in hello { serverFlight += try pair.server.receive(datagram).datagrams }
        XCTAssertFalse(serverFlight.isEmpty)
        // serverFlight is dropped: the client hears nothing.
        let wait = try XCTUnwrap(pair.client.retransmitDeadline)
        XCTAssertGreaterThan(wait, .zero)
        XCTAssertLessThanOrEqual(wait, .seconds(1), "RFC 6347 §4.2.4.1: an initial timer of one second")
        XCTAssertTrue(pair.client.handleTimeout().datagrams.isEmpty, "nothing is due before the timer fires")
        Thread.sleep(forTimeInterval: Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18 + 0.05)
        XCTAssertEqual(pair.client.retransmitDeadline, .zero, "fired")
        let again = pair.client.handleTimeout()
        XCTAssertFalse(again.closed)
        // RFC 6347 §4.2.4: the same handshake message in a new record — the record's epoch and
        // sequence number (bytes 3–10) move on, the rest is byte for byte the first ClientHello.
        XCTAssertEqual(again.datagrams.count, 1)
        let first = try XCTUnwrap(hello.first)
        let resent = try XCTUnwrap(again.datagrams.first)
        XCTAssertEqual(Array(resent[11...]), Array(first[11...]), "the same ClientHello, sent again")
        XCTAssertEqual(Array(resent[0..<3]), Array(first[0..<3]), "type and version")
        XCTAssertEqual(resent[10], first[10] + 1, "the next record sequence number")
        let keys = try Self.exchange(pair, first: again.datagrams)
        XCTAssertNotNil(keys.client)
        XCTAssertEqual(keys.client?.localKey, keys.server?.remoteKey)
        XCTAssertEqual(keys.client?.remoteKey, keys.server?.localKey)
    }

    /// A peer whose certificate is not the SDP's fails the handshake with the mismatch, and
    /// the alert queued for it makes the peer fail too; neither side reports keys.
    func testACertificateOtherThanTheSDPsFailsTheHandshake() throws {
        let stranger = try DTLSCertificate.generate().fingerprint
        let pair = try Self.pair(serverExpects: stranger)
        XCTAssertThrowsError(try Self.exchange(pair, first: pair.client.start().datagrams)) { error in
            guard case .fingerprintMismatch(let expected, let received) = error as? DTLSError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(expected, stranger)
            XCTAssertNotNil(received)
            XCTAssertNotEqual(received, stranger)
        }
        XCTAssertFalse(pair.server.isEstablished)
        XCTAssertThrowsError(try pair.server.receive([22, 254, 253]), "a failed session stays failed")
        let alert = pair.server.close()
        XCTAssertFalse(alert.datagrams.isEmpty, "the bad_certificate alert OpenSSL queued")
        XCTAssertThrowsError(try alert.datagrams.forEach { _ = try pair.client.receive($0) }) { error in
            guard case .handshakeFailed(let reason) = error as? DTLSError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("alert bad certificate"), reason)
        }
        XCTAssertFalse(pair.client.isEstablished)
    }
}

final class DTLSFingerprintTests: XCTestCase {
    func testTheSDPFormIsParsedAndNormalized() throws {
        // RFC 8122 §5's example shape: a hash function, a space, colon-separated hex pairs.
        let value = "4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF"
        let parsed = try XCTUnwrap(DTLSFingerprint(sdp: "sha-256 \(value)"))
        XCTAssertEqual(parsed.algorithm, "sha-256")
        XCTAssertEqual(parsed.value, value)
        XCTAssertEqual(parsed.sdp, "sha-256 \(value)")
        XCTAssertEqual(DTLSFingerprint(sdp: "a=fingerprint:SHA-256 \(value.lowercased())\r\n"), parsed)
        XCTAssertNil(DTLSFingerprint(sdp: "md5 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B"), "RFC 8122 §5 forbids MD5")
        XCTAssertNil(DTLSFingerprint(sdp: "sha-256 4A:AD"), "too short for SHA-256")
        XCTAssertNil(DTLSFingerprint(sdp: "sha-256 " + value.replacingOccurrences(of: "4A", with: "G4")))
        XCTAssertNil(DTLSFingerprint(sdp: "sha-256"))
        XCTAssertNil(DTLSFingerprint(sdp: ""))
    }
}
