#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Segment file names: the UTC wall-clock instant of the first picture in ISO 8601 basic
/// format with milliseconds (`20261202T063000.123Z.mp4`), so names sort by time and say it.
enum SegmentName {
    static func name(wallClockNanoseconds: Int64, suffix: Int = 0) -> String {
        var seconds = time_t(wallClockNanoseconds / 1_000_000_000)
        let milliseconds = Int((wallClockNanoseconds % 1_000_000_000) / 1_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let millis = milliseconds < 10 ? "00\(milliseconds)" : milliseconds < 100 ? "0\(milliseconds)" : "\(milliseconds)"
        let base = "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))T\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec)).\(millis)Z"
        return suffix == 0 ? "\(base).mp4" : "\(base)-\(suffix).mp4"
    }

    /// The wall-clock instant a name says, if it is one of ours.
    static func wallClockNanoseconds(of name: String) -> Int64? {
        let bytes = Array(name.utf8)
        guard bytes.count >= 24, bytes[8] == UInt8(ascii: "T"), bytes[15] == UInt8(ascii: "."), bytes[19] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int32? {
            var value: Int32 = 0
            for byte in bytes[range] {
                guard byte >= 48 && byte <= 57 else { return nil }
                value = value * 10 + Int32(byte - 48)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8), let hour = number(9..<11),
            let minute = number(11..<13), let second = number(13..<15), let millis = number(16..<19)
        else { return nil }
        var parts = tm()
        parts.tm_year = year - 1900
        parts.tm_mon = month - 1
        parts.tm_mday = day
        parts.tm_hour = hour
        parts.tm_min = minute
        parts.tm_sec = second
        let seconds = timegm(&parts)
        // Nanoseconds since 1970 fit in Int64 until 2262; a name past that is not ours.
        guard seconds >= 0, seconds < 9_000_000_000 else { return nil }
        let instant = Int64(seconds) * 1_000_000_000 + Int64(millis) * 1_000_000
        // timegm normalizes (month 13, February 30); only a name it would write itself is ours.
        guard self.name(wallClockNanoseconds: instant).utf8.prefix(20).elementsEqual(bytes.prefix(20)) else { return nil }
        return instant
    }
}
