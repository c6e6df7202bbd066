import Crypto

/// The hash of an RFC 7616 digest: SHA-256, or MD5 for the clients that know nothing else
/// (ffmpeg's libavformat/httpauth.c and GStreamer's gstrtspconnection.c compute MD5 only).
/// The `-sess` variants are not offered and not accepted.
public enum DigestAlgorithm: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    case sha256 = "SHA-256"
    case md5 = "MD5"

    /// The algorithm named by an `algorithm=` value, compared case-insensitively (RFC 7616
    /// §3.3: the value is a token, and clients differ in case). Nil for anything else.
    public init?(token: String) {
        switch token.lowercased() {
        case "sha-256": self = .sha256
        case "md5": self = .md5
        default: return nil
        }
    }

    /// The `algorithm=` value (RFC 7616 §6.1 registry spelling).
    public var token: String { rawValue }
    public var description: String { rawValue }

    /// Lowercase hex digits of one hash: 64 for SHA-256, 32 for MD5.
    public var hexLength: Int {
        switch self {
        case .sha256: 64
        case .md5: 32
        }
    }

    /// H(data) as lowercase hex (RFC 7616 §3.4.1).
    public func hash(_ text: String) -> String {
        let bytes = Array(text.utf8)
        switch self {
        case .sha256: return Hex.encode(SHA256.hash(data: bytes))
        case .md5: return Hex.encode(Insecure.MD5.hash(data: bytes))
        }
    }

    /// H(A1) with A1 = username ":" realm ":" passwd (RFC 7616 §3.4.2, not `-sess`).
    public func ha1(username: String, realm: String, password: String) -> String {
        hash("\(username):\(realm):\(password)")
    }

    /// The `response=` value (RFC 7616 §3.4.1), from H(A1) and the request:
    ///
    ///     response = <"> < KD ( H(A1), unq(nonce) ":" nc ":" unq(cnonce) ":" unq(qop) ":" H(A2) ) <">
    ///     A2       = Method ":" request-uri                       (qop=auth)
    ///
    /// and, when the client sent no qop (RFC 2069 §2.1.2, which RFC 2617 §3.2.2.1 kept):
    ///
    ///     response = KD ( H(A1), unq(nonce) ":" H(A2) )
    ///
    /// with KD(secret, data) = H(secret ":" data).
    public func response(ha1: String, nonce: String, method: String, uri: String, quality: QualityOfProtection?) -> String {
        let ha2 = hash("\(method):\(uri)")
        guard let quality else { return hash("\(ha1):\(nonce):\(ha2)") }
        return hash("\(ha1):\(nonce):\(quality.nonceCountText):\(quality.cnonce):\(quality.qop):\(ha2)")
    }

    /// The parts of a qop response as the client sent them: the nonce count, the client nonce
    /// and the qop. They enter the hash as text, so a client's spelling is kept.
    public struct QualityOfProtection: Hashable, Sendable {
        /// `nc` as sent: 8 hex digits (RFC 7616 §3.4, "nc-value = 8LHEX").
        public var nonceCountText: String
        public var cnonce: String
        public var qop: String

        public init(nonceCountText: String, cnonce: String, qop: String = "auth") {
            self.nonceCountText = nonceCountText
            self.cnonce = cnonce
            self.qop = qop
        }

        /// The count formatted as clients do (`%08x`).
        public init(nonceCount: UInt32, cnonce: String, qop: String = "auth") {
            let digits = String(nonceCount, radix: 16)
            self.init(nonceCountText: String(repeating: "0", count: 8 - digits.count) + digits, cnonce: cnonce, qop: qop)
        }
    }
}
