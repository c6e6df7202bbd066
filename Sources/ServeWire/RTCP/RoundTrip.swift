/// Round-trip time from a reception report — RFC 3550 §6.4.1:
/// RTT = A − LSR − DLSR, all in the middle-32-bit NTP form (units of 1/65536 s).
///
/// ```
///  [10 Nov 1995 11:33:25.125 UTC]       [10 Nov 1995 11:33:36.5 UTC]
///  n                 SR(n)              A=b710:8000 (46864.500 s)
///  ---------------------------------------------------------------->
///                     v                 ^
///  ntp_sec =0xb44db705 v               ^ dlsr=0x0005:4000 (    5.250s)
///  ntp_frac=0x20000000  v             ^  lsr =0xb705:2000 (46853.125s)
///    (3024992005.125 s)  v           ^
///  r                      v         ^ RR(n)
///  ---------------------------------------------------------------->
///                         |<-DLSR->|
///                          (5.250 s)
///
///  A     0xb710:8000 (46864.500 s)
///  DLSR -0x0005:4000 (    5.250 s)
///  LSR  -0xb705:2000 (46853.125 s)
///  -------------------------------
///  delay 0x0006:2000 (    6.125 s)
/// ```
public enum RoundTrip {
    /// Units of the middle-32 form per second.
    static let unitsPerSecond = 65536.0

    /// The round-trip time in seconds, or nil when the receiver has no SR yet (LSR == 0) or the
    /// result is negative (clock trouble or a forged report). Arithmetic wraps modulo 2³² like
    /// the fields, so it works across the 18-hour wrap of the middle 32 bits.
    public static func seconds(
        arrivalNTP: NTPTimestamp, lastSenderReport: UInt32, delaySinceLastSenderReport: UInt32
    ) -> Double? {
        guard lastSenderReport != 0 else { return nil }
        let delay = Int32(bitPattern: arrivalNTP.middle32 &- lastSenderReport &- delaySinceLastSenderReport)
        guard delay >= 0 else { return nil }
        return Double(delay) / unitsPerSecond
    }
}
