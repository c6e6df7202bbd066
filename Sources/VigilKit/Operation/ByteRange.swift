/// One byte range of an HTTP `Range` header (RFC 9110 §14.1.2):
///
///     ranges-specifier = range-unit "=" range-set        ; "bytes=0-499", "bytes=500-", "bytes=-500"
///     range-set        = 1#range-spec
///     int-range        = first-pos "-" [ last-pos ]
///     suffix-range     = "-" suffix-length
///
/// Vigil answers one range with 206; a header with several, or one it cannot read, is
/// ignored and the whole body sent (§14.2: a server MAY ignore Range), so no client is
/// ever refused for asking.
enum ByteRange: Equatable {
    case from(Int, through: Int?)
    case suffix(Int)

    /// Most digits a position may have: 18 fit in Int64 with room for adding 1.
    static let maximumDigits = 18

    /// The single range in `header`, nil when it is not exactly one readable byte range.
    static func parse(_ header: String) -> ByteRange? {
        var text = Substring(header)
        while text.first == " " { text.removeFirst() }
        guard text.lowercased().hasPrefix("bytes=") else { return nil }
        text = text.dropFirst(6)
        guard !text.contains(",") else { return nil }
        text = text.drop { $0 == " " || $0 == "\t" }
        while text.last == " " || text.last == "\t" { text.removeLast() }
        guard let dash = text.firstIndex(of: "-") else { return nil }
        let first = text[..<dash]
        let last = text[text.index(after: dash)...]
        func number(_ digits: Substring) -> Int? {
            guard !digits.isEmpty, digits.count <= maximumDigits, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return Int(digits)
        }
        if first.isEmpty {
            guard let length = number(last) else { return nil }
            return .suffix(length)
        }
        guard let start = number(first) else { return nil }
        if last.isEmpty { return .from(start, through: nil) }
        guard let end = number(last), end >= start else { return nil }
        return .from(start, through: end)
    }

    /// The bytes it selects of a body of `length` bytes; nil when unsatisfiable (416).
    func resolve(length: Int) -> Range<Int>? {
        switch self {
        case .from(let start, let end):
            guard start < length else { return nil }
            return start..<(min(end ?? (length - 1), length - 1) + 1)
        case .suffix(let count):
            guard count > 0, length > 0 else { return nil }
            return max(0, length - count)..<length
        }
    }
}
