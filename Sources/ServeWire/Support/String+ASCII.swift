/// Small ASCII text helpers, so that the wire target needs no Foundation.
extension StringProtocol {
    /// The text without leading and trailing spaces and horizontal tabs (RFC 2326 LWS, RFC 4566).
    func trimmingASCIIWhitespace() -> Substring {
        let isWhitespace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        let whole = Substring(self)
        guard let start = whole.firstIndex(where: { !isWhitespace($0) }) else { return whole[whole.endIndex...] }
        let end = whole.lastIndex(where: { !isWhitespace($0) })!
        return whole[start...end]
    }

    /// ASCII case-insensitive equality (header and parameter names are ASCII).
    func equalsIgnoringASCIICase(_ other: some StringProtocol) -> Bool {
        let lhs = self.utf8
        let rhs = other.utf8
        guard lhs.count == rhs.count else { return false }
        return zip(lhs, rhs).allSatisfy { asciiLowercase($0) == asciiLowercase($1) }
    }
}

@inline(__always)
func asciiLowercase(_ byte: UInt8) -> UInt8 {
    (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
}
