/// What a request presented to prove who it is.
public enum PresentedCredentials: Hashable, Sendable, CustomStringConvertible {
    /// No `Authorization` header and no token.
    case none
    /// `Authorization: Basic` (RFC 7617).
    case basic(username: String, password: String)
    /// `Authorization: Digest` (RFC 7616, or RFC 2069 without qop).
    case digest(DigestCredentials)
    /// `Authorization: Bearer`, or a token the server found elsewhere (a `token=` query).
    case token(String)
    /// An `Authorization` header that did not parse.
    case malformed(AuthorizationHeaderError)
    /// A login session's id, from the web page's cookie: the policy looks it up in its own
    /// session table (`AccessPolicy.logIn`), so the id alone proves nothing it did not issue.
    case session(String)

    /// The credentials of an `Authorization` header value; nil is `.none`, and a value that
    /// does not parse is `.malformed` with the reason.
    public init(authorization: String?) {
        guard let authorization else {
            self = .none
            return
        }
        do {
            self = try AuthorizationHeader.parse(authorization)
        } catch {
            self = .malformed(error)
        }
    }

    /// Never the password or the token.
    public var description: String {
        switch self {
        case .none: "no credentials"
        case .basic(let username, _): "Basic credentials for \(username)"
        case .digest(let digest): "Digest credentials for \(digest.username)"
        case .token: "a token"
        case .malformed(let error): "malformed credentials: \(error)"
        case .session: "a login session"
        }
    }
}
