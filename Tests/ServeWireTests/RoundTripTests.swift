import XCTest
@testable import ServeWire

final class RoundTripTests: XCTestCase {
    func testRFC3550Example() {
        // RFC 3550 §6.4.1: A = 0xb710:8000, LSR = 0xb705:2000, DLSR = 0x0005:4000 → 6.125 s.
        let arrival = NTPTimestamp(seconds: 0xB44D_B710, fraction: 0x8000_0000)
        let rtt = RoundTrip.seconds(arrivalNTP: arrival, lastSenderReport: 0xB705_2000, delaySinceLastSenderReport: 0x0005_4000)
        XCTAssertEqual(rtt, 6.125)
    }

    func testNoSenderReportYet() {
        XCTAssertNil(RoundTrip.seconds(arrivalNTP: NTPTimestamp(seconds: 5, fraction: 0), lastSenderReport: 0,
                                       delaySinceLastSenderReport: 0))
    }

    func testNegativeIsNil() {
        let arrival = NTPTimestamp(seconds: 0x0000_B705, fraction: 0)
        XCTAssertNil(RoundTrip.seconds(arrivalNTP: arrival, lastSenderReport: 0xB705_0000, delaySinceLastSenderReport: 0x0001_0000))
    }

    func testAcrossMiddle32Wrap() {
        // LSR just before the 16-bit seconds wrap, arrival just after it.
        let arrival = NTPTimestamp(seconds: 0x0001_0000, fraction: 0x4000_0000)  // middle32 0x0000:4000
        let rtt = RoundTrip.seconds(arrivalNTP: arrival, lastSenderReport: 0xFFFF_C000, delaySinceLastSenderReport: 0x0000_4000)
        XCTAssertEqual(rtt, 0.25)
    }
}
