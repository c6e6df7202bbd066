/// A 64-bit NTP timestamp — RFC 3550 §4: seconds since 1900-01-01 00:00 UTC and a binary
/// fraction of a second, as RTCP sender reports carry it.
///
/// ```
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |            NTP timestamp, most significant word (seconds)     |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |             NTP timestamp, least significant word (fraction)  |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
public struct NTPTimestamp: Hashable, Sendable {
    /// Seconds between the NTP epoch (1900) and the Unix epoch (1970): 70 years, 17 of them leap.
    public static let unixEpochOffsetSeconds: Int64 = 2_208_988_800

    static let nanosecondsPerSecond: Int64 = 1_000_000_000

    public var seconds: UInt32
    public var fraction: UInt32

    public init(seconds: UInt32, fraction: UInt32) {
        self.seconds = seconds
        self.fraction = fraction
    }

    /// The NTP time of a wall-clock instant given in nanoseconds since the Unix epoch.
    ///
    /// The fraction is rounded to the nearest 1/2³² s. Seconds wrap modulo 2³² (NTP era 1 begins
    /// in 2036), which is what the wire format carries.
    public init(unixNanoseconds: Int64) {
        // Floor division, so instants before 1970 still get a fraction in [0, 1).
        var wholeSeconds = unixNanoseconds / Self.nanosecondsPerSecond
        var remainder = unixNanoseconds % Self.nanosecondsPerSecond
        if remainder < 0 {
            wholeSeconds -= 1
            remainder += Self.nanosecondsPerSecond
        }
        // remainder < 10⁹ < 2³⁰, so remainder << 32 < 2⁶² fits; the rounded quotient is < 2³².
        let scaled = (UInt64(remainder) << 32 + UInt64(Self.nanosecondsPerSecond / 2)) / UInt64(Self.nanosecondsPerSecond)
        self.seconds = UInt32(truncatingIfNeeded: wholeSeconds + Self.unixEpochOffsetSeconds)
        self.fraction = UInt32(scaled)
    }

    /// The timestamp as one 64-bit number (seconds in the high word).
    public var rawValue: UInt64 { UInt64(seconds) << 32 | UInt64(fraction) }

    /// The middle 32 bits: low 16 of `seconds`, high 16 of `fraction`, in units of 1/65536 s.
    /// This is the form of the LSR field of a reception report (RFC 3550 §6.4.1).
    public var middle32: UInt32 { UInt32(truncatingIfNeeded: rawValue >> 16) }

    /// Nanoseconds since the Unix epoch, assuming NTP era 0 (1900–2036).
    public var unixNanoseconds: Int64 {
        let wholeSeconds = Int64(seconds) - Self.unixEpochOffsetSeconds
        let nanos = (UInt64(fraction) * UInt64(Self.nanosecondsPerSecond) + (1 << 31)) >> 32
        return wholeSeconds * Self.nanosecondsPerSecond + Int64(nanos)
    }
}
