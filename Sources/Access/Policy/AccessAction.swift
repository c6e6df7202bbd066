/// What a request asks for: a permission on a path (a stream path such as `door`, or an API
/// path such as `metrics`).
public struct AccessAction: Hashable, Sendable, CustomStringConvertible {
    public var permission: Permission
    public var path: String

    public init(_ permission: Permission, path: String) {
        self.permission = permission
        self.path = path
    }

    public var description: String { "\(permission) \(path)" }
}
