/// The answer for one token.
public enum TokenVerdict: Hashable, Sendable, CustomStringConvertible {
    /// Valid for this path; spent once. It grants these permissions there.
    case valid(permissions: Set<Permission>)
    /// Never minted (or already deleted).
    case unknown
    /// Past its lifetime.
    case expired
    /// Every use spent.
    case exhausted
    /// Valid, but for another path.
    case wrongPath

    public var description: String {
        switch self {
        case .valid(let permissions): "valid for \(permissions.map(\.rawValue).sorted().joined(separator: ", "))"
        case .unknown: "unknown"
        case .expired: "expired"
        case .exhausted: "exhausted"
        case .wrongPath: "for another path"
        }
    }
}
