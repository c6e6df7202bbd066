import Foundation
import XCTest

@testable import SecureMedia

/// The certificate `loadOrCreate` writes, read by the `openssl` command: its fingerprint is
/// ours, it is what the brief asks (ECDSA P-256, self-signed, CN vigil, about a year), the key
/// is private, and a restart keeps it.
final class DTLSCertificateTests: XCTestCase {
    func testLoadOrCreateWritesWhatOpenSSLReadsAndKeepsIt() throws {
        try PeerTools.require(PeerTools.openssl)
        let directory = try PeerTools.temporaryDirectory(self) + "/dtls"
        let created = try DTLSCertificate.loadOrCreate(directory: directory)
        let certificate = directory + "/cert.pem"
        let key = directory + "/key.pem"
        XCTAssertEqual(created.fingerprint.algorithm, "sha-256")
        XCTAssertEqual(created.fingerprint.value, try PeerTools.opensslFingerprint(of: certificate))

        let keyMode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: key)[.posixPermissions] as? Int)
        XCTAssertEqual(keyMode & 0o777, 0o600)
        XCTAssertFalse(FileManager.default.fileExists(atPath: key + ".tmp"), "no temporary file left")

        let subject = try RunningTool.run(PeerTools.openssl, ["x509", "-in", certificate, "-noout", "-subject", "-issuer"])
        XCTAssertTrue(subject.stdout.contains("subject=CN = vigil"), subject.stdout)
        XCTAssertTrue(subject.stdout.contains("issuer=CN = vigil"), "self-signed: \(subject.stdout)")
        let text = try RunningTool.run(PeerTools.openssl, ["x509", "-in", certificate, "-noout", "-text"])
        XCTAssertTrue(text.stdout.contains("ecdsa-with-SHA256"), text.stdout)
        XCTAssertTrue(text.stdout.contains("prime256v1"), "P-256: \(text.stdout)")
        XCTAssertTrue(text.stdout.contains("Version: 3"), text.stdout)
        let selfSigned = try RunningTool.run(PeerTools.openssl, ["verify", "-CAfile", certificate, certificate])
        XCTAssertEqual(selfSigned.status, 0, "the signature is its own key's: \(selfSigned.stdout) \(selfSigned.stderr)")
        let days = { (count: Int) in try RunningTool.run(PeerTools.openssl, ["x509", "-in", certificate, "-noout", "-checkend", "\(count * 86400)"]).status }
        XCTAssertEqual(try days(360), 0, "still valid in 360 days")
        XCTAssertNotEqual(try days(370), 0, "expired by 370 days")
        let pairing = try RunningTool.run(PeerTools.openssl, ["pkey", "-in", key, "-pubout"])
        let certificateKey = try RunningTool.run(PeerTools.openssl, ["x509", "-in", certificate, "-noout", "-pubkey"])
        XCTAssertEqual(pairing.stdout, certificateKey.stdout, "key.pem is the certificate's key")

        let reloaded = try DTLSCertificate.loadOrCreate(directory: directory)
        XCTAssertEqual(reloaded.fingerprint, created.fingerprint, "a restart keeps the fingerprint")
        XCTAssertEqual(reloaded.certificatePEM, created.certificatePEM)
        XCTAssertGreaterThan(reloaded.daysUntilExpiry, 360)
        _ = try DTLSContext(certificate: reloaded)

        XCTAssertNotEqual(try DTLSCertificate.generate().fingerprint, created.fingerprint, "a new key each time")
    }

    /// A certificate file that does not parse is an error that names it, and is left alone.
    func testAnUnreadableCertificateIsAnErrorNotReplaced() throws {
        let directory = try PeerTools.temporaryDirectory(self)
        _ = try DTLSCertificate.loadOrCreate(directory: directory)
        try "not a certificate".write(toFile: directory + "/cert.pem", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try DTLSCertificate.loadOrCreate(directory: directory)) { error in
            guard case .certificateFile(let path, _) = error as? DTLSError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, directory + "/cert.pem")
        }
        XCTAssertEqual(try String(contentsOfFile: directory + "/cert.pem", encoding: .utf8), "not a certificate")
        // A key that is not the certificate's is refused too.
        let other = try DTLSCertificate.generate()
        XCTAssertThrowsError(try DTLSCertificate(certificatePEM: other.certificatePEM, privateKeyPEM: DTLSCertificate.generate().privateKeyPEM))
    }
}
