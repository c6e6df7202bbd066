import MediaCore
import XCTest
@testable import ServeWire

final class RTPClockTests: XCTestCase {
    let epoch = MediaInstant(nanoseconds: 5_000_000_000)

    func testVideoClock90kHz() {
        let clock = RTPClock(clockRate: 90000, timestampOffset: 1000, epoch: epoch)
        XCTAssertEqual(clock.clockRate, 90000)
        XCTAssertEqual(clock.timestamp(at: epoch), 1000, "the epoch maps to the offset")
        XCTAssertEqual(clock.timestamp(at: epoch + .milliseconds(1000)), 91000)
        // 1/30 s = 3000 ticks; 33_333_333 ns is 2999.99997 ticks → rounds to 3000.
        XCTAssertEqual(clock.timestamp(at: epoch + MediaDuration(nanoseconds: 33_333_333)), 4000)
    }

    func testAudioClock8kHz() {
        let clock = RTPClock(clockRate: 8000, timestampOffset: 0, epoch: epoch)
        XCTAssertEqual(clock.timestamp(at: epoch + .milliseconds(20)), 160)
        XCTAssertEqual(clock.timestamp(at: epoch + .milliseconds(125)), 1000)
    }

    func testOffsetWraps() {
        let clock = RTPClock(clockRate: 90000, timestampOffset: 0xFFFF_FF00, epoch: epoch)
        XCTAssertEqual(clock.timestamp(at: epoch + .milliseconds(10)), 0xFFFF_FF00 &+ 900)
        XCTAssertEqual(clock.timestamp(at: epoch + .milliseconds(10)), 644)
    }

    func testInstantsBeforeEpoch() {
        let clock = RTPClock(clockRate: 90000, timestampOffset: 500, epoch: epoch)
        XCTAssertEqual(clock.timestamp(at: epoch - .milliseconds(1)), 410)
        XCTAssertEqual(clock.timestamp(at: epoch - .milliseconds(10)), 500 &- 900)
        // Monotonic across the epoch: consecutive 1 ms steps always advance by 90.
        var previous = clock.timestamp(at: epoch - .milliseconds(5))
        for ms in -4...5 {
            let current = clock.timestamp(at: epoch + .milliseconds(Int64(ms)))
            XCTAssertEqual(current &- previous, 90)
            previous = current
        }
    }

    func testLongUptimeDoesNotOverflow() {
        // 200 days of uptime at 90 kHz wraps the 32-bit field many times; exact arithmetic.
        let clock = RTPClock(clockRate: 90000, timestampOffset: 0, epoch: MediaInstant(nanoseconds: 0))
        let seconds: Int64 = 200 * 86_400
        let expected = UInt32(truncatingIfNeeded: seconds * 90000)
        XCTAssertEqual(clock.timestamp(at: MediaInstant(nanoseconds: seconds * 1_000_000_000)), expected)
    }

    func testSenderReportPairComesFromOneInstant() {
        let anchor = WallClockAnchor(instant: epoch, wallClockNanoseconds: 1_700_000_000_000_000_000)
        for rate in [90000, 8000] {
            let clock = RTPClock(clockRate: rate, timestampOffset: 0x1234_5678, epoch: epoch)
            let first = clock.senderReportTimes(at: epoch + .milliseconds(250), anchor: anchor)
            let second = clock.senderReportTimes(at: epoch + .milliseconds(4750), anchor: anchor)
            XCTAssertEqual(first.rtp, clock.timestamp(at: epoch + .milliseconds(250)))
            XCTAssertEqual(
                first.ntp, NTPTimestamp(unixNanoseconds: 1_700_000_000_000_000_000 + 250_000_000), "rate \(rate)"
            )
            // The NTP delta equals the RTP delta divided by the clock rate.
            let ntpDelta = Double(second.ntp.rawValue - first.ntp.rawValue) / 4_294_967_296
            let rtpDelta = Double(second.rtp &- first.rtp) / Double(rate)
            XCTAssertEqual(ntpDelta, rtpDelta, accuracy: 1e-9, "rate \(rate)")
            XCTAssertEqual(ntpDelta, 4.5, accuracy: 1e-9)
        }
    }
}
