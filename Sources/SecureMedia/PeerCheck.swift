import COpenSSL

/// The fingerprint check of one session's peer (RFC 8122 §5, RFC 8827 §6.5), made in
/// OpenSSL's verify callback so a stranger's certificate fails the handshake there, with a
/// bad_certificate alert, before any key exists.
final class PeerCheck {
    let expected: DTLSFingerprint
    /// The peer certificate's fingerprint by `expected`'s hash function, once seen.
    private(set) var received: DTLSFingerprint?

    init(expected: DTLSFingerprint) { self.expected = expected }

    /// Whether `certificate` is the one the SDP named.
    func accepts(_ certificate: OpaquePointer) -> Bool {
        guard let der = try? DTLSCertificate.der(of: certificate) else { return false }
        received = expected.sameAlgorithm(ofDER: der)
        return received == expected
    }

    /// SSL_set_ex_data index 0 is the application's (SSL_set_app_data).
    static let exDataIndex: Int32 = 0

    /// Called by OpenSSL for each certificate of the peer's chain and each problem found in it
    /// (a self-signed leaf is one). Only the leaf matters, and only its fingerprint: OpenSSL's
    /// own verdict (`preverified`) is set aside, as RFC 8827 §6.5 asks.
    static func verify(_ preverified: Int32, _ store: OpaquePointer?) -> Int32 {
        guard let store,
            let ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()),
            let data = SSL_get_ex_data(OpaquePointer(ssl), PeerCheck.exDataIndex),
            let leaf = X509_STORE_CTX_get0_cert(store)
        else { return 0 }
        let check = Unmanaged<PeerCheck>.fromOpaque(data).takeUnretainedValue()
        if check.accepts(leaf) { return 1 }
        // OpenSSL turns "certificate rejected" into a bad_certificate alert (RFC 5246 §7.2.2).
        X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED)
        return 0
    }
}
