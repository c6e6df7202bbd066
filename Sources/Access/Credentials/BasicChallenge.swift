/// `WWW-Authenticate: Basic realm="…", charset="UTF-8"` (RFC 7617 §2, §2.1). Sent after the
/// digest challenges, and only when Basic is enabled.
public struct BasicChallenge: Hashable, Sendable {
    public var realm: String

    public init(realm: String) { self.realm = realm }

    public var headerValue: String { "Basic realm=\(DigestChallenge.quoted(realm)), charset=\"UTF-8\"" }
}
