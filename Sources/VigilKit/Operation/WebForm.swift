/// An `application/x-www-form-urlencoded` body (the WHATWG URL standard's
/// "application/x-www-form-urlencoded parsing"): `name=value` pairs joined by `&`, `+` for a
/// space, `%XX` for a byte. A pure value, fuzzed in `WebPageFuzzTests`.
///
/// Limits, so a hostile body costs little: at most `maximumFields` pairs are kept, and a pair
/// whose bytes do not decode to UTF-8 is dropped rather than guessed at.
struct WebForm: Hashable, Sendable {
    /// The login form has three fields; 32 leaves room for a browser's extras.
    static let maximumFields = 32

    private(set) var fields: [(name: String, value: String)] = []

    static func == (lhs: WebForm, rhs: WebForm) -> Bool {
        lhs.fields.elementsEqual(rhs.fields) { $0.name == $1.name && $0.value == $1.value }
    }

    func hash(into hasher: inout Hasher) {
        for field in fields {
            hasher.combine(field.name)
            hasher.combine(field.value)
        }
    }

    init(_ bytes: some Collection<UInt8>) {
        for pair in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            guard fields.count < Self.maximumFields else { break }
            let name: ArraySlice<UInt8>
            let value: ArraySlice<UInt8>
            let array = Array(pair)[...]
            if let equals = array.firstIndex(of: UInt8(ascii: "=")) {
                name = array[..<equals]
                value = array[(equals + 1)...]
            } else {
                name = array
                value = []
            }
            guard let decodedName = Self.decode(name), let decodedValue = Self.decode(value) else { continue }
            fields.append((decodedName, decodedValue))
        }
    }

    /// The first value of `name`.
    subscript(name: String) -> String? {
        fields.first { $0.name == name }?.value
    }

    /// Percent-decoding with `+` as a space; a `%` not followed by two hex digits stays as it
    /// is (as the standard says); nil when the bytes are not UTF-8.
    static func decode(_ bytes: ArraySlice<UInt8>) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), bytes.distance(from: index, to: bytes.endIndex) >= 3,
                let high = hex(bytes[index + 1]), let low = hex(bytes[index + 2])
            {
                out.append(high << 4 | low)
                index += 3
                continue
            } else {
                out.append(byte)
            }
            index += 1
        }
        return String(validating: out, as: UTF8.self)
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// The form encoding of `fields` (for tests and the round trip).
    static func encode(_ fields: [(String, String)]) -> String {
        fields.map { "\(component($0.0))=\(component($0.1))" }.joined(separator: "&")
    }

    private static func component(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "*"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "): out += "+"
            default:
                let digits = Array("0123456789ABCDEF".unicodeScalars)
                out += "%"
                out.unicodeScalars.append(digits[Int(byte >> 4)])
                out.unicodeScalars.append(digits[Int(byte & 0xF)])
            }
        }
        return out
    }
}
