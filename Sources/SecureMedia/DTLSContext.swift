import COpenSSL

/// One OpenSSL `SSL_CTX` for every WebRTC peer: DTLS 1.2 only, Vigil's certificate, the
/// use_srtp extension (RFC 5764 §4.1) offering AEAD_AES_128_GCM (RFC 7714) then
/// AES128_CM_HMAC_SHA1_80, and the peer's certificate demanded and checked by its SDP
/// fingerprint alone (RFC 8827 §6.5: self-signed, no chain, no names, no dates).
///
/// `@unchecked Sendable`: the context is configured once, in `init`, and never changed after;
/// OpenSSL locks what sessions share through it (reference counts), so sessions on any thread
/// may be made from it.
public final class DTLSContext: @unchecked Sendable {
    /// RFC 5764 §4.1.2 profile names, most preferred first.
    public static let srtpProfiles = "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"
    /// ECDHE with ECDSA (the key is P-256) and AEAD only, the suites browsers offer for DTLS 1.2.
    static let cipherSuites = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305"

    public let certificate: DTLSCertificate
    let context: OpaquePointer
    /// The datagram BIO every session writes through (see `DatagramSink`).
    let datagramMethod: OpaquePointer

    public init(certificate: DTLSCertificate) throws {
        guard let context = SSL_CTX_new(DTLS_method()) else { throw OpenSSLErrorQueue.error("SSL_CTX_new(DTLS_method)") }
        guard let method = DatagramSink.makeMethod() else {
            SSL_CTX_free(context)
            throw OpenSSLErrorQueue.error("BIO_meth_new")
        }
        self.context = context
        self.datagramMethod = method
        self.certificate = certificate
        // From here on, deinit frees both.
        guard vigil_SSL_CTX_set_dtls12_only(context) == 1 else { throw OpenSSLErrorQueue.error("SSL_CTX_set_min/max_proto_version") }
        vigil_SSL_CTX_set_webrtc_options(context)
        guard SSL_CTX_set_cipher_list(context, Self.cipherSuites) == 1 else { throw OpenSSLErrorQueue.error("SSL_CTX_set_cipher_list") }
        // Unlike its neighbours, SSL_CTX_set_tlsext_use_srtp returns 0 on success.
        guard SSL_CTX_set_tlsext_use_srtp(context, Self.srtpProfiles) == 0 else {
            throw OpenSSLErrorQueue.error("SSL_CTX_set_tlsext_use_srtp")
        }
        let x509 = try DTLSCertificate.readCertificate(certificate.certificatePEM)
        defer { X509_free(x509) }
        let key = try DTLSCertificate.readPrivateKey(certificate.privateKeyPEM)
        defer { EVP_PKEY_free(key) }
        guard SSL_CTX_use_certificate(context, x509) == 1 else { throw OpenSSLErrorQueue.error("SSL_CTX_use_certificate") }
        guard SSL_CTX_use_PrivateKey(context, key) == 1 else { throw OpenSSLErrorQueue.error("SSL_CTX_use_PrivateKey") }
        guard SSL_CTX_check_private_key(context) == 1 else { throw OpenSSLErrorQueue.error("SSL_CTX_check_private_key") }
        // Both roles ask for the peer's certificate (a server must, RFC 5763 §5), and a peer
        // without one fails the handshake; the callback replaces chain checks by the fingerprint.
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT) { PeerCheck.verify($0, $1) }
    }

    deinit {
        SSL_CTX_free(context)
        BIO_meth_free(datagramMethod)
    }
}
