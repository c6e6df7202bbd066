import XCTest
@testable import ServeWire

final class RTCPIntervalTests: XCTestCase {
    let compensation = 2.718_281_828_459_045 - 1.5

    func testMinimumIntervalWithCompensation() {
        // A tiny session: the computed interval is far below the 5 s minimum.
        let interval = RTCPInterval.compute(
            members: 2, senders: 1, rtcpBandwidth: 4000, weSent: true, averageRTCPSize: 100, initial: false,
            randomUnit: 0.5
        )
        XCTAssertEqual(interval, 5.0 / compensation, accuracy: 1e-12)
    }

    /// §6.2's reduced minimum, 360 / session kbit/s: a 2064 kbit/s stream (2 Mbit/s video and
    /// PCMU) may report every 0.174 s, where the bandwidth share allows it; a sender's share
    /// (1/4 of 5 %) with 100-octet reports allows 0.031 s, so the minimum rules.
    func testReducedMinimumInterval() {
        XCTAssertEqual(RTCPInterval.reducedMinimumInterval(sessionBandwidthKbps: 2064), 360.0 / 2064, accuracy: 1e-12)
        XCTAssertEqual(RTCPInterval.reducedMinimumInterval(sessionBandwidthKbps: 50), 5, "never above the fixed minimum")
        let minimum = RTCPInterval.reducedMinimumInterval(sessionBandwidthKbps: 2064)
        let interval = RTCPInterval.compute(
            members: 11, senders: 1, rtcpBandwidth: 2_064_000 / 8 * 0.05, weSent: true, averageRTCPSize: 100,
            initial: false, randomUnit: 0.5, minimumInterval: minimum)
        XCTAssertEqual(interval, minimum / compensation, accuracy: 1e-12)
        // With 100 viewers, a receiver's share: 99 receivers × 100 octets over 3/4 of 12.9 kB/s.
        let receiver = RTCPInterval.compute(
            members: 101, senders: 1, rtcpBandwidth: 2_064_000 / 8 * 0.05, weSent: false, averageRTCPSize: 100,
            initial: false, randomUnit: 0.5, minimumInterval: minimum)
        XCTAssertEqual(receiver, 100.0 * 100 / (2_064_000 / 8 * 0.05 * 0.75) / compensation, accuracy: 1e-9)
    }

    func testInitialHalvesTheMinimum() {
        let interval = RTCPInterval.compute(
            members: 2, senders: 1, rtcpBandwidth: 4000, weSent: true, averageRTCPSize: 100, initial: true,
            randomUnit: 0.5
        )
        XCTAssertEqual(interval, 2.5 / compensation, accuracy: 1e-12)
    }

    func testRandomUnitScalesBetweenHalfAndOneAndAHalf() {
        let low = RTCPInterval.compute(members: 2, senders: 1, rtcpBandwidth: 4000, weSent: true,
                                       averageRTCPSize: 100, initial: false, randomUnit: 0)
        let high = RTCPInterval.compute(members: 2, senders: 1, rtcpBandwidth: 4000, weSent: true,
                                        averageRTCPSize: 100, initial: false, randomUnit: 0.999_999)
        XCTAssertEqual(low, 2.5 / compensation, accuracy: 1e-12)
        XCTAssertEqual(high, 7.5 / compensation, accuracy: 1e-5)
    }

    func testLargeSessionReceiverShare() {
        // 1000 members, 1 sender; we are a receiver: 999 receivers share 3/4 of 1000 octets/s.
        // 200 × 999 / 750 = 266.4 s, × 1.0 (random 0.5), ÷ compensation.
        let interval = RTCPInterval.compute(
            members: 1000, senders: 1, rtcpBandwidth: 1000, weSent: false, averageRTCPSize: 200, initial: false,
            randomUnit: 0.5
        )
        XCTAssertEqual(interval, 266.4 / compensation, accuracy: 1e-9)
    }

    func testLargeSessionSenderShare() {
        // 1000 members, 10 senders; we sent: 10 senders share 1/4 of 100_000 octets/s → 200×10/25000 = 0.08 s → min.
        let small = RTCPInterval.compute(
            members: 1000, senders: 10, rtcpBandwidth: 100_000, weSent: true, averageRTCPSize: 200, initial: false,
            randomUnit: 0.5
        )
        XCTAssertEqual(small, 5 / compensation, accuracy: 1e-12)
        // Low bandwidth: 200 × 10 / 25 = 80 s.
        let slow = RTCPInterval.compute(
            members: 1000, senders: 10, rtcpBandwidth: 100, weSent: true, averageRTCPSize: 200, initial: false,
            randomUnit: 0.5, minimumInterval: 1
        )
        XCTAssertEqual(slow, 80 / compensation, accuracy: 1e-9)
    }

    func testZeroBandwidthUsesMinimum() {
        let interval = RTCPInterval.compute(
            members: 3, senders: 1, rtcpBandwidth: 0, weSent: false, averageRTCPSize: 100, initial: false,
            randomUnit: 0.5
        )
        XCTAssertEqual(interval, 5 / compensation, accuracy: 1e-12)
    }
}
