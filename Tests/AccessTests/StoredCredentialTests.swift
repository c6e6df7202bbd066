import XCTest
@testable import Access

final class StoredCredentialTests: XCTestCase {
    /// RFC 7914 §11, the PBKDF2-HMAC-SHA256 test vectors (64-byte output).
    func testPBKDF2AgainstRFC7914Section11() {
        XCTAssertEqual(
            StoredCredential.pbkdf2(password: Array("passwd".utf8), salt: Array("salt".utf8), iterations: 1, byteCount: 64)
                .map(Hex.encode),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
                + "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"
        )
        XCTAssertEqual(
            StoredCredential.pbkdf2(password: Array("Password".utf8), salt: Array("NaCl".utf8), iterations: 80_000, byteCount: 64)
                .map(Hex.encode),
            "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
                + "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"
        )
    }

    /// The whole line for fixed inputs, computed independently:
    ///
    ///     python3 -c 'import hashlib,base64; s=bytes(range(16));
    ///       print(base64.b64encode(hashlib.pbkdf2_hmac("sha256", b"Circle of Life", s, 1000, 32)).decode())'
    ///
    /// and the HA1 values of RFC 7616 §3.9.1 (md5 / sha256 of "Mufasa:http-auth@example.org:Circle of Life").
    static let mufasaLine = "v1$http-auth@example.org$pbkdf2-sha256$1000$AAECAwQFBgcICQoLDA0ODw==$"
        + "kP+zMz3LBY+a+AWofNnp33NUYq7JdOwAf9rrQ2NuNG0=$3d78807defe7de2157e2b0b6573a855f$"
        + "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232"

    func testMakeGivesTheKnownLine() throws {
        let credential = try StoredCredential.make(
            user: "Mufasa", password: "Circle of Life", realm: "http-auth@example.org", salt: Array(0..<16), iterations: 1000
        )
        XCTAssertEqual(credential.encoded, Self.mufasaLine)
        XCTAssertEqual(credential.ha1(for: .md5), "3d78807defe7de2157e2b0b6573a855f")
        XCTAssertEqual(credential.ha1(for: .sha256), "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232")
    }

    func testParseRoundTripsAndVerifies() throws {
        let credential = try StoredCredential(Self.mufasaLine)
        XCTAssertEqual(credential.encoded, Self.mufasaLine)
        XCTAssertEqual(credential.realm, "http-auth@example.org")
        XCTAssertEqual(credential.iterations, 1000)
        XCTAssertTrue(credential.verify(password: "Circle of Life"))
        XCTAssertFalse(credential.verify(password: "Circle of life"))
        XCTAssertFalse(credential.verify(password: ""))
    }

    func testRealmWithSeparatorsRoundTrips() throws {
        let realm = "Cam $1 \"front\" 100% ü\\"
        let credential = try StoredCredential.make(user: "u", password: "p", realm: realm, salt: Array(repeating: 7, count: 16), iterations: 1000)
        XCTAssertTrue(credential.encoded.contains("Cam %241 %22front%22 100%25 %C3%BC%5C"), credential.encoded)
        let parsed = try StoredCredential(credential.encoded)
        XCTAssertEqual(parsed, credential)
        XCTAssertEqual(parsed.realm, realm)
    }

    func testRandomSaltFromGenerator() {
        var generator = SystemRandomNumberGenerator()
        let a = StoredCredential.randomSalt(using: &generator)
        let b = StoredCredential.randomSalt(using: &generator)
        XCTAssertEqual(a.count, 16)
        XCTAssertNotEqual(a, b)
    }

    func testDescriptionKeepsSecretsOut() throws {
        let credential = try StoredCredential(Self.mufasaLine)
        XCTAssertFalse("\(credential)".contains("3d78807d"))
        XCTAssertFalse("\(credential)".contains("kP+zMz3L"))
    }

    func testMakeRefusesBadInputs() {
        let salt = Array(repeating: UInt8(1), count: 16)
        XCTAssertThrowsError(try StoredCredential.make(user: "a:b", password: "p", realm: "r", salt: salt, iterations: 1000)) {
            XCTAssertEqual($0 as? StoredCredentialError, .invalidUsername("a:b"))
        }
        XCTAssertThrowsError(try StoredCredential.make(user: "", password: "p", realm: "r", salt: salt, iterations: 1000))
        XCTAssertThrowsError(try StoredCredential.make(user: "a", password: "p", realm: "", salt: salt, iterations: 1000)) {
            XCTAssertEqual($0 as? StoredCredentialError, .invalidRealm(""))
        }
        XCTAssertThrowsError(try StoredCredential.make(user: "a", password: "p", realm: "r", salt: [1, 2], iterations: 1000)) {
            XCTAssertEqual($0 as? StoredCredentialError, .invalidSalt)
        }
        XCTAssertThrowsError(try StoredCredential.make(user: "a", password: "p", realm: "r", salt: salt, iterations: 999)) {
            XCTAssertEqual($0 as? StoredCredentialError, .iterationsOutOfRange(999))
        }
    }

    /// Strict parsing: each damaged field is named.
    func testParseRefusesDamagedLines() {
        let good = Self.mufasaLine.split(separator: "$", omittingEmptySubsequences: false).map(String.init)
        func line(replacing index: Int, with value: String) -> String {
            var fields = good
            fields[index] = value
            return fields.joined(separator: "$")
        }
        let cases: [(String, StoredCredentialError)] = [
            ("", .fieldCount(1)),
            ("plaintext-password", .fieldCount(1)),
            (good.dropLast().joined(separator: "$"), .fieldCount(7)),
            (Self.mufasaLine + "$", .fieldCount(9)),
            (line(replacing: 0, with: "v2"), .unsupportedVersion("v2")),
            (line(replacing: 1, with: ""), .invalidRealm("")),
            (line(replacing: 1, with: "bad%2"), .invalidRealm("bad%2")),
            (line(replacing: 1, with: "bad%zz"), .invalidRealm("bad%zz")),
            (line(replacing: 1, with: "non%41canonical"), .invalidRealm("non%41canonical")),
            (line(replacing: 1, with: "%C3"), .invalidRealm("%C3")),
            (line(replacing: 2, with: "bcrypt"), .unsupportedScheme("bcrypt")),
            (line(replacing: 3, with: ""), .invalidIterations("")),
            (line(replacing: 3, with: "01000"), .invalidIterations("01000")),
            (line(replacing: 3, with: "+1000"), .invalidIterations("+1000")),
            (line(replacing: 3, with: "1e6"), .invalidIterations("1e6")),
            (line(replacing: 3, with: "999"), .iterationsOutOfRange(999)),
            (line(replacing: 3, with: "10000001"), .iterationsOutOfRange(10_000_001)),
            (line(replacing: 4, with: "AAECAwQFBgcICQoLDA0O"), .invalidSalt),
            (line(replacing: 4, with: "AAECAwQFBgcICQoLDA0ODw"), .invalidSalt),
            (line(replacing: 4, with: "not base64!!!!!!!!!!!!=="), .invalidSalt),
            (line(replacing: 5, with: "kP+zMz3LBY+a+AWofNnp33NUYq7JdOwAf9rrQ2NuNG0"), .invalidHash),
            (line(replacing: 5, with: "kP+zMz3LBY+a+AWofNnp33NUYq7JdOwAf9rrQ2NuNG1="), .invalidHash),
            (line(replacing: 6, with: "3D78807DEFE7DE2157E2B0B6573A855F"), .invalidHA1(.md5)),
            (line(replacing: 6, with: "3d78807defe7de2157e2b0b6573a855"), .invalidHA1(.md5)),
            (line(replacing: 7, with: good[6]), .invalidHA1(.sha256)),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try StoredCredential(text), text) { error in
                XCTAssertEqual(error as? StoredCredentialError, expected, text)
                XCTAssertFalse("\(error)".isEmpty)
            }
        }
    }
}
