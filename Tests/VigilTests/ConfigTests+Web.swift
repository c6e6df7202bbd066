import Foundation
import MediaCore
import XCTest

@testable import VigilKit

/// `[http]`'s web page keys: TLS files read at the config check (a missing file or a bad PEM
/// names the key and its line), and the session lifetimes.
final class ConfigWebTests: XCTestCase {
    func testTLSAndSessionKeysReadAsWritten() throws {
        let directory = try RecordingTests.temporaryDirectory("config-tls")
        defer { try? FileManager.default.removeItem(at: directory) }
        let pair = try WebPageTests.selfSignedPair(in: directory)
        let settings = try VigilConfigFile.parse("""
            [http]
            tls_certificate = "\(pair.certificate)"
            tls_key = "\(pair.key)"
            session_idle = "10m"
            session_lifetime = "1d"
            """)
        XCTAssertEqual(settings.http.tls, .init(certificatePath: pair.certificate, keyPath: pair.key))
        XCTAssertEqual(settings.http.sessionIdle, .seconds(600))
        XCTAssertEqual(settings.http.sessionLifetime, .seconds(86_400))
        XCTAssertNil(VigilConfigFile.defaults.http.tls, "plain HTTP unless both are set")
    }

    func testTLSProblemsNameTheKeyAndLine() throws {
        let directory = try RecordingTests.temporaryDirectory("config-tls-bad")
        defer { try? FileManager.default.removeItem(at: directory) }
        let pair = try WebPageTests.selfSignedPair(in: directory)
        let garbage = directory.appendingPathComponent("garbage.pem").path
        try "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n".write(toFile: garbage, atomically: true, encoding: .utf8)
        let missing = directory.appendingPathComponent("nope.pem").path
        let cases: [(name: String, text: String, line: Int, key: String, message: String)] = [
            ("missing certificate", "[http]\ntls_certificate = \"\(missing)\"\ntls_key = \"\(pair.key)\"", 2, "http.tls_certificate",
             "\"\(missing)\": no such file"),
            ("missing key", "[http]\n\ntls_certificate = \"\(pair.certificate)\"\ntls_key = \"\(missing)\"", 4, "http.tls_key",
             "\"\(missing)\": no such file"),
            ("a directory", "[http]\ntls_certificate = \"\(directory.path)\"\ntls_key = \"\(pair.key)\"", 2, "http.tls_certificate",
             "\"\(directory.path)\" is a directory, not a PEM file"),
            ("certificate alone", "[http]\ntls_certificate = \"\(pair.certificate)\"", 2, "http.tls_certificate",
             "needs tls_key beside it (the certificate's private key, PEM)"),
            ("key alone", "[http]\nport = 8443\ntls_key = \"\(pair.key)\"", 3, "http.tls_key",
             "needs tls_certificate beside it (the certificate chain, PEM)"),
            ("session idle over lifetime", "[http]\nsession_idle = \"2h\"\nsession_lifetime = \"1h\"", 2, "http.session_idle",
             "must not be longer than session_lifetime (1h)"),
        ]
        for item in cases {
            XCTAssertThrowsError(try VigilConfigFile.parse(item.text), item.name) { error in
                guard let error = error as? ConfigError else { return XCTFail("\(item.name): \(error)") }
                XCTAssertEqual(error.problems, [ConfigProblem(line: item.line, key: item.key, message: item.message)], item.name)
            }
        }
        // Bad PEM: the certificate that is no certificate, and a certificate given as the key.
        for (text, line, key, prefix) in [
            ("[http]\ntls_certificate = \"\(garbage)\"\ntls_key = \"\(pair.key)\"", 2, "http.tls_certificate", "\"\(garbage)\" is not a PEM certificate chain"),
            ("[http]\ntls_certificate = \"\(pair.certificate)\"\ntls_key = \"\(pair.certificate)\"", 3, "http.tls_key", "\"\(pair.certificate)\" is not a PEM private key"),
        ] {
            XCTAssertThrowsError(try VigilConfigFile.parse(text)) { error in
                let problems = (error as? ConfigError)?.problems ?? []
                XCTAssertEqual(problems.count, 1, "\(problems)")
                XCTAssertEqual(problems.first?.line, line)
                XCTAssertEqual(problems.first?.key, key)
                XCTAssertTrue(problems.first?.message.hasPrefix(prefix) == true, "\(problems)")
            }
        }
    }
}
