/// A `gettoken` request, parsed from its query:
///
/// ```
/// GET /gettoken?token=SECRET&app=PATH&duration=S&limit=N&format=xml|json
/// ```
///
/// - `token` (required): the shared secret of the web back end (check it with `UMASSecret`).
/// - `app`: the stream the token opens (`StreamPath` normalizes it); absent: every stream.
/// - `duration`: lifetime in whole seconds; absent: the policy's maximum, or forever.
/// - `limit`: number of uses (new RTSP sessions); absent: the policy's maximum, or unlimited.
/// - `format`: `text` (the default), `json` or `xml`, in any letter case.
///
/// Names are matched exactly (lowercase); other parameters are ignored, so a back end may add
/// a cache-buster. Pure: no clock, no store — the policy's bounds apply later, in `mint`.
public struct UMASRequest: Sendable, Equatable {
    public var secret: String
    public var app: String?
    /// Seconds.
    public var duration: Int?
    public var limit: Int?
    public var format: UMASFormat

    /// No real secret, stream path or number comes near this; it bounds what one request can
    /// make the parser decode, store in a row or quote in a log line.
    public static let maximumValueLength = 1024
    /// The largest `duration` or `limit` the parser reads (12 digits, ~31 700 years of
    /// seconds): above any policy, and far from overflowing `Duration` or Int arithmetic.
    public static let largestNumber = 999_999_999_999

    static let parameterNames: Set<String> = ["token", "app", "duration", "limit", "format"]

    public init(secret: String, app: String? = nil, duration: Int? = nil, limit: Int? = nil, format: UMASFormat = .text) {
        self.secret = secret
        self.app = app
        self.duration = duration
        self.limit = limit
        self.format = format
    }

    /// Parses the raw query string (after the `?`, which may also be included), decoding it
    /// as `application/x-www-form-urlencoded` does: `%XX` escapes, and `+` for a space.
    /// Segments without `=` have an empty value; empty segments (`a=1&&b=2`) are skipped.
    public init(query: some StringProtocol) throws(UMASRequestError) {
        var bytes = Substring(query).utf8[...]
        if bytes.first == UInt8(ascii: "?") { bytes = bytes.dropFirst() }
        var parameters: [(String, String)] = []
        for segment in bytes.split(separator: UInt8(ascii: "&")) {
            let equals = segment.firstIndex(of: UInt8(ascii: "="))
            let rawName = segment[..<(equals ?? segment.endIndex)]
            let rawValue = equals.map { segment[segment.index(after: $0)...] } ?? segment[segment.endIndex...]
            // A name that does not decode cannot be one of ours: ignored like any unknown name.
            guard let name = Self.formDecoded(rawName), Self.parameterNames.contains(name) else { continue }
            // Each escape is three bytes for one: anything longer is too long once decoded.
            guard rawValue.count <= 3 * Self.maximumValueLength else { throw .valueTooLong(parameter: name) }
            guard let value = Self.formDecoded(rawValue) else { throw .malformedEncoding(parameter: name) }
            parameters.append((name, value))
        }
        try self.init(parameters: parameters)
    }

    /// Parses already-decoded (name, value) pairs, in their order in the query, duplicates
    /// included (a dictionary would hide them).
    public init(parameters: some Sequence<(String, String)>) throws(UMASRequestError) {
        var values: [String: String] = [:]
        for (name, value) in parameters where Self.parameterNames.contains(name) {
            guard values[name] == nil else { throw .duplicateParameter(name) }
            guard value.utf8.count <= Self.maximumValueLength else { throw .valueTooLong(parameter: name) }
            guard !value.isEmpty else { throw .emptyParameter(name) }
            values[name] = value
        }

        guard let secret = values["token"] else { throw .missingParameter("token") }
        self.secret = secret

        if let app = values["app"] {
            let normalized = StreamPath.normalized(app)
            guard !normalized.isEmpty, !app.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
            else { throw .invalidApp(app) }
            self.app = normalized
        } else {
            app = nil
        }

        duration = try values["duration"].map { value throws(UMASRequestError) in try Self.number(value, parameter: "duration") }
        limit = try values["limit"].map { value throws(UMASRequestError) in try Self.number(value, parameter: "limit") }

        if let format = values["format"] {
            guard let known = UMASFormat(rawValue: format.lowercased()) else { throw .unknownFormat(format) }
            self.format = known
        } else {
            format = .text
        }
    }

    /// A positive whole number of decimal digits: no sign, no spaces, no fraction, no hex.
    static func number(_ value: String, parameter: String) throws(UMASRequestError) -> Int {
        var digits = Substring(value)
        let negative = digits.first == "-"
        if negative { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw .notANumber(parameter: parameter, value: value)
        }
        guard !negative else { throw .negative(parameter: parameter, value: value) }
        let significant = digits.drop(while: { $0 == "0" })
        guard significant.utf8.count <= String(largestNumber).utf8.count, let number = Int(significant.isEmpty ? "0" : significant),
              number <= largestNumber
        else { throw .tooLarge(parameter: parameter, value: value) }
        guard number > 0 else { throw .zero(parameter: parameter) }
        return number
    }

    /// Form decoding: `+` is a space, `%XX` a byte; nil for a bad escape or bytes that are
    /// not UTF-8.
    static func formDecoded(_ raw: Substring.UTF8View.SubSequence) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.count)
        var index = raw.startIndex
        while index < raw.endIndex {
            let byte = raw[index]
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                let high = raw.index(after: index)
                guard high < raw.endIndex, raw.index(after: high) < raw.endIndex,
                      let h = hexValue(raw[high]), let l = hexValue(raw[raw.index(after: high)])
                else { return nil }
                bytes.append(h << 4 | l)
                index = raw.index(after: high)
            default:
                bytes.append(byte)
            }
            index = raw.index(after: index)
        }
        let text = String(decoding: bytes, as: UTF8.self)
        // Decoding replaces invalid UTF-8 with U+FFFD; a changed byte count or content shows it.
        return text.utf8.elementsEqual(bytes) ? text : nil
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0") ... UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a") ... UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A") ... UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
