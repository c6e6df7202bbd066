/// Why a playback header (Range, Scale, Speed, Seek-Style, RTP-Info) could not be read.
public struct PlaybackHeaderError: Error, Hashable, Sendable, CustomStringConvertible {
    public var header: String
    public var value: String
    public var reason: String

    public init(header: String, value: String, reason: String) {
        self.header = header
        self.value = value
        self.reason = reason
    }

    public var description: String { "\(header): \(reason) in \"\(value.prefix(80))\"" }
}

/// The `Range` header of PLAY and its answer — RFC 2326 §12.29 with the NPT (§3.6) and UTC
/// (§3.7) formats; RFC 7826 §4.4 spells the same grammar more tightly (one range, no
/// `time=` parameter honoured). SMPTE ranges are not offered: Vigil's media has no frame
/// numbering of its own.
public enum RTSPRange: Hashable, Sendable {
    /// Normal play time: seconds from the start of the presentation; `nil` start is `now`
    /// (live), `nil` end runs to the end.
    case npt(start: Double?, end: Double?)
    /// Absolute wall-clock time (UTC), as nanoseconds since 1970.
    case clock(start: Int64, end: Int64?)

    /// Longest value read: a Range is a few dozen characters.
    static let maximumLength = 256
    /// 1900-01-01T00:00:00Z, NTP's epoch, in nanoseconds since 1970.
    public static let ntpEpoch: Int64 = -2_208_988_800 * 1_000_000_000
    /// Far enough for any recording (a century of seconds) and exact in a Double.
    static let maximumSeconds = 3_155_760_000.0

    /// Reads one range; parameters after `;` (`time=`) are ignored, as RFC 7826 has it.
    public static func parse(_ value: String) throws(PlaybackHeaderError) -> RTSPRange {
        func fail(_ reason: String) -> PlaybackHeaderError { PlaybackHeaderError(header: "Range", value: value, reason: reason) }
        guard value.utf8.count <= maximumLength else { throw fail("too long") }
        let spec = value.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]
            .trimmingASCIIWhitespace()
        guard let equals = spec.firstIndex(of: "=") else { throw fail("no unit (npt= or clock=)") }
        let unit = spec[..<equals].trimmingASCIIWhitespace().lowercased()
        let rest = spec[spec.index(after: equals)...]
        let sides = rest.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard sides.count == 2 else { throw fail("no '-' between start and end") }
        let first = sides[0].trimmingASCIIWhitespace()
        let second = sides[1].trimmingASCIIWhitespace()
        switch unit {
        case "npt":
            let start: Double?
            if first.isEmpty {
                // RFC 2326: "-" npt-time is a range up to that time, from the beginning.
                guard !second.isEmpty else { throw fail("neither start nor end") }
                start = 0
            } else if first.lowercased() == "now" {
                start = nil
            } else {
                guard let seconds = nptSeconds(first) else { throw fail("start is not an NPT time") }
                start = seconds
            }
            var end: Double?
            if !second.isEmpty {
                guard let seconds = nptSeconds(second) else { throw fail("end is not an NPT time") }
                end = seconds
            }
            if let start, let end, end < start { throw fail("end before start") }
            return .npt(start: start, end: end)
        case "clock":
            guard let start = utcNanoseconds(first) else { throw fail("start is not a UTC time (YYYYMMDDThhmmss[.fff]Z)") }
            var end: Int64?
            if !second.isEmpty {
                guard let nanoseconds = utcNanoseconds(second) else { throw fail("end is not a UTC time") }
                guard nanoseconds >= start else { throw fail("end before start") }
                end = nanoseconds
            }
            return .clock(start: start, end: end)
        default:
            throw fail("unit \(unit) is not npt or clock")
        }
    }

    /// The header value: `npt=12.500-`, `npt=now-`, `clock=20261201T030000.250Z-…`.
    public var headerValue: String {
        switch self {
        case .npt(let start, let end):
            let from = start.map(Self.formatSeconds) ?? "now"
            return "npt=\(from)-\(end.map(Self.formatSeconds) ?? "")"
        case .clock(let start, let end):
            return "clock=\(Self.formatUTC(start))-\(end.map(Self.formatUTC) ?? "")"
        }
    }

    /// npt-sec (`12`, `12.5`) or npt-hhmmss (`0:00:12.5`, hours of any length).
    static func nptSeconds(_ text: Substring) -> Double? {
        let fields = text.split(separator: ":", omittingEmptySubsequences: false)
        switch fields.count {
        case 1:
            return decimal(fields[0])
        case 3:
            guard let hours = digits(fields[0]), let minutes = digits(fields[1]), fields[1].count == 2, minutes < 60,
                fields[2].count >= 2, let seconds = decimal(fields[2]), seconds < 60
            else { return nil }
            let total = Double(hours) * 3600 + Double(minutes) * 60 + seconds
            return total <= maximumSeconds ? total : nil
        default:
            return nil
        }
    }

    /// 1*DIGIT [ "." *DIGIT ], within `maximumSeconds`.
    static func decimal(_ text: Substring) -> Double? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.count <= 10, whole.allSatisfy(\.isASCIIDigit) else { return nil }
        var value = Double(Int(whole)!)
        if parts.count == 2 {
            let fraction = parts[1]
            guard fraction.allSatisfy(\.isASCIIDigit) else { return nil }
            var scale = 0.1
            for digit in fraction.prefix(9) {
                value += Double(digit.wholeNumberValue!) * scale
                scale /= 10
            }
        }
        return value <= maximumSeconds ? value : nil
    }

    static func digits(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.count <= 10, text.allSatisfy(\.isASCIIDigit) else { return nil }
        return Int(text)
    }

    /// `YYYYMMDDThhmmss[.fraction]Z` → nanoseconds since 1970 (proleptic Gregorian, UTC).
    /// Years 1900 to 2261: nanoseconds since 1970 overflow an Int64 in April 2262; before 1970
    /// they are negative (ONVIF clients write npt as clock time from 1900, NTP's epoch).
    static func utcNanoseconds(_ text: Substring) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 16, bytes.count <= 40, bytes[8] == UInt8(ascii: "T"), bytes.last == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for i in range {
                guard bytes[i] >= 48 && bytes[i] <= 57 else { return nil }
                value = value * 10 + Int(bytes[i] - 48)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8),
            let hour = number(9..<11), let minute = number(11..<13), let second = number(13..<15),
            (1900...2261).contains(year), (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
            hour < 24, minute < 60, second < 61
        else { return nil }
        var nanoseconds: Int64 = 0
        let afterSeconds = 15
        if bytes.count > 16 {
            // "." and 1*DIGIT of fraction before the Z.
            guard bytes[afterSeconds] == UInt8(ascii: "."), bytes.count > 17 else { return nil }
            var scale: Int64 = 100_000_000
            for i in (afterSeconds + 1)..<(bytes.count - 1) {
                guard bytes[i] >= 48 && bytes[i] <= 57 else { return nil }
                nanoseconds += Int64(bytes[i] - 48) * scale
                scale /= 10
            }
        }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        return seconds * 1_000_000_000 + nanoseconds
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Milliseconds are enough for a player, and keep the value short.
    static func formatSeconds(_ seconds: Double) -> String {
        let milliseconds = Int64((seconds * 1000).rounded())
        let fraction = String(milliseconds % 1000).leftPaddedASCII(to: 3)
        return "\(milliseconds / 1000).\(fraction)"
    }

    /// `YYYYMMDDThhmmss.fffZ`.
    public static func formatUTC(_ nanoseconds: Int64) -> String {
        let milliseconds = nanoseconds >= 0 ? nanoseconds / 1_000_000 : (nanoseconds - 999_999) / 1_000_000
        var seconds = milliseconds / 1000
        let fraction = Int(milliseconds - seconds * 1000)
        let days = Int(seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
        seconds -= Int64(days) * 86_400
        let (year, month, day) = civil(fromDays: days)
        let s = Int(seconds)
        func two(_ value: Int) -> String { String(value).leftPaddedASCII(to: 2) }
        return String(year).leftPaddedASCII(to: 4) + two(month) + two(day) + "T" + two(s / 3600) + two(s / 60 % 60) + two(s % 60)
            + "." + String(fraction).leftPaddedASCII(to: 3) + "Z"
    }
}

/// `Scale` (RFC 2326 §12.34) and `Speed` (§12.35): a decimal, negative for Scale only
/// (reverse play). Answers carry the value applied.
public enum PlaybackRate {
    /// Reads a Scale value: ["-"] 1*DIGIT ["." *DIGIT], not zero.
    public static func parseScale(_ value: String) throws(PlaybackHeaderError) -> Double {
        try parse(value, header: "Scale", allowsNegative: true)
    }

    /// Reads a Speed value: 1*DIGIT ["." *DIGIT], above zero.
    public static func parseSpeed(_ value: String) throws(PlaybackHeaderError) -> Double {
        try parse(value, header: "Speed", allowsNegative: false)
    }

    private static func parse(_ value: String, header: String, allowsNegative: Bool) throws(PlaybackHeaderError) -> Double {
        var text = value.trimmingASCIIWhitespace()
        var sign = 1.0
        if text.hasPrefix("-") {
            guard allowsNegative else { throw PlaybackHeaderError(header: header, value: value, reason: "negative") }
            sign = -1
            text = text.dropFirst()
        }
        guard text.utf8.count <= 20, let magnitude = RTSPRange.decimal(text), magnitude > 0, magnitude <= 1000 else {
            throw PlaybackHeaderError(header: header, value: value, reason: "not a rate above zero")
        }
        return sign * magnitude
    }

    /// `2`, `0.5`, `-1`: no trailing zeros.
    public static func format(_ rate: Double) -> String {
        let milli = Int64((rate * 1000).rounded())
        let whole = milli / 1000
        var fraction = String(abs(milli % 1000)).leftPaddedASCII(to: 3)
        while fraction.hasSuffix("0") { fraction.removeLast() }
        let sign = milli < 0 && whole == 0 ? "-" : ""
        return fraction.isEmpty ? "\(sign)\(whole)" : "\(sign)\(whole).\(fraction)"
    }
}

/// `Seek-Style` (RFC 7826 §18.47): where a PLAY with a Range lands.
public enum SeekStyle: String, Hashable, Sendable, CaseIterable {
    /// The random access point at or before the requested time; media starts there.
    case randomAccessPoint = "RAP"
    /// The same, but the server may start a little later at a conveniently placed point.
    case conditionalRandomAccessPoint = "CoRAP"
    /// The frame at or before the requested time: decoding starts at the prior access point,
    /// and what lies before the requested time is sent but not shown.
    case firstPrior = "First-Prior"
    /// The first random access point after the requested time.
    case next = "Next"

    /// Reads the header (tokens are case-sensitive in RFC 7826; matched without case here,
    /// since clients differ); nil for an unknown style, which a server then ignores.
    public init?(headerValue: String) {
        let token = headerValue.trimmingASCIIWhitespace().lowercased()
        guard let style = Self.allCases.first(where: { $0.rawValue.lowercased() == token }) else { return nil }
        self = style
    }
}

/// One entry of `RTP-Info` (RFC 2326 §12.33): the stream's URL and the sequence number and
/// RTP time of the first packet after the PLAY.
public struct RTPInfoEntry: Hashable, Sendable {
    public var url: String
    public var sequence: UInt16?
    public var timestamp: UInt32?

    public init(url: String, sequence: UInt16?, timestamp: UInt32?) {
        self.url = url
        self.sequence = sequence
        self.timestamp = timestamp
    }

    public var headerValue: String {
        var value = "url=\(url)"
        if let sequence { value += ";seq=\(sequence)" }
        if let timestamp { value += ";rtptime=\(timestamp)" }
        return value
    }

    /// The header for several entries, comma-separated.
    public static func headerValue(_ entries: [RTPInfoEntry]) -> String {
        entries.map(\.headerValue).joined(separator: ",")
    }

    /// Reads an RTP-Info header. Entries are split at a comma followed by `url=`, so a URL
    /// that holds a comma (legal in a query) stays whole.
    public static func parse(_ value: String) throws(PlaybackHeaderError) -> [RTPInfoEntry] {
        func fail(_ reason: String) -> PlaybackHeaderError { PlaybackHeaderError(header: "RTP-Info", value: value, reason: reason) }
        guard value.utf8.count <= 8192 else { throw fail("too long") }
        var entries: [RTPInfoEntry] = []
        var pieces: [Substring] = []
        var rest = value[...]
        while let comma = rest.firstRange(of: ",url=") ?? rest.firstRange(of: ", url=") {
            pieces.append(rest[..<comma.lowerBound])
            rest = rest[rest.index(after: comma.lowerBound)...]
        }
        pieces.append(rest)
        for piece in pieces {
            var entry = RTPInfoEntry(url: "", sequence: nil, timestamp: nil)
            var sawURL = false
            for field in piece.split(separator: ";") {
                let pair = field.trimmingASCIIWhitespace().split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard pair.count == 2 else { throw fail("a field without '='") }
                switch pair[0].lowercased() {
                case "url":
                    entry.url = String(pair[1])
                    sawURL = true
                case "seq":
                    guard let sequence = UInt16(pair[1]) else { throw fail("seq is not a 16-bit number") }
                    entry.sequence = sequence
                case "rtptime":
                    guard let timestamp = UInt32(pair[1]) else { throw fail("rtptime is not a 32-bit number") }
                    entry.timestamp = timestamp
                default:
                    continue  // RFC 7826 adds ssrc=; unknown parameters are skipped
                }
            }
            guard sawURL, !entry.url.isEmpty else { throw fail("an entry without url=") }
            entries.append(entry)
        }
        return entries
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

extension String {
    func leftPaddedASCII(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}
