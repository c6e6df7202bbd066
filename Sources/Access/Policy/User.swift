/// A configured user: a name, a stored credential (never the password), what they may do, and
/// optionally the networks they may do it from.
public struct User: Hashable, Sendable {
    public var name: String
    public var credential: StoredCredential
    public var grants: [Grant]
    /// The networks this user may connect from, like MediaMTX's `ips`. Empty means any address.
    public var allowedNetworks: [IPNetwork]

    public init(name: String, credential: StoredCredential, grants: [Grant], allowedNetworks: [IPNetwork] = []) {
        self.name = name
        self.credential = credential
        self.grants = grants
        self.allowedNetworks = allowedNetworks
    }

    public func permits(_ action: AccessAction) -> Bool { grants.permit(action) }

    /// True when `address` is inside one of the allowed networks, or there is no list.
    public func allows(_ address: IPAddress) -> Bool {
        allowedNetworks.isEmpty || allowedNetworks.contains { $0.contains(address) }
    }
}
