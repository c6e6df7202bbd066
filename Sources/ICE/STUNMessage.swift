import Crypto

/// A STUN message — RFC 8489 §5–6 (and RFC 5389, which it obsoletes): the 20-byte header
/// (type, length, the magic cookie, a 96-bit transaction ID) and type-length-value attributes
/// padded to four bytes; what ICE connectivity checks (RFC 8445 §7.1) are made of. Pure: it
/// reads and writes bytes, and checks MESSAGE-INTEGRITY (HMAC-SHA1, swift-crypto) and
/// FINGERPRINT (CRC-32).
public struct STUNMessage: Sendable, Hashable {
    /// §5: the message class, two bits spread over the type field.
    public enum Class: UInt16, Sendable, Hashable {
        case request = 0b00
        case indication = 0b01
        case successResponse = 0b10
        case errorResponse = 0b11
    }

    /// §18.2: the Binding method, the only one ICE uses.
    public static let binding: UInt16 = 0x001
    /// §5: 0x2112A442, in every message after RFC 3489.
    public static let magicCookie: UInt32 = 0x2112_A442
    public static let headerLength = 20
    /// A STUN message on a path shared with DTLS and SRTP is at most one UDP datagram; a
    /// connectivity check is under 200 bytes. Longer input is refused unread.
    public static let maximumLength = 1500

    public var method: UInt16
    public var messageClass: Class
    /// 12 bytes, chosen at random by the requester; the response echoes it.
    public var transactionID: [UInt8]
    public var attributes: [STUNAttribute]

    public init(method: UInt16 = STUNMessage.binding, messageClass: Class, transactionID: [UInt8], attributes: [STUNAttribute] = []) {
        precondition(transactionID.count == 12, "a transaction ID is 96 bits")
        precondition(method <= 0xFFF, "a method is 12 bits")
        self.method = method
        self.messageClass = messageClass
        self.transactionID = transactionID
        self.attributes = attributes
    }

    /// RFC 7983 §7: on a port shared with DTLS and SRTP, a first byte of 0–3 is STUN.
    public static func looksLikeSTUN(_ bytes: some Collection<UInt8>) -> Bool {
        guard let first = bytes.first else { return false }
        return first <= 3 && bytes.count >= headerLength
    }

    // MARK: Reading

    /// Parses `bytes` (one whole message, as a UDP datagram carries it). MESSAGE-INTEGRITY
    /// and FINGERPRINT are kept as attributes; check them with `hasValidIntegrity` and
    /// `hasValidFingerprint` on the same bytes.
    public init(parsing bytes: [UInt8]) throws(STUNError) {
        guard bytes.count >= Self.headerLength else { throw .truncated }
        guard bytes.count <= Self.maximumLength else { throw .tooLong }
        let type = Self.uint16(bytes, 0)
        guard type & 0xC000 == 0 else { throw .notSTUN }  // §6: the two top bits are zero
        let length = Int(Self.uint16(bytes, 2))
        guard Self.uint32(bytes, 4) == Self.magicCookie else { throw .notSTUN }
        guard length % 4 == 0, Self.headerLength + length == bytes.count else { throw .badLength }
        let classBits = ((type >> 4) & 0x1) | ((type >> 7) & 0x2)
        let method = (type & 0x000F) | ((type >> 1) & 0x0070) | ((type >> 2) & 0x0F80)
        var attributes: [STUNAttribute] = []
        var offset = Self.headerLength
        while offset < bytes.count {
            guard offset + 4 <= bytes.count else { throw .badAttribute }
            let attributeType = Self.uint16(bytes, offset)
            let attributeLength = Int(Self.uint16(bytes, offset + 2))
            let padded = (attributeLength + 3) & ~3
            guard offset + 4 + padded <= bytes.count else { throw .badAttribute }
            attributes.append(STUNAttribute(type: attributeType, value: Array(bytes[(offset + 4)..<(offset + 4 + attributeLength)])))
            offset += 4 + padded
        }
        self.method = method
        self.messageClass = Class(rawValue: classBits)!
        self.transactionID = Array(bytes[8..<20])
        self.attributes = attributes
    }

    /// The first attribute of `type`, if any.
    public func attribute(_ type: UInt16) -> STUNAttribute? { attributes.first { $0.type == type } }

    /// §14.5: MESSAGE-INTEGRITY, an HMAC-SHA1 with `key` (ICE: the receiver's password, RFC
    /// 8445 §7.2.2) over the message up to the attribute, its length field counting up to
    /// and including it. Attributes after it (only FINGERPRINT may follow) are outside.
    public static func hasValidIntegrity(_ bytes: [UInt8], key: [UInt8]) -> Bool {
        guard let position = position(of: STUNAttribute.messageIntegrity, in: bytes), position.length == 20 else { return false }
        var covered = Array(bytes[0..<position.offset])
        let length = UInt16(position.offset + 4 + 20 - headerLength)
        covered[2] = UInt8(length >> 8)
        covered[3] = UInt8(length & 0xFF)
        // swift-crypto compares in constant time.
        return HMAC<Insecure.SHA1>.isValidAuthenticationCode(
            Array(bytes[(position.offset + 4)..<(position.offset + 24)]), authenticating: covered, using: SymmetricKey(data: key))
    }

    /// §14.7: FINGERPRINT, the last attribute: CRC-32 of everything before it XOR 0x5354554E.
    public static func hasValidFingerprint(_ bytes: [UInt8]) -> Bool {
        guard let position = position(of: STUNAttribute.fingerprint, in: bytes), position.length == 4,
            position.offset + 8 == bytes.count
        else { return false }
        return CRC32.checksum(bytes[0..<position.offset]) ^ fingerprintXOR == uint32(bytes, position.offset + 4)
    }

    static let fingerprintXOR: UInt32 = 0x5354_554E

    /// Where attribute `type` starts (its header) and its value's length, in a parsed-valid message.
    private static func position(of type: UInt16, in bytes: [UInt8]) -> (offset: Int, length: Int)? {
        var offset = headerLength
        while offset + 4 <= bytes.count {
            let found = uint16(bytes, offset)
            let length = Int(uint16(bytes, offset + 2))
            if found == type { return offset + 4 + length <= bytes.count ? (offset, length) : nil }
            offset += 4 + ((length + 3) & ~3)
        }
        return nil
    }

    // MARK: Writing

    /// The message's bytes: its attributes (MESSAGE-INTEGRITY and FINGERPRINT among them are
    /// dropped), then MESSAGE-INTEGRITY with `integrityKey` if given, then FINGERPRINT if asked.
    public func encoded(integrityKey: [UInt8]? = nil, fingerprint: Bool = false) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(128)
        let c = messageClass.rawValue
        let type = (method & 0x000F) | ((c & 0x1) << 4) | ((method & 0x0070) << 1) | ((c & 0x2) << 7) | ((method & 0x0F80) << 2)
        Self.append(type, to: &bytes)
        Self.append(UInt16(0), to: &bytes)
        Self.append(Self.magicCookie, to: &bytes)
        bytes += transactionID
        for attribute in attributes where attribute.type != STUNAttribute.messageIntegrity && attribute.type != STUNAttribute.fingerprint {
            Self.append(attribute, to: &bytes)
        }
        if let integrityKey {
            Self.setLength(bytes.count - Self.headerLength + 24, in: &bytes)
            let mac = HMAC<Insecure.SHA1>.authenticationCode(for: bytes, using: SymmetricKey(data: integrityKey))
            Self.append(STUNAttribute(type: STUNAttribute.messageIntegrity, value: Array(mac)), to: &bytes)
        }
        if fingerprint {
            Self.setLength(bytes.count - Self.headerLength + 8, in: &bytes)
            let crc = CRC32.checksum(bytes[...]) ^ Self.fingerprintXOR
            var value: [UInt8] = []
            Self.append(crc, to: &value)
            Self.append(STUNAttribute(type: STUNAttribute.fingerprint, value: value), to: &bytes)
        }
        Self.setLength(bytes.count - Self.headerLength, in: &bytes)
        return bytes
    }

    private static func setLength(_ length: Int, in bytes: inout [UInt8]) {
        bytes[2] = UInt8(length >> 8)
        bytes[3] = UInt8(length & 0xFF)
    }

    static func append(_ attribute: STUNAttribute, to bytes: inout [UInt8]) {
        append(attribute.type, to: &bytes)
        append(UInt16(attribute.value.count), to: &bytes)
        bytes += attribute.value
        // §14: padded to four bytes; the padding's content is ignored (zeros here).
        bytes += [UInt8](repeating: 0, count: (4 - attribute.value.count % 4) % 4)
    }

    static func append(_ value: UInt16, to bytes: inout [UInt8]) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xFF))
    }

    static func append(_ value: UInt32, to bytes: inout [UInt8]) {
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8((value >> UInt32(shift)) & 0xFF)) }
    }

    static func uint16(_ bytes: [UInt8], _ at: Int) -> UInt16 { UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1]) }
    static func uint32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
    }
}

/// Why bytes are not a STUN message Vigil takes.
public enum STUNError: Error, Sendable, Hashable {
    case truncated
    case tooLong
    /// No magic cookie, or the top bits of the type set: another protocol.
    case notSTUN
    case badLength
    case badAttribute
}
