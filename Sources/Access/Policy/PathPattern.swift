/// The paths a grant covers: one stream path (`door`), every path (`*`), or every path that
/// starts with a prefix (`garden/*`, `cam*`). A `*` anywhere but at the end is refused, so a
/// pattern never means more than it looks like. One leading `/` is ignored on both sides.
public struct PathPattern: Hashable, Sendable, CustomStringConvertible {
    enum Form: Hashable, Sendable {
        case any
        case exact(String)
        case prefix(String)
    }

    let form: Form

    /// Every path.
    public static let any = PathPattern(form: .any)

    private init(form: Form) { self.form = form }

    /// Parses `door`, `*` or `garden/*`.
    public init(_ text: String) throws(PathPatternError) {
        let body = Self.trimmingLeadingSlash(text)
        guard !body.isEmpty else { throw .empty }
        if body == "*" {
            form = .any
            return
        }
        guard let star = body.firstIndex(of: "*") else {
            form = .exact(body)
            return
        }
        guard star == body.index(before: body.endIndex) else { throw .misplacedWildcard(text) }
        form = .prefix(String(body[..<star]))
    }

    public func matches(_ path: String) -> Bool {
        let path = Self.trimmingLeadingSlash(path)
        switch form {
        case .any: return true
        case .exact(let exact): return path == exact
        case .prefix(let prefix): return path.hasPrefix(prefix)
        }
    }

    public var description: String {
        switch form {
        case .any: "*"
        case .exact(let exact): exact
        case .prefix(let prefix): prefix + "*"
        }
    }

    private static func trimmingLeadingSlash(_ text: String) -> String {
        text.hasPrefix("/") ? String(text.dropFirst()) : text
    }
}

/// Why a path pattern from the config was refused.
public enum PathPatternError: Error, Hashable, Sendable, CustomStringConvertible {
    case empty
    case misplacedWildcard(String)

    public var description: String {
        switch self {
        case .empty: "empty path pattern (use \"*\" for every path)"
        case .misplacedWildcard(let text): "path pattern \"\(text)\" has a \"*\" that is not at the end"
        }
    }
}
