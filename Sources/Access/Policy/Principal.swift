/// Who a request was allowed as.
public enum Principal: Hashable, Sendable, CustomStringConvertible {
    /// No credentials; the anonymous grants covered the request.
    case anonymous
    /// A configured user, by name, who proved their password.
    case user(String)
    /// The bearer of a valid token.
    case token

    public var description: String {
        switch self {
        case .anonymous: "anonymous"
        case .user(let name): "user \(name)"
        case .token: "token"
        }
    }
}
