/// Why a DTLS handshake, a session or a certificate failed. Each case carries the facts: the
/// OpenSSL call and the reasons from its error queue, the fingerprints compared, the file.
public enum DTLSError: Error, Sendable, Hashable, CustomStringConvertible {
    /// An OpenSSL call that sets things up (a context, a session, a certificate) failed.
    case openSSL(call: String, reason: String)
    /// The handshake failed: the peer's alert or OpenSSL's reason, as OpenSSL words it.
    case handshakeFailed(reason: String)
    /// The peer's certificate is not the one the SDP named (RFC 8122 §5, RFC 8827 §6.5).
    /// `received` is the peer certificate's fingerprint by the same hash function.
    case fingerprintMismatch(expected: DTLSFingerprint, received: DTLSFingerprint?)
    /// The handshake finished without a certificate from the peer.
    case noPeerCertificate
    /// The handshake finished without the use_srtp extension agreeing on a profile Vigil
    /// supports (RFC 5764 §4.1.2); `selected` names what OpenSSL selected, if anything.
    case noSRTPProfile(selected: String?)
    /// The DTLS-SRTP exporter (RFC 5764 §4.2, RFC 5705) failed.
    case keyExportFailed(reason: String)
    /// The handshake timer gave up: the peer stopped answering (OpenSSL retransmits a flight
    /// a dozen times, doubling the wait each time, before it does).
    case handshakeTimedOut
    /// A certificate or key file could not be read, written or parsed.
    case certificateFile(path: String, reason: String)

    public var description: String {
        switch self {
        case .openSSL(let call, let reason): "\(call) failed: \(reason)"
        case .handshakeFailed(let reason): "DTLS handshake failed: \(reason)"
        case .fingerprintMismatch(let expected, let received):
            "the peer's DTLS certificate is \(received?.sdp ?? "of an unknown fingerprint"), the SDP said \(expected.sdp)"
        case .noPeerCertificate: "the DTLS peer sent no certificate"
        case .noSRTPProfile(let selected): "no SRTP profile negotiated (use_srtp: \(selected ?? "none"))"
        case .keyExportFailed(let reason): "the DTLS-SRTP key export failed: \(reason)"
        case .handshakeTimedOut: "the DTLS handshake timed out"
        case .certificateFile(let path, let reason): "\(path): \(reason)"
        }
    }
}
