extension UMASRequest {
    /// The query that parses back to this request, every byte outside RFC 3986's unreserved
    /// set percent-encoded: the other half of the parser's round-trip tests.
    var query: String {
        var parts = ["token=" + Self.percentEncoded(secret)]
        if let app { parts.append("app=" + Self.percentEncoded(app)) }
        if let duration { parts.append("duration=\(duration)") }
        if let limit { parts.append("limit=\(limit)") }
        if format != .text { parts.append("format=" + format.rawValue) }
        return parts.joined(separator: "&")
    }

    static func percentEncoded(_ value: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "A") ... UInt8(ascii: "Z"), UInt8(ascii: "a") ... UInt8(ascii: "z"),
                 UInt8(ascii: "0") ... UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"):
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
