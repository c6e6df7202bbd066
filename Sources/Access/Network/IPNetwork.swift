/// A block of addresses in CIDR notation (`192.168.1.0/24`, `fd00::/8`), or one address
/// (`10.0.0.7` means `/32`, `::1` means `/128`). Host bits past the prefix are cleared, as Go's
/// `net.ParseCIDR` (and so MediaMTX's `ips`) does.
///
/// An IPv4 peer seen through a dual-stack socket as `::ffff:a.b.c.d` matches IPv4 networks, and
/// an IPv4-mapped network (`::ffff:10.0.0.0/104`) is the IPv4 network it maps.
public struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
    /// The first address of the block (host bits cleared).
    public let address: IPAddress
    public let prefixLength: Int

    public init(address: IPAddress, prefixLength: Int) throws(IPAddressError) {
        var address = address
        var prefixLength = prefixLength
        if !address.isIPv4, address.unmapped.isIPv4, prefixLength >= 96 {
            address = address.unmapped
            prefixLength -= 96
        }
        guard prefixLength >= 0, prefixLength <= address.bytes.count * 8 else {
            throw .invalidPrefixLength("\(address)/\(prefixLength)")
        }
        self.address = IPAddress(uncheckedBytes: Self.masked(address.bytes, prefixLength: prefixLength))
        self.prefixLength = prefixLength
    }

    public init(_ text: String) throws(IPAddressError) {
        guard let slash = text.firstIndex(of: "/") else {
            let address = try IPAddress(text)
            try self.init(address: address, prefixLength: address.bytes.count * 8)
            return
        }
        let address = try IPAddress(String(text[..<slash]))
        let lengthText = text[text.index(after: slash)...]
        guard (1...3).contains(lengthText.utf8.count), lengthText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let length = Int(lengthText)
        else { throw .invalidPrefixLength(text) }
        do {
            try self.init(address: address, prefixLength: length)
        } catch {
            throw .invalidPrefixLength(text)
        }
    }

    public func contains(_ candidate: IPAddress) -> Bool {
        let candidate = candidate.unmapped
        guard candidate.bytes.count == address.bytes.count else { return false }
        return Self.masked(candidate.bytes, prefixLength: prefixLength) == address.bytes
    }

    public var description: String { "\(address)/\(prefixLength)" }

    static func masked(_ bytes: [UInt8], prefixLength: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let bitsInByte = min(max(prefixLength - index * 8, 0), 8)
            let mask: UInt8 = bitsInByte == 0 ? 0 : ~UInt8(0) << (8 - bitsInByte)
            return byte & mask
        }
    }
}
