import Foundation

/// One stored token, as the admin list shows it.
public struct TokenInfo: Sendable, Equatable {
    public enum Status: Sendable, Equatable {
        /// Opens a stream now.
        case live
        /// Past its expiry (whatever uses it had left).
        case expired
        /// No uses left (and not expired).
        case exhausted
    }

    public let token: Token
    /// nil: every stream.
    public let app: String?
    public let label: String?
    public let created: Date
    /// nil: never expires.
    public let expires: Date?
    /// Uses left; nil: unlimited.
    public let remaining: Int?
    /// The status at the `now` the list was taken.
    public let status: Status
}
