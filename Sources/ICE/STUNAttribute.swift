/// One STUN attribute (RFC 8489 §14), its value without padding; the types ICE uses as
/// constants, with typed readers and makers for the ones Vigil needs.
public struct STUNAttribute: Sendable, Hashable {
    public var type: UInt16
    public var value: [UInt8]

    public init(type: UInt16, value: [UInt8]) {
        self.type = type
        self.value = value
    }

    // RFC 8489 §18.3 and RFC 8445 §16.1.
    public static let username: UInt16 = 0x0006
    public static let messageIntegrity: UInt16 = 0x0008
    public static let errorCode: UInt16 = 0x0009
    public static let xorMappedAddress: UInt16 = 0x0020
    public static let priority: UInt16 = 0x0024
    public static let useCandidate: UInt16 = 0x0025
    public static let software: UInt16 = 0x8022
    public static let fingerprint: UInt16 = 0x8028
    public static let iceControlled: UInt16 = 0x8029
    public static let iceControlling: UInt16 = 0x802A

    /// §14.3: USERNAME, UTF-8 (ICE: "receiver-ufrag:sender-ufrag", RFC 8445 §7.2.2).
    public static func username(_ text: String) -> STUNAttribute { STUNAttribute(type: username, value: Array(text.utf8)) }

    /// §14.2: XOR-MAPPED-ADDRESS of an IPv4 or IPv6 address (4 or 16 bytes) and port.
    public static func xorMappedAddress(address: [UInt8], port: UInt16, transactionID: [UInt8]) -> STUNAttribute {
        precondition(address.count == 4 || address.count == 16, "IPv4 or IPv6")
        var value: [UInt8] = [0, address.count == 4 ? 0x01 : 0x02]
        let xport = port ^ UInt16(STUNMessage.magicCookie >> 16)
        value += [UInt8(xport >> 8), UInt8(xport & 0xFF)]
        let mask = [0x21, 0x12, 0xA4, 0x42] + transactionID
        value += address.enumerated().map { $0.element ^ mask[$0.offset] }
        return STUNAttribute(type: xorMappedAddress, value: value)
    }

    /// The address and port of an XOR-MAPPED-ADDRESS value; nil when malformed.
    public func xorMappedAddress(transactionID: [UInt8]) -> (address: [UInt8], port: UInt16)? {
        guard type == Self.xorMappedAddress, value.count >= 4 else { return nil }
        let family = value[1]
        let length = family == 0x01 ? 4 : family == 0x02 ? 16 : 0
        guard length > 0, value.count == 4 + length, transactionID.count == 12 else { return nil }
        let port = (UInt16(value[2]) << 8 | UInt16(value[3])) ^ UInt16(STUNMessage.magicCookie >> 16)
        let mask = [0x21, 0x12, 0xA4, 0x42] + transactionID
        return (value[4...].enumerated().map { $0.element ^ mask[$0.offset] }, port)
    }

    /// §14.8: ERROR-CODE (class and number, e.g. 401, 487) with a reason phrase.
    public static func errorCode(_ code: Int, reason: String) -> STUNAttribute {
        precondition((300...699).contains(code), "§14.8: 300 to 699")
        return STUNAttribute(type: errorCode, value: [0, 0, UInt8(code / 100), UInt8(code % 100)] + Array(reason.utf8))
    }

    /// A 32-bit value (PRIORITY), big-endian; nil when not four bytes.
    public var uint32: UInt32? {
        guard value.count == 4 else { return nil }
        return value.reduce(0) { $0 << 8 | UInt32($1) }
    }
}
