import COpenSSL

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Vigil's DTLS identity for WebRTC: an ECDSA P-256 key and a self-signed certificate
/// (CN "vigil", valid a year), whose SHA-256 fingerprint goes into every SDP answer
/// (RFC 8122, RFC 8827 §6.5). Kept as PEM text, so the value is plainly `Sendable`; each
/// `DTLSContext` parses it into OpenSSL's objects.
public final class DTLSCertificate: Sendable {
    /// SHA-256 of the certificate's DER (RFC 8122 §5).
    public let fingerprint: DTLSFingerprint
    /// The certificate, PEM ("-----BEGIN CERTIFICATE-----").
    public let certificatePEM: String
    /// The private key, PEM (PKCS #8). Internal: only a `DTLSContext` needs it.
    let privateKeyPEM: String
    /// Whole days from now until the certificate expires (negative once it has).
    public let daysUntilExpiry: Int

    /// How long a generated certificate is valid. WebRTC peers do not check validity (only
    /// the fingerprint), but a year keeps the certificate honest and the fingerprint stable.
    static let validDays = 365
    /// A loaded certificate this close to expiry is replaced by a new one.
    static let renewalDays = 30
    /// `notBefore` is set this far in the past, so a peer whose clock is behind ours still
    /// sees a certificate that is already valid.
    static let backdatedSeconds = 24 * 60 * 60

    /// Reads and checks a certificate and its key: both parse, and the key is the
    /// certificate's.
    public init(certificatePEM: String, privateKeyPEM: String) throws {
        let certificate = try Self.readCertificate(certificatePEM)
        defer { X509_free(certificate) }
        let key = try Self.readPrivateKey(privateKeyPEM)
        defer { EVP_PKEY_free(key) }
        guard X509_check_private_key(certificate, key) == 1 else {
            throw OpenSSLErrorQueue.error("X509_check_private_key (the key is not the certificate's)")
        }
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
        self.fingerprint = DTLSFingerprint(sha256OfDER: try Self.der(of: certificate))
        var days: Int32 = 0
        var seconds: Int32 = 0
        guard ASN1_TIME_diff(&days, &seconds, nil, X509_get0_notAfter(certificate)) == 1 else {
            throw OpenSSLErrorQueue.error("ASN1_TIME_diff")
        }
        self.daysUntilExpiry = Int(days)
    }

    /// A new ECDSA P-256 key and a certificate for it: self-signed (SHA-256), CN "vigil", a
    /// random positive 63-bit serial, valid from a day ago for `validDays`.
    public static func generate() throws -> DTLSCertificate {
        guard let key = vigil_EVP_EC_gen_P256() else { throw OpenSSLErrorQueue.error("EVP_EC_gen(P-256)") }
        defer { EVP_PKEY_free(key) }
        guard let certificate = X509_new() else { throw OpenSSLErrorQueue.error("X509_new") }
        defer { X509_free(certificate) }
        var serial: UInt64 = 0
        guard withUnsafeMutableBytes(of: &serial, { RAND_bytes($0.baseAddress, Int32($0.count)) }) == 1 else {
            throw OpenSSLErrorQueue.error("RAND_bytes")
        }
        // RFC 5280 §4.1.2.2: a positive integer, unique per issuer (random makes it so).
        serial = (serial & 0x7FFF_FFFF_FFFF_FFFF) | 1
        guard X509_set_version(certificate, 2) == 1,  // X.509 v3
            ASN1_INTEGER_set_uint64(X509_get_serialNumber(certificate), serial) == 1,
            X509_gmtime_adj(X509_getm_notBefore(certificate), -Int(backdatedSeconds)) != nil,
            X509_gmtime_adj(X509_getm_notAfter(certificate), Int(validDays) * 24 * 60 * 60) != nil,
            X509_set_pubkey(certificate, key) == 1
        else { throw OpenSSLErrorQueue.error("X509_set_… (the certificate's fields)") }
        let name = X509_get_subject_name(certificate)
        guard vigil_X509_NAME_add_common_name(name, "vigil") == 1, X509_set_issuer_name(certificate, name) == 1 else {
            throw OpenSSLErrorQueue.error("X509_NAME_add_entry_by_txt (CN)")
        }
        guard X509_sign(certificate, key, EVP_sha256()) > 0 else { throw OpenSSLErrorQueue.error("X509_sign") }
        let certificatePEM = try pem("PEM_write_bio_X509") { PEM_write_bio_X509($0, certificate) }
        let keyPEM = try pem("PEM_write_bio_PrivateKey") { PEM_write_bio_PrivateKey($0, key, nil, nil, 0, nil, nil) }
        return try DTLSCertificate(certificatePEM: certificatePEM, privateKeyPEM: keyPEM)
    }

    /// `cert.pem` and `key.pem` in `directory` (made, mode 0700, if missing), or a new pair
    /// written there when either file is missing or the certificate is within `renewalDays`
    /// of expiry — so the fingerprint survives restarts. Each file is written to a temporary
    /// name, synced and renamed, so a crash leaves the old file or the new, never half of one;
    /// the key first, mode 0600. Files that exist but do not parse, or do not belong together,
    /// are an error, never overwritten: they may be an operator's.
    public static func loadOrCreate(directory: String) throws -> DTLSCertificate {
        let certificatePath = directory + "/cert.pem"
        let keyPath = directory + "/key.pem"
        if FileIO.exists(certificatePath), FileIO.exists(keyPath) {
            let certificatePEM = try FileIO.contents(of: certificatePath)
            let keyPEM = try FileIO.contents(of: keyPath)
            let loaded: DTLSCertificate
            do {
                loaded = try DTLSCertificate(certificatePEM: certificatePEM, privateKeyPEM: keyPEM)
            } catch {
                throw DTLSError.certificateFile(path: certificatePath, reason: "\(error)")
            }
            if loaded.daysUntilExpiry > renewalDays { return loaded }
        }
        try FileIO.makeDirectory(directory)
        let created = try generate()
        try FileIO.writeAtomically(keyPath, created.privateKeyPEM, mode: 0o600)
        try FileIO.writeAtomically(certificatePath, created.certificatePEM, mode: 0o644)
        return created
    }

    // MARK: OpenSSL objects (the caller frees them)

    static func readCertificate(_ pem: String) throws -> OpaquePointer {
        try withMemoryBIO(pem) { bio in
            guard let certificate = PEM_read_bio_X509(bio, nil, nil, nil) else { throw OpenSSLErrorQueue.error("PEM_read_bio_X509") }
            return certificate
        }
    }

    static func readPrivateKey(_ pem: String) throws -> OpaquePointer {
        try withMemoryBIO(pem) { bio in
            guard let key = PEM_read_bio_PrivateKey(bio, nil, nil, nil) else {
                throw OpenSSLErrorQueue.error("PEM_read_bio_PrivateKey")
            }
            return key
        }
    }

    /// The DER encoding of `certificate` (what fingerprints hash).
    static func der(of certificate: OpaquePointer) throws -> [UInt8] {
        let length = i2d_X509(certificate, nil)
        guard length > 0 else { throw OpenSSLErrorQueue.error("i2d_X509") }
        var der = [UInt8](repeating: 0, count: Int(length))
        let written = der.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            return i2d_X509(certificate, &cursor)
        }
        guard written == length else { throw OpenSSLErrorQueue.error("i2d_X509") }
        return der
    }

    private static func withMemoryBIO<T>(_ text: String, _ body: (OpaquePointer) throws -> T) throws -> T {
        var bytes = Array(text.utf8)
        guard let bio = bytes.withUnsafeMutableBytes({ BIO_new_mem_buf($0.baseAddress, Int32($0.count)) }) else {
            throw OpenSSLErrorQueue.error("BIO_new_mem_buf")
        }
        defer { BIO_free(bio) }
        // BIO_new_mem_buf reads the bytes in place; they live until `bytes` goes, after the BIO.
        return try withExtendedLifetime(bytes) { try body(bio) }
    }

    private static func pem(_ call: String, _ write: (OpaquePointer) -> Int32) throws -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { throw OpenSSLErrorQueue.error("BIO_new") }
        defer { BIO_free(bio) }
        guard write(bio) == 1 else { throw OpenSSLErrorQueue.error(call) }
        var data: UnsafeMutablePointer<CChar>?
        let length = vigil_BIO_get_mem_data(bio, &data)
        guard length > 0, let data else { throw OpenSSLErrorQueue.error("BIO_get_mem_data") }
        return data.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }
}
