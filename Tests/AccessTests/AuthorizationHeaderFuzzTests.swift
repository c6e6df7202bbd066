import Foundation
import TestSeeds
import XCTest
@testable import Access

/// Seeded mutations of real header shapes: the parser must always return credentials or a
/// named error, and what it returns must survive a round trip.
final class AuthorizationHeaderFuzzTests: XCTestCase {
    static let corpus: [String] = [
        // ffmpeg 5.1 (httpauth.c), qop and opaque.
        #"Digest username="viewer",realm="Vigil",nonce="AQAAAAAAAAPoc2VjcmV0bm9uY2U",uri="rtsp://192.0.2.10:8554/door/trackID=0",response="ad228c059094b130191a40deb663f392",algorithm=MD5,opaque="b3BhcXVl",qop="auth",cnonce="0a4f113b6c5e2d71",nc=00000002"#,
        // GStreamer 1.22 (gstrtspconnection.c), RFC 2069 style.
        #"Digest username="viewer", realm="Vigil", nonce="AQAAAAAAAAPoc2VjcmV0bm9uY2U", uri="rtsp://192.0.2.10:8554/door", response="3f4618d220d1ac19fe787b1ab9086e98", opaque="b3BhcXVl""#,
        // RFC 7616 §3.9.1, SHA-256, folded.
        "Digest username=\"Mufasa\",\r\n\trealm=\"http-auth@example.org\",\r\n\turi=\"/dir/index.html\",\r\n\talgorithm=SHA-256,\r\n"
            + "\tnonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\",\r\n\tnc=00000001,\r\n\tcnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\",\r\n"
            + "\tqop=auth,\r\n\tresponse=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\",\r\n\topaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"",
        #"Digest username*=UTF-8''J%C3%A4s%C3%B8n%20Doe, realm="a \"b\", c", nonce=n, uri="/", response="x", userhash=false"#,
        "Basic dmlld2VyOmRvb3ItYmVsbCA0Mg==",
        "Basic asO8cmdlbjpww6Rzc3fDtnJkOndpdGg6Y29sb25z",
        "Bearer abc-DEF_123.~+/==",
    ]

    private static let interesting: [UInt8] = Array("\"\\,= \t\r\n'%*:a0".utf8) + [0x00, 0x7F, 0xC3, 0xA4, 0xFF]

    func testMutatedHeadersNeverTrap() async throws {
        let seed = TestSeed.value(default: 0xA11C_E5ED_0042)
        var random = SeededRandom(seed: seed)
        let policy = AccessPolicy(
            configuration: try AccessConfiguration(
                realm: "Vigil", users: [User(name: "viewer", credential: Fixture.credential("viewer", "door-bell 42", realm: "Vigil"), grants: [])],
                basicEnabled: true
            ),
            secret: testSecret, clock: ManualClock()
        )
        var parsed = 0
        var refused = 0
        for index in 0..<4000 {
            var bytes = Array(Self.corpus.randomElement(using: &random)!.utf8)
            for _ in 0..<Int.random(in: 1...4, using: &random) { mutate(&bytes, using: &random) }
            let text = String(decoding: bytes, as: UTF8.self)
            let context = "\(TestSeed.describe(seed)), case \(index): \(text.debugDescription)"
            do {
                let credentials = try AuthorizationHeader.parse(text)
                parsed += 1
                if let rendered = render(credentials), rendered.utf8.count <= AuthorizationHeader.maximumLength {
                    XCTAssertEqual(try? AuthorizationHeader.parse(rendered), credentials, context)
                }
            } catch {
                refused += 1
                XCTAssertFalse(error.description.isEmpty, context)
            }
            if index < 400 {
                // The whole check never traps either, whatever arrives (one peer per case, so
                // the back-off does not hide the verification).
                let peer = IPAddress(bytes: [10, 0, UInt8(index >> 8), UInt8(index & 0xFF)])!
                _ = await policy.decide(AccessRequest(
                    action: .init(.read, path: "door"), peer: peer, connection: ConnectionID(UInt64(index)),
                    method: "DESCRIBE", uri: "rtsp://192.0.2.10:8554/door", credentials: PresentedCredentials(authorization: text)
                ))
            }
        }
        // The mutations reach both sides, so the test explores more than one path.
        XCTAssertGreaterThan(parsed, 200, TestSeed.describe(seed))
        XCTAssertGreaterThan(refused, 200, TestSeed.describe(seed))
    }

    private func mutate(_ bytes: inout [UInt8], using random: inout SeededRandom) {
        let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &random)
        switch Int.random(in: 0..<8, using: &random) {
        case 0 where !bytes.isEmpty:
            bytes[position] = Self.interesting.randomElement(using: &random)!
        case 1:
            bytes.insert(Self.interesting.randomElement(using: &random)!, at: position)
        case 2 where !bytes.isEmpty:
            bytes.removeSubrange(position..<min(bytes.count, position + Int.random(in: 1...8, using: &random)))
        case 3 where !bytes.isEmpty:
            let end = min(bytes.count, position + Int.random(in: 1...24, using: &random))
            bytes.insert(contentsOf: bytes[position..<end], at: end)
        case 4:
            bytes.removeSubrange(position...)
        case 5:
            let other = Array(Self.corpus.randomElement(using: &random)!.utf8)
            bytes = Array(bytes[..<position]) + other[Int.random(in: 0..<other.count, using: &random)...]
        case 6 where !bytes.isEmpty:
            bytes[position] ^= 1 << UInt8.random(in: 0..<8, using: &random)
        default:
            bytes.insert(UInt8.random(in: .min ... .max, using: &random), at: position)
        }
    }

    /// Credentials written back as a header, every value quoted.
    private func render(_ credentials: PresentedCredentials) -> String? {
        switch credentials {
        case .basic(let username, let password):
            return "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
        case .token(let token):
            return "Bearer " + token
        case .digest(let digest):
            var parts = [
                "username=" + DigestChallenge.quoted(digest.username), "realm=" + DigestChallenge.quoted(digest.realm),
                "nonce=" + DigestChallenge.quoted(digest.nonce), "uri=" + DigestChallenge.quoted(digest.uri),
                "response=" + DigestChallenge.quoted(digest.response),
            ]
            if let algorithm = digest.algorithm { parts.append("algorithm=" + DigestChallenge.quoted(algorithm)) }
            if let quality = digest.quality {
                parts.append("qop=" + DigestChallenge.quoted(quality.qop))
                parts.append("nc=" + quality.nonceCountText)
                parts.append("cnonce=" + DigestChallenge.quoted(quality.cnonce))
            }
            if let opaque = digest.opaque { parts.append("opaque=" + DigestChallenge.quoted(opaque)) }
            if digest.userhash { parts.append("userhash=true") }
            return "Digest " + parts.joined(separator: ", ")
        case .none, .malformed, .session:
            return nil
        }
    }
}
