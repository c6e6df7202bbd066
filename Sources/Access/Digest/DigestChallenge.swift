/// One `WWW-Authenticate: Digest` challenge (RFC 7616 §3.3):
///
///     WWW-Authenticate: Digest realm="http-auth@example.org", qop="auth",
///         algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
///         opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
///
/// A 401 carries one per algorithm, SHA-256 first, each in its own header (§3.7: the client
/// takes the first it supports). The order matters beyond the RFC: ffmpeg (httpauth.c) and
/// GStreamer (gstrtspsrc.c) both keep the *last* Digest challenge they read, and both know
/// only MD5, so MD5 must come last.
public struct DigestChallenge: Hashable, Sendable {
    public var realm: String
    public var nonce: String
    public var opaque: String?
    public var algorithm: DigestAlgorithm
    /// Offer `qop="auth"`. Clients that ignore it (RFC 2069 style) are still accepted.
    public var offersQualityOfProtection: Bool
    /// The previous request had a right response for a nonce that is no longer valid: the
    /// client may retry with the new nonce without asking its user again (§3.3).
    public var stale: Bool

    public init(
        realm: String, nonce: String, opaque: String? = nil, algorithm: DigestAlgorithm,
        offersQualityOfProtection: Bool = true, stale: Bool = false
    ) {
        self.realm = realm
        self.nonce = nonce
        self.opaque = opaque
        self.algorithm = algorithm
        self.offersQualityOfProtection = offersQualityOfProtection
        self.stale = stale
    }

    /// The header value, in the RFC's parameter order.
    public var headerValue: String {
        var parameters = ["realm=\(Self.quoted(realm))"]
        if offersQualityOfProtection { parameters.append("qop=\"auth\"") }
        parameters.append("algorithm=\(algorithm.token)")
        parameters.append("nonce=\(Self.quoted(nonce))")
        if let opaque { parameters.append("opaque=\(Self.quoted(opaque))") }
        if stale { parameters.append("stale=true") }
        return "Digest " + parameters.joined(separator: ", ")
    }

    /// quoted-string with `"` and `\` escaped (RFC 9110 §5.6.4).
    static func quoted(_ text: String) -> String {
        var out = "\""
        for character in text {
            if character == "\"" || character == "\\" { out.append("\\") }
            out.append(character)
        }
        return out + "\""
    }
}
