/// An IPv4 or IPv6 address, as a peer's address or inside an allow list.
///
/// Parsing is strict: IPv4 is four decimal parts with no leading zeros (so `010` cannot mean
/// octal to one reader and decimal to another); IPv6 follows RFC 4291 §2.2, with `::` at most
/// once and an optional dotted IPv4 tail. A zone (`%eth0`) on a peer address is dropped.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6, network order.
    public let bytes: [UInt8]

    public var isIPv4: Bool { bytes.count == 4 }

    /// An address from its 4 (IPv4) or 16 (IPv6) bytes, e.g. out of a `sockaddr`.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    public init(_ text: String) throws(IPAddressError) {
        var body = Substring(text)
        if body.hasPrefix("["), body.hasSuffix("]") { body = body.dropFirst().dropLast() }
        if let percent = body.firstIndex(of: "%") { body = body[..<percent] }
        if let v4 = Self.parseIPv4(body) {
            bytes = v4
        } else if let v6 = Self.parseIPv6(body) {
            bytes = v6
        } else {
            throw .invalidAddress(text)
        }
    }

    /// The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, what a
    /// dual-stack socket reports for an IPv4 peer); any other address unchanged.
    public var unmapped: IPAddress {
        guard bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF else {
            return self
        }
        return IPAddress(uncheckedBytes: Array(bytes[12..<16]))
    }

    init(uncheckedBytes: [UInt8]) { bytes = uncheckedBytes }

    /// Dotted decimal, or RFC 5952 text for IPv6 (lowercase, longest zero run as `::`).
    public var description: String {
        if isIPv4 { return bytes.map(String.init).joined(separator: ".") }
        let groups = (0..<8).map { UInt16(bytes[2 * $0]) << 8 | UInt16(bytes[2 * $0 + 1]) }
        var bestStart = -1, bestLength = 0, runStart = -1
        for index in 0...8 {
            if index < 8, groups[index] == 0 {
                if runStart < 0 { runStart = index }
            } else if runStart >= 0 {
                if index - runStart > bestLength, index - runStart >= 2 { bestStart = runStart; bestLength = index - runStart }
                runStart = -1
            }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard bestStart >= 0 else { return hex.joined(separator: ":") }
        let head = hex[..<bestStart].joined(separator: ":")
        let tail = hex[(bestStart + bestLength)...].joined(separator: ":")
        return head + "::" + tail
    }

    static func parseIPv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.utf8.count), part.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            guard part == "0" || !part.hasPrefix("0") else { return nil }
            guard let value = UInt8(part) else { return nil }
            out.append(value)
        }
        return out
    }

    static func parseIPv6(_ text: Substring) -> [UInt8]? {
        guard text.utf8.count >= 2, text.utf8.count <= 45 else { return nil }
        let halves = text.split(separator: "::", maxSplits: 2, omittingEmptySubsequences: false)
        guard halves.count <= 2 else { return nil }
        guard let head = parseGroups(halves[0], allowsIPv4Tail: halves.count == 1) else { return nil }
        var groups = head
        if halves.count == 2 {
            guard let tail = parseGroups(halves[1], allowsIPv4Tail: true) else { return nil }
            // `::` stands for at least one group of zeros.
            guard head.count + tail.count <= 7 else { return nil }
            groups += Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard groups.count == 8 else { return nil }
        return groups.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }

    /// Colon-separated groups of 1–4 hex digits; the last may be a dotted IPv4 address.
    private static func parseGroups(_ text: Substring, allowsIPv4Tail: Bool) -> [UInt16]? {
        if text.isEmpty { return [] }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        var groups: [UInt16] = []
        for (index, part) in parts.enumerated() {
            if index == parts.count - 1, allowsIPv4Tail, part.contains(".") {
                guard let v4 = parseIPv4(part) else { return nil }
                groups.append(UInt16(v4[0]) << 8 | UInt16(v4[1]))
                groups.append(UInt16(v4[2]) << 8 | UInt16(v4[3]))
                continue
            }
            guard (1...4).contains(part.utf8.count), let value = UInt16(part, radix: 16),
                  part.utf8.allSatisfy({ Hex.value(of: $0) != nil })
            else { return nil }
            groups.append(value)
        }
        return groups
    }
}

/// Why an address or network from the config or a peer did not parse.
public enum IPAddressError: Error, Hashable, Sendable, CustomStringConvertible {
    case invalidAddress(String)
    case invalidPrefixLength(String)

    public var description: String {
        switch self {
        case .invalidAddress(let text): "\"\(text)\" is not an IPv4 or IPv6 address"
        case .invalidPrefixLength(let text): "\"\(text)\" has no valid prefix length (0–32 for IPv4, 0–128 for IPv6)"
        }
    }
}
