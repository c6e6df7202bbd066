import XCTest
@testable import ServeWire
import TestSeeds

final class NTPTimestampTests: XCTestCase {
    func testKnownUnixTimes() {
        let vectors: [(name: String, unixNanoseconds: Int64, seconds: UInt32, fraction: UInt32)] = [
            ("Unix epoch is NTP 2208988800", 0, 2_208_988_800, 0),
            ("1.5 s: half a second is 0x80000000", 1_500_000_000, 2_208_988_801, 0x8000_0000),
            ("0.25 s", 250_000_000, 2_208_988_800, 0x4000_0000),
            ("RFC 3550 §6.4.1 example SR: 0xb44db705.20000000 (1995-11-10 11:33:25.125 UTC)",
             (3_024_992_005 - 2_208_988_800) * 1_000_000_000 + 125_000_000, 0xB44D_B705, 0x2000_0000),
            ("one second before the Unix epoch", -1_000_000_000, 2_208_988_799, 0),
            ("half a second before the Unix epoch", -500_000_000, 2_208_988_799, 0x8000_0000),
            ("2036 NTP era wrap", (4_294_967_296 - 2_208_988_800) * 1_000_000_000, 0, 0),
        ]
        for vector in vectors {
            let ntp = NTPTimestamp(unixNanoseconds: vector.unixNanoseconds)
            XCTAssertEqual(ntp, NTPTimestamp(seconds: vector.seconds, fraction: vector.fraction), vector.name)
        }
    }

    func testFractionRoundsToNearest() {
        // 1 ns = 4.294967296 units of 2^-32 s: rounds to 4.
        XCTAssertEqual(NTPTimestamp(unixNanoseconds: 1).fraction, 4)
        // 999_999_999 ns is just under a second: the fraction stays below 2^32.
        XCTAssertEqual(NTPTimestamp(unixNanoseconds: 999_999_999).fraction, 4_294_967_292)
    }

    func testMiddle32() {
        // RFC 3550 §6.4.1 example: SR at 0xb44db705:20000000 gives LSR 0xb7052000.
        XCTAssertEqual(NTPTimestamp(seconds: 0xB44D_B705, fraction: 0x2000_0000).middle32, 0xB705_2000)
        XCTAssertEqual(NTPTimestamp(seconds: 0x0001_FFFF, fraction: 0xABCD_1234).middle32, 0xFFFF_ABCD)
    }

    func testUnixNanosecondsRoundTrip() {
        let seed = TestSeed.value(default: 7)
        var generator = SeededRandom(seed: seed)
        for _ in 0..<200 {
            let nanos = Int64.random(in: 0...2_000_000_000_000_000_000, using: &generator)
            XCTAssertEqual(NTPTimestamp(unixNanoseconds: nanos).unixNanoseconds, nanos, TestSeed.describe(seed))
        }
    }
}
