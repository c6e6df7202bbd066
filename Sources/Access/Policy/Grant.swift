/// One permission on the paths of one pattern: `read` on `door`, `api` on `*`.
public struct Grant: Hashable, Sendable, CustomStringConvertible {
    public var permission: Permission
    public var path: PathPattern

    public init(_ permission: Permission, path: PathPattern) {
        self.permission = permission
        self.path = path
    }

    public func permits(_ action: AccessAction) -> Bool {
        permission == action.permission && path.matches(action.path)
    }

    public var description: String { "\(permission):\(path)" }
}

extension Sequence<Grant> {
    /// True when any grant permits `action`.
    func permit(_ action: AccessAction) -> Bool { contains { $0.permits(action) } }
}
