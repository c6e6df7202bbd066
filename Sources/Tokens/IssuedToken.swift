import Foundation

/// What `TokenStore.mint` hands back: the token for the UMAS reply, and the bounds it was
/// actually given once the policy filled in what the request left out.
public struct IssuedToken: Sendable, Equatable {
    public let token: Token
    /// The stream it opens (normalized, see `StreamPath`); nil for every stream.
    public let app: String?
    public let label: String?
    public let created: Date
    /// nil: never expires.
    public let expires: Date?
    /// Uses granted; nil: unlimited.
    public let limit: Int?
}
