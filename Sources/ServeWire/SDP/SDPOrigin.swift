/// The origin line — RFC 4566 §5.2:
/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`.
public struct SDPOrigin: Hashable, Sendable {
    public var username: String
    public var sessionID: UInt64
    public var sessionVersion: UInt64
    public var networkType: String
    public var addressType: String
    public var address: String

    public init(
        username: String = "-", sessionID: UInt64, sessionVersion: UInt64, networkType: String = "IN",
        addressType: String = "IP4", address: String
    ) {
        self.username = username
        self.sessionID = sessionID
        self.sessionVersion = sessionVersion
        self.networkType = networkType
        self.addressType = addressType
        self.address = address
    }

    var serialized: String {
        "\(username) \(sessionID) \(sessionVersion) \(networkType) \(addressType) \(address)"
    }

    init?(parsing text: Substring) {
        let fields = text.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count == 6, let id = UInt64(fields[1]), let version = UInt64(fields[2]) else { return nil }
        self.init(
            username: String(fields[0]), sessionID: id, sessionVersion: version, networkType: String(fields[3]),
            addressType: String(fields[4]), address: String(fields[5])
        )
    }
}
