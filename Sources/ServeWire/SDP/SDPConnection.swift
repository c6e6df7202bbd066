/// Connection data — RFC 4566 §5.7: `c=<nettype> <addrtype> <connection-address>`.
public struct SDPConnection: Hashable, Sendable {
    public var networkType: String
    public var addressType: String
    /// The address, with any `/ttl[/count]` suffix of a multicast address kept as written.
    public var address: String

    public init(networkType: String = "IN", addressType: String = "IP4", address: String) {
        self.networkType = networkType
        self.addressType = addressType
        self.address = address
    }

    var serialized: String { "\(networkType) \(addressType) \(address)" }

    init?(parsing text: Substring) {
        let fields = text.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count == 3 else { return nil }
        self.init(networkType: String(fields[0]), addressType: String(fields[1]), address: String(fields[2]))
    }
}
