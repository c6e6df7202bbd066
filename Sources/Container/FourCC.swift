/// A four-character code: an ISO BMFF box type or brand (ISO/IEC 14496-12 §4.2), stored as
/// the big-endian 32-bit integer it is on disk.
public struct FourCC: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: UInt32

    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// `code` must be four ASCII characters.
    public init(_ code: String) {
        let bytes = Array(code.utf8)
        precondition(bytes.count == 4, "a four-character code has four characters: \(code)")
        rawValue = bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }

    public init(stringLiteral value: String) {
        self.init(value)
    }

    public var description: String {
        let bytes = [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: rawValue >> $0) }
        return bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F })
            ? String(decoding: bytes, as: UTF8.self) : "0x" + String(rawValue, radix: 16)
    }
}
