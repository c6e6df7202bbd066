import NIOCore
import TestSeeds
import XCTest

@testable import SecureMedia

/// Network input never crashes SecureMedia: random and mutated datagrams at DTLS sessions
/// before and after the handshake, random and mutated packets at SRTP's unprotect calls.
/// Errors are fine; a mutated SRTP packet that authenticates is not.
final class SecureMediaFuzzTests: XCTestCase {
    static func mutate(_ bytes: [UInt8], _ random: inout SeededRandom) -> [UInt8] {
        var bytes = bytes
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            switch Int.random(in: 0..<4, using: &random) {
            case 0 where !bytes.isEmpty: bytes[Int.random(in: 0..<bytes.count, using: &random)] ^= UInt8.random(in: 1...255, using: &random)
            case 1 where bytes.count > 1: bytes.removeLast(Int.random(in: 1..<bytes.count, using: &random))
            case 2: bytes += (0..<Int.random(in: 1...16, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            default:
                // A length or type field: the first 14 bytes hold a DTLS record header and the
                // start of a handshake header, or an RTP header.
                if !bytes.isEmpty { bytes[Int.random(in: 0..<min(14, bytes.count), using: &random)] = UInt8.random(in: 0...255, using: &random) }
            }
        }
        return bytes
    }

    static func noise(_ random: inout SeededRandom, upTo length: Int) -> [UInt8] {
        (0..<Int.random(in: 0...length, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
    }

    func testDTLSSessionsSurviveSeededFuzzing() throws {
        let seed = TestSeed.value(default: 0x4454_4C53)
        print("DTLS fuzzer: \(TestSeed.describe(seed))")
        var random = SeededRandom(seed: seed)
        var failedHandshakes = 0

        // Before the handshake: a server fed noise and mutated ClientHellos (and a client fed
        // noise and mutated server flights). A failed session is replaced by a fresh one.
        let pair = try DTLSSessionTests.pair()
        let hello = pair.client.start().datagrams
        var flight: [[UInt8]] = []
        for datagram in hello { flight += try pair.server.receive(datagram).datagrams }
        let serverCertificate = pair.serverCertificate
        let clientCertificate = pair.clientCertificate
        let serverContext = try DTLSContext(certificate: serverCertificate)
        let clientContext = try DTLSContext(certificate: clientCertificate)
        var server = try DTLSSession(context: serverContext, role: .server, remoteFingerprint: clientCertificate.fingerprint)
        var client = try DTLSSession(context: clientContext, role: .client, remoteFingerprint: serverCertificate.fingerprint)
        _ = client.start()
        for index in 0..<1500 {
            let toServer = index % 2 == 0
            let source = toServer ? hello : flight
            let datagram = index % 5 == 0 ? Self.noise(&random, upTo: 300) : Self.mutate(source.randomElement(using: &random)!, &random)
            do {
                _ = try (toServer ? server : client).receive(datagram)
            } catch {
                failedHandshakes += 1
                _ = (toServer ? server : client).close()
                if toServer {
                    server = try DTLSSession(context: serverContext, role: .server, remoteFingerprint: clientCertificate.fingerprint)
                } else {
                    client = try DTLSSession(context: clientContext, role: .client, remoteFingerprint: serverCertificate.fingerprint)
                    _ = client.start()
                }
            }
            if index % 100 == 0 { _ = server.handleTimeout(); _ = client.handleTimeout() }
            _ = server.retransmitDeadline
        }

        // After the handshake: noise, mutated handshake records and mutated application-data
        // records at an established server; it drops or closes, never crashes.
        let established = try DTLSSessionTests.pair()
        let start = established.client.start().datagrams
        let keys = try DTLSSessionTests.exchange(established, first: start)
        XCTAssertNotNil(keys.server)
        var afterHandshake = 0
        for index in 0..<1500 {
            guard established.server.isEstablished else { break }
            let datagram = index % 3 == 0 ? Self.noise(&random, upTo: 300) : Self.mutate((start + flight).randomElement(using: &random)!, &random)
            do {
                let output = try established.server.receive(datagram)
                XCTAssertNil(output.keys, "keys come once, \(TestSeed.describe(seed))")
                afterHandshake += 1
            } catch {
                XCTFail("an established session does not throw on a datagram: \(error), \(TestSeed.describe(seed))")
            }
        }
        XCTAssertEqual(afterHandshake, 1500, "garbage never ends an established session, \(TestSeed.describe(seed))")
        // And it still hears its peer: the client's close_notify gets through.
        var closed = false
        for datagram in established.client.close().datagrams { closed = try established.server.receive(datagram).closed || closed }
        XCTAssertTrue(closed, TestSeed.describe(seed))
        print("DTLS fuzzer: \(failedHandshakes) handshakes failed on mutated input, \(afterHandshake) datagrams after the handshake")
    }

    func testSRTPUnprotectSurvivesSeededFuzzing() throws {
        let seed = TestSeed.value(default: 0x5352_5450_46)
        print("SRTP fuzzer: \(TestSeed.describe(seed))")
        var random = SeededRandom(seed: seed)
        for profile in [SRTPProfile.aes128CmHmacSha1_80, .aeadAes128Gcm] {
            let keys = SRTPSessionTests.keyMaterial(profile, random: &random)
            let sender = try SRTPSession(keys: SRTPKeyMaterial(
                profile: profile, localKey: keys.remoteKey, localSalt: keys.remoteSalt, remoteKey: keys.localKey, remoteSalt: keys.localSalt))
            let receiver = try SRTPSession(keys: keys)
            var valid: [[UInt8]] = []
            var validRTCP: [[UInt8]] = []
            for sequence in UInt16(0)..<20 {
                var packet = SRTPSessionTests.rtp(sequence: sequence, ssrc: 42, payload: Self.noise(&random, upTo: 200), extensionWords: sequence % 3 == 0 ? [7] : nil)
                try sender.protectRTP(&packet)
                valid.append(SRTPSessionTests.bytes(packet))
                var report = SRTPSessionTests.rtcp(ssrc: 42, extra: [1, 2, 3, 4])
                try sender.protectRTCP(&report)
                validRTCP.append(SRTPSessionTests.bytes(report))
            }
            var forged = 0
            for index in 0..<20_000 {
                let rtcp = index % 2 == 1
                let original = (rtcp ? validRTCP : valid).randomElement(using: &random)!
                let bytes = index % 4 < 2 ? Self.noise(&random, upTo: 120) : Self.mutate(original, &random)
                var buffer = ByteBuffer(bytes: bytes)
                let accepted = (try? rtcp ? receiver.unprotectRTCP(&buffer) : receiver.unprotectRTP(&buffer)) != nil
                if accepted, index % 4 >= 2, bytes != original { forged += 1 }
                // Protecting garbage is an error or a packet, never a crash.
                var outbound = ByteBuffer(bytes: bytes)
                _ = try? rtcp ? sender.protectRTCP(&outbound) : sender.protectRTP(&outbound)
            }
            XCTAssertEqual(forged, 0, "no mutated packet authenticates, \(profile), \(TestSeed.describe(seed))")
        }
    }
}
