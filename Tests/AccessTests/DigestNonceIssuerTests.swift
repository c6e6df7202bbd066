import XCTest
@testable import Access

final class DigestNonceIssuerTests: XCTestCase {
    private let issuer = DigestNonceIssuer(secret: testSecret, lifetime: .seconds(300))
    private let connection = ConnectionID(7)

    func testFreshUntilTheLifetimeThenExpired() {
        let issuedAt = Duration.seconds(1_000)
        let nonce = issuer.issue(for: connection, at: issuedAt)
        XCTAssertEqual(nonce.utf8.count, 34)
        XCTAssertEqual(issuer.check(nonce, connection: connection, at: issuedAt), .fresh(issuedAt: issuedAt))
        XCTAssertEqual(issuer.check(nonce, connection: connection, at: issuedAt + .seconds(300)), .fresh(issuedAt: issuedAt))
        XCTAssertEqual(
            issuer.check(nonce, connection: connection, at: issuedAt + .seconds(300) + .milliseconds(1)), .expired(issuedAt: issuedAt)
        )
    }

    func testIssueTimeKeepsMilliseconds() {
        let issuedAt = Duration.seconds(12) + .milliseconds(345) + .microseconds(678)
        let nonce = issuer.issue(for: connection, at: issuedAt)
        XCTAssertEqual(issuer.check(nonce, connection: connection, at: .seconds(13)), .fresh(issuedAt: .milliseconds(12_345)))
    }

    func testRefusedOnAnotherConnection() {
        let nonce = issuer.issue(for: connection, at: .seconds(5))
        XCTAssertEqual(issuer.check(nonce, connection: ConnectionID(8), at: .seconds(5)), .invalid)
    }

    func testRefusedUnderAnotherSecret() {
        let nonce = issuer.issue(for: connection, at: .seconds(5))
        let other = DigestNonceIssuer(secret: Array(repeating: 9, count: 32))
        XCTAssertEqual(other.check(nonce, connection: connection, at: .seconds(5)), .invalid)
    }

    func testRefusesTamperedAndForeignNonces() {
        let nonce = issuer.issue(for: connection, at: .seconds(5))
        var bytes = Array(nonce.utf8)
        for index in bytes.indices {
            let original = bytes[index]
            bytes[index] = original == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            XCTAssertEqual(issuer.check(String(decoding: bytes, as: UTF8.self), connection: connection, at: .seconds(5)), .invalid)
            bytes[index] = original
        }
        for foreign in ["", "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nonce + "A", String(nonce.dropLast()), "%%%%"] {
            XCTAssertEqual(issuer.check(foreign, connection: connection, at: .seconds(5)), .invalid, foreign)
        }
    }

    /// The last base64url character carries 2 bits of the nonce and 4 padding bits; setting a
    /// padding bit spells the same bytes differently. One nonce has one spelling, because
    /// replay tracking is keyed by the text.
    func testRefusesANonCanonicalSpelling() {
        let nonce = issuer.issue(for: connection, at: .seconds(5))
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        let last = alphabet.firstIndex(of: nonce.last!)!
        XCTAssertEqual(last & 0x0F, 0, "padding bits are zero in what the issuer writes")
        let respelled = String(nonce.dropLast()) + String(alphabet[last | 0x01])
        XCTAssertEqual(issuer.check(respelled, connection: connection, at: .seconds(5)), .invalid)
    }

    func testRefusesANonceFromTheFuture() {
        let nonce = issuer.issue(for: connection, at: .seconds(50))
        XCTAssertEqual(issuer.check(nonce, connection: connection, at: .seconds(49)), .invalid)
    }
}
