import Foundation
import XCTest

@testable import SecureMedia

/// Vigil's DTLS against the `openssl` command's over a loopback UDP socket: `s_client` against
/// our server and `s_server` against our client, each with its own ECDSA certificate from
/// `openssl req`. The keying material the tool prints (RFC 5764 §4.2's exporter, 60 bytes for
/// AES128_CM_SHA1_80, 56 for AEAD_AES_128_GCM) is our keys laid out as §4.2 says; a wrong
/// expected fingerprint fails the handshake.
final class DTLSOpenSSLInteropTests: XCTestCase {
    struct Outcome {
        var keys: SRTPKeyMaterial?
        var error: DTLSError?
        var peerClosed = false
    }

    /// Drives `session` on `socket` until the peer closes, the handshake fails, or `seconds`
    /// pass: datagrams to whoever last wrote (or `peer`), the timer honoured.
    static func drive(_ session: DTLSSession, on socket: LoopbackUDPSocket, peer: sockaddr_in? = nil, first: [[UInt8]] = [],
                      seconds: Double = 15, until done: (Outcome) -> Bool = { _ in false }) -> Outcome
    {
        var outcome = Outcome()
        var peer = peer
        for datagram in first { socket.send(datagram, to: peer!) }
        let deadline = Date(timeIntervalSinceNow: seconds)
        while Date() < deadline, !done(outcome) {
            let wait = min(session.retransmitDeadline ?? .milliseconds(100), .milliseconds(100))
            guard let (datagram, from) = socket.receive(timeout: wait) else {
                let output = session.handleTimeout()
                if let peer { output.datagrams.forEach { socket.send($0, to: peer) } }
                continue
            }
            peer = from
            do {
                let output = try session.receive(datagram)
                output.datagrams.forEach { socket.send($0, to: from) }
                if let keys = output.keys { outcome.keys = keys }
                if output.closed {
                    outcome.peerClosed = true
                    break
                }
            } catch {
                outcome.error = error
                session.close().datagrams.forEach { socket.send($0, to: from) }  // the alert
                break
            }
        }
        return outcome
    }

    /// RFC 5764 §4.2: client key, server key, client salt, server salt.
    static func exporterLayout(_ keys: SRTPKeyMaterial, weAre role: DTLSRole) -> [UInt8] {
        switch role {
        case .server: keys.remoteKey + keys.localKey + keys.remoteSalt + keys.localSalt
        case .client: keys.localKey + keys.remoteKey + keys.localSalt + keys.remoteSalt
        }
    }

    func testOpenSSLClientAgainstOurServer() throws {
        let directory = try PeerTools.temporaryDirectory(self)
        let tool = try PeerTools.opensslCertificate(in: directory, name: "s_client")
        let expected = try XCTUnwrap(DTLSFingerprint(sdp: "sha-256 \(tool.fingerprint)"))
        let ours = try DTLSCertificate.generate()
        let session = try DTLSSession(context: DTLSContext(certificate: ours), role: .server, remoteFingerprint: expected)
        let socket = try LoopbackUDPSocket()
        let client = try RunningTool(PeerTools.openssl, [
            "s_client", "-dtls1_2", "-connect", "127.0.0.1:\(socket.port)", "-use_srtp", "SRTP_AES128_CM_SHA1_80",
            "-keymatexport", "EXTRACTOR-dtls_srtp", "-keymatexportlen", "60", "-cert", tool.certificate, "-key", tool.key,
        ])
        var closedInput = false
        let outcome = Self.drive(session, on: socket) { outcome in
            // Once keys are out, let s_client finish and say goodbye: closing its input makes it
            // send close_notify.
            if outcome.keys != nil, !closedInput {
                Thread.sleep(forTimeInterval: 0.3)
                client.closeInput()
                closedInput = true
            }
            return false
        }
        let said = client.wait()
        XCTAssertNil(outcome.error, "\(said.stdout)\n\(said.stderr)")
        let keys = try XCTUnwrap(outcome.keys, said.stderr)
        XCTAssertTrue(outcome.peerClosed, "s_client's close_notify is seen as the end")
        XCTAssertEqual(said.status, 0, said.stderr)
        XCTAssertEqual(keys.profile, .aes128CmHmacSha1_80)
        XCTAssertTrue(said.stdout.contains("SRTP Extension negotiated, profile=SRTP_AES128_CM_SHA1_80"), said.stdout)
        XCTAssertTrue(said.stdout.contains("Protocol  : DTLSv1.2"), said.stdout)
        let material = try XCTUnwrap(PeerTools.keyingMaterial(in: said.stdout), said.stdout)
        XCTAssertEqual(material.count, 60)
        XCTAssertEqual(material, Self.exporterLayout(keys, weAre: .server))
        // s_client saw our certificate: its fingerprint in s_client's own words.
        let shown = try PeerTools.opensslFingerprint(fromPEMIn: said.stdout)
        XCTAssertEqual(shown, ours.fingerprint.value)
    }

    func testOpenSSLClientWithAnotherCertificateIsRefused() throws {
        let directory = try PeerTools.temporaryDirectory(self)
        let tool = try PeerTools.opensslCertificate(in: directory, name: "s_client")
        let someoneElse = try PeerTools.opensslCertificate(in: directory, name: "someone")
        XCTAssertNotEqual(tool.fingerprint, someoneElse.fingerprint)
        let session = try DTLSSession(
            context: DTLSContext(certificate: DTLSCertificate.generate()), role: .server,
            remoteFingerprint: XCTUnwrap(DTLSFingerprint(sdp: "sha-256 \(someoneElse.fingerprint)")))
        let socket = try LoopbackUDPSocket()
        let client = try RunningTool(PeerTools.openssl, [
            "s_client", "-dtls1_2", "-connect", "127.0.0.1:\(socket.port)", "-use_srtp", "SRTP_AES128_CM_SHA1_80",
            "-keymatexport", "EXTRACTOR-dtls_srtp", "-keymatexportlen", "60", "-cert", tool.certificate, "-key", tool.key,
        ])
        let outcome = Self.drive(session, on: socket, seconds: 10)
        client.closeInput()
        let said = client.wait()
        XCTAssertNil(outcome.keys)
        guard case .fingerprintMismatch(let expected, let received) = outcome.error else {
            return XCTFail("\(String(describing: outcome.error)) \(said.stderr)")
        }
        XCTAssertEqual(expected.value, someoneElse.fingerprint)
        XCTAssertEqual(received?.value, tool.fingerprint, "the fingerprint of the certificate s_client sent, as openssl x509 prints it")
        XCTAssertFalse(session.isEstablished)
        // (s_client prints an exporter value even for a handshake it never finished, so only its
        // status and its error say how it ended.)
        XCTAssertNotEqual(said.status, 0, "s_client failed: \(said.stdout)")
        XCTAssertTrue(said.stderr.contains("alert bad certificate"), "s_client got our alert: \(said.stderr)")
    }

    /// A client that offers no use_srtp extension finishes the DTLS handshake as far as OpenSSL
    /// is concerned, but gets no keys from us: WebRTC media needs SRTP (RFC 5764 §4.1).
    func testOpenSSLClientWithoutUseSRTPGetsNoKeys() throws {
        let directory = try PeerTools.temporaryDirectory(self)
        let tool = try PeerTools.opensslCertificate(in: directory, name: "s_client")
        let session = try DTLSSession(
            context: DTLSContext(certificate: DTLSCertificate.generate()), role: .server,
            remoteFingerprint: XCTUnwrap(DTLSFingerprint(sdp: "sha-256 \(tool.fingerprint)")))
        let socket = try LoopbackUDPSocket()
        let client = try RunningTool(PeerTools.openssl, [
            "s_client", "-dtls1_2", "-connect", "127.0.0.1:\(socket.port)", "-cert", tool.certificate, "-key", tool.key,
        ])
        let outcome = Self.drive(session, on: socket, seconds: 10)
        client.closeInput()
        let said = client.wait(timeout: 2)  // it waits for a Finished that never comes
        XCTAssertNil(outcome.keys)
        XCTAssertEqual(outcome.error, .noSRTPProfile(selected: nil), said.stderr)
        XCTAssertFalse(session.isEstablished)
        XCTAssertFalse(said.stdout.contains("SRTP Extension negotiated"), said.stdout)
    }

    func testOurClientAgainstOpenSSLServer() throws {
        let directory = try PeerTools.temporaryDirectory(self)
        let tool = try PeerTools.opensslCertificate(in: directory, name: "s_server")
        let ours = try DTLSCertificate.generate()
        let session = try DTLSSession(
            context: DTLSContext(certificate: ours), role: .client, remoteFingerprint: XCTUnwrap(DTLSFingerprint(sdp: "sha-256 \(tool.fingerprint)")))
        let port = try LoopbackUDPSocket.freePort()
        let server = try RunningTool(PeerTools.openssl, [
            "s_server", "-dtls1_2", "-accept", "127.0.0.1:\(port)", "-naccept", "1", "-Verify", "1",
            "-use_srtp", "SRTP_AEAD_AES_128_GCM", "-keymatexport", "EXTRACTOR-dtls_srtp", "-keymatexportlen", "56",
            "-cert", tool.certificate, "-key", tool.key,
        ])
        let socket = try LoopbackUDPSocket()
        // The ClientHello goes out now; if s_server is not listening yet, the timer sends it again.
        let outcome = Self.drive(session, on: socket, peer: LoopbackUDPSocket.loopback(port: port), first: session.start().datagrams) {
            $0.keys != nil
        }
        XCTAssertNil(outcome.error)
        let keys = try XCTUnwrap(outcome.keys)
        XCTAssertEqual(keys.profile, .aeadAes128Gcm)
        XCTAssertTrue(session.isEstablished)
        session.close().datagrams.forEach { socket.send($0, to: LoopbackUDPSocket.loopback(port: port)) }
        Thread.sleep(forTimeInterval: 0.3)
        server.closeInput()
        let said = server.wait()
        let material = try XCTUnwrap(PeerTools.keyingMaterial(in: said.stdout), "\(said.stdout)\n\(said.stderr)")
        XCTAssertEqual(material.count, 56)
        XCTAssertEqual(material, Self.exporterLayout(keys, weAre: .client))
        XCTAssertTrue(said.stdout.contains("SRTP Extension negotiated, profile=SRTP_AEAD_AES_128_GCM"), said.stdout)
    }
}

extension PeerTools {
    /// The fingerprint of the first PEM certificate in `text` (s_client prints the server's),
    /// as `openssl x509 -fingerprint -sha256` computes it.
    static func opensslFingerprint(fromPEMIn text: String) throws -> String {
        guard let begin = text.range(of: "-----BEGIN CERTIFICATE-----"), let end = text.range(of: "-----END CERTIFICATE-----") else {
            XCTFail("no certificate in \(text)")
            return ""
        }
        let pem = String(text[begin.lowerBound..<end.upperBound]) + "\n"
        let printed = try RunningTool.run(openssl, ["x509", "-noout", "-fingerprint", "-sha256"], stdin: Data(pem.utf8))
        let line = printed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        return line.firstIndex(of: "=").map { String(line[line.index(after: $0)...]) } ?? ""
    }
}
