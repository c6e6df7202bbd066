/// Why a request was refused, for the log. Never the password or the token.
public enum RefusalCause: Hashable, Sendable, CustomStringConvertible {
    case noCredentials
    case malformedAuthorization(AuthorizationHeaderError)
    /// Basic credentials while Basic is disabled; the client is pointed at digest.
    case basicDisabled
    /// Unknown user or wrong password (one cause for both, as the answer is one answer).
    case wrongCredentials(username: String)
    /// A digest variant Vigil does not take (`MD5-sess`, `qop=auth-int`, `userhash`, …).
    case unsupportedDigest(String)
    /// A right response for a nonce that expired, belongs to another connection, or was forgotten.
    case staleNonce
    /// A right qop response whose nonce count did not increase.
    case replayedNonceCount
    case tokensDisabled
    case tokenRefused(TokenVerdict)
    case addressNotAllowed(username: String)
    case notPermitted(Principal, AccessAction)
    /// Refused unchecked: the address is backing off.
    case backingOff
    /// A session cookie the table does not know (logged out, expired, or from before a restart).
    case sessionEnded
    /// A user who logged in with a right password but has no `read` grant anywhere.
    case nothingToWatch(username: String)

    public var description: String {
        switch self {
        case .noCredentials: "no credentials"
        case .malformedAuthorization(let error): "malformed Authorization: \(error)"
        case .basicDisabled: "Basic credentials, but Basic is disabled"
        case .wrongCredentials(let username): "wrong credentials for user \"\(username)\""
        case .unsupportedDigest(let what): "unsupported digest: \(what)"
        case .staleNonce: "stale nonce"
        case .replayedNonceCount: "replayed nonce count"
        case .tokensDisabled: "a token, but tokens are disabled"
        case .tokenRefused(let verdict): "token \(verdict)"
        case .addressNotAllowed(let username): "user \"\(username)\" may not connect from this address"
        case .notPermitted(let principal, let action): "\(principal) may not \(action)"
        case .backingOff: "backing off after repeated failures"
        case .sessionEnded: "the login session ended"
        case .nothingToWatch(let username): "user \"\(username)\" may read no stream"
        }
    }
}
