import MediaCore
import Record

/// Durations and sizes as an owner writes them in the config: `"14d"`, `"10m"`, `"500ms"`;
/// `"20G"`, `"500MB"`, `"5%"`. One number and one unit, no spaces inside, nothing else:
/// what is not understood is refused rather than guessed.
enum ConfigQuantity {
    /// Units of time, longest names first so `ms` is not read as `m`.
    static let timeUnits: [(String, Int64)] = [
        ("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000),
        ("d", 86_400_000_000_000), ("w", 604_800_000_000_000),
    ]
    /// K, M, G, T and KiB… are powers of 1024 (as `df -h` counts); KB, MB, GB, TB powers of 1000.
    static let sizeUnits: [(String, Int64)] = [
        ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("TiB", 1 << 40),
        ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("TB", 1_000_000_000_000),
        ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30), ("T", 1 << 40), ("B", 1),
    ]

    /// Splits `"12ms"` into 12 and `"ms"`; nil without leading digits or with more than 15
    /// of them (no quantity here needs more, and it keeps the products far from overflow).
    private static func split(_ text: String) -> (Int64, Substring)? {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, digits.count <= 15, let number = Int64(digits) else { return nil }
        return (number, text[digits.endIndex...])
    }

    /// `"14d"` → 14 days; a bare number is seconds.
    static func duration(_ text: String) -> MediaDuration? {
        guard let (number, unit) = split(text) else { return nil }
        if unit.isEmpty { return MediaDuration(nanoseconds: number * 1_000_000_000) }
        guard let scale = timeUnits.first(where: { $0.0 == unit })?.1 else { return nil }
        let (product, overflow) = number.multipliedReportingOverflow(by: scale)
        return overflow ? nil : MediaDuration(nanoseconds: product)
    }

    /// `"20G"` → 20 GiB; a bare number is bytes.
    static func size(_ text: String) -> Int64? {
        guard let (number, unit) = split(text) else { return nil }
        if unit.isEmpty { return number }
        guard let scale = sizeUnits.first(where: { $0.0 == unit })?.1 else { return nil }
        let (product, overflow) = number.multipliedReportingOverflow(by: scale)
        return overflow ? nil : product
    }

    /// A size, or a percentage of the file system (`"5%"`, 0 to 100).
    static func freeSpace(_ text: String) -> RetentionPolicy.FreeSpace? {
        if text.hasSuffix("%") {
            guard let (number, rest) = split(String(text.dropLast())), rest.isEmpty, number <= 100 else { return nil }
            return .fraction(Double(number) / 100)
        }
        return size(text).map { .bytes($0) }
    }
}

extension TableReader {
    /// A duration: a string like `"10m"` or an integer of seconds, within `range`.
    func duration(_ key: String, _ range: ClosedRange<MediaDuration>, example: String) -> MediaDuration? {
        guard let value = quantity(key, expecting: "a duration like \"\(example)\" (ms, s, m, h, d, w)") else { return nil }
        let parsed: MediaDuration?
        switch value.0 {
        case .integer(let seconds) where seconds >= 0 && seconds < 1 << 33: parsed = MediaDuration(nanoseconds: Int64(seconds) * 1_000_000_000)
        case .string(let text): parsed = ConfigQuantity.duration(text)
        default: parsed = nil
        }
        guard let parsed else {
            problem(key, "must be a duration like \"\(example)\" (a number and one of ms, s, m, h, d, w), got \(value.0.shown)", line: value.1)
            return nil
        }
        guard range.contains(parsed) else {
            problem(key, "must be \(Self.shown(range.lowerBound)) to \(Self.shown(range.upperBound)), got \(value.0.shown)", line: value.1)
            return nil
        }
        return parsed
    }

    /// A size in bytes: a string like `"20G"` or an integer of bytes.
    func size(_ key: String, example: String) -> Int64? {
        guard let value = quantity(key, expecting: "a size like \"\(example)\"") else { return nil }
        let parsed: Int64?
        switch value.0 {
        case .integer(let bytes) where bytes > 0: parsed = Int64(bytes)
        case .string(let text): parsed = ConfigQuantity.size(text).flatMap { $0 > 0 ? $0 : nil }
        default: parsed = nil
        }
        guard let parsed else {
            problem(key, "must be a size like \"\(example)\" (a number and one of B, K, M, G, T, KB, MB, GB, TB, KiB, MiB, GiB, TiB), got \(value.0.shown)", line: value.1)
            return nil
        }
        return parsed
    }

    /// Free space: a size, or a percentage of the file system like `"5%"`.
    func freeSpace(_ key: String) -> RetentionPolicy.FreeSpace? {
        guard let value = quantity(key, expecting: "a size like \"2G\" or a percentage like \"5%\"") else { return nil }
        let parsed: RetentionPolicy.FreeSpace?
        switch value.0 {
        case .integer(let bytes) where bytes >= 0: parsed = .bytes(Int64(bytes))
        case .string(let text): parsed = ConfigQuantity.freeSpace(text)
        default: parsed = nil
        }
        guard let parsed else {
            problem(key, "must be a size like \"2G\" or a percentage of the file system like \"5%\" (0 to 100), got \(value.0.shown)", line: value.1)
            return nil
        }
        return parsed
    }

    static func shown(_ duration: MediaDuration) -> String {
        let ns = duration.nanoseconds
        for (unit, scale) in ConfigQuantity.timeUnits.reversed() where ns >= scale && ns % scale == 0 { return "\(ns / scale)\(unit)" }
        return "\(ns / 1_000_000)ms"
    }
}

extension TOMLDocument.Scalar {
    /// The value as the owner wrote it, for error messages.
    var shown: String {
        switch self {
        case .string(let text): "\"\(text)\""
        case .integer(let number): "\(number)"
        default: typeName
        }
    }
}
