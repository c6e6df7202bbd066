import XCTest
@testable import Access

final class FailureLimiterTests: XCTestCase {
    private let peer = try! IPAddress("198.51.100.7")  // swiftlint:disable:this force_try

    func testThresholdStartsABurstOnce() {
        var limiter = FailureLimiter()
        var now = Duration.seconds(100)
        for attempt in 1...4 {
            let failure = limiter.recordFailure(from: peer, now: now)
            XCTAssertEqual(failure, .init(startedBurst: false, backOff: nil), "attempt \(attempt)")
            XCTAssertNil(limiter.retryAfter(for: peer, now: now))
            now += .seconds(1)
        }
        XCTAssertEqual(limiter.recordFailure(from: peer, now: now), .init(startedBurst: true, backOff: .seconds(1)))
        XCTAssertEqual(limiter.retryAfter(for: peer, now: now), .seconds(1))
        XCTAssertEqual(limiter.retryAfter(for: peer, now: now + .milliseconds(400)), .milliseconds(600))
        XCTAssertNil(limiter.retryAfter(for: peer, now: now + .seconds(1)))
    }

    func testBackOffDoublesToTheCap() {
        var limiter = FailureLimiter()
        var now = Duration.seconds(0)
        for _ in 1...5 { _ = limiter.recordFailure(from: peer, now: now) }
        var expected: [Duration] = [.seconds(2), .seconds(4), .seconds(8), .seconds(16), .seconds(32), .seconds(60), .seconds(60)]
        var backOff = Duration.seconds(1)
        while !expected.isEmpty {
            // A failure while still backing off does not lengthen it.
            XCTAssertEqual(limiter.recordFailure(from: peer, now: now + backOff / 2), .init(startedBurst: false, backOff: nil))
            now += backOff
            let next = expected.removeFirst()
            XCTAssertEqual(limiter.recordFailure(from: peer, now: now), .init(startedBurst: false, backOff: next))
            XCTAssertEqual(limiter.retryAfter(for: peer, now: now), next)
            backOff = next
        }
    }

    func testFailuresOutsideTheWindowDoNotAddUp() {
        var limiter = FailureLimiter()
        var now = Duration.seconds(0)
        for _ in 1...4 { _ = limiter.recordFailure(from: peer, now: now) }
        now += .seconds(61)
        for _ in 1...4 { XCTAssertNil(limiter.recordFailure(from: peer, now: now).backOff) }
        XCTAssertTrue(limiter.recordFailure(from: peer, now: now).startedBurst)
    }

    func testSuccessClears() {
        var limiter = FailureLimiter()
        for _ in 1...5 { _ = limiter.recordFailure(from: peer, now: .zero) }
        XCTAssertNotNil(limiter.retryAfter(for: peer, now: .zero))
        limiter.recordSuccess(from: peer)
        XCTAssertNil(limiter.retryAfter(for: peer, now: .zero))
        XCTAssertEqual(limiter.trackedCount, 0)
        for _ in 1...4 { XCTAssertNil(limiter.recordFailure(from: peer, now: .seconds(1)).backOff) }
    }

    func testAQuietWindowEndsTheBurst() {
        var limiter = FailureLimiter()
        for _ in 1...5 { _ = limiter.recordFailure(from: peer, now: .zero) }
        _ = limiter.recordFailure(from: peer, now: .seconds(1))  // 2 s back-off, until 3 s
        // Quiet for more than a window after the back-off ended: a new burst starts from scratch.
        let later = Duration.seconds(3) + .seconds(61)
        for _ in 1...4 { XCTAssertNil(limiter.recordFailure(from: peer, now: later).backOff) }
        XCTAssertEqual(limiter.recordFailure(from: peer, now: later), .init(startedBurst: true, backOff: .seconds(1)))
    }

    func testAddressesAreSeparateAndIPv6GroupsByPrefix() throws {
        var limiter = FailureLimiter()
        for _ in 1...5 { _ = limiter.recordFailure(from: peer, now: .zero) }
        XCTAssertNil(limiter.retryAfter(for: try IPAddress("198.51.100.8"), now: .zero))
        XCTAssertNotNil(limiter.retryAfter(for: try IPAddress("::ffff:198.51.100.7"), now: .zero))

        for index in 1...5 { _ = limiter.recordFailure(from: try IPAddress("2001:db8:1:2::\(index)"), now: .zero) }
        XCTAssertNotNil(limiter.retryAfter(for: try IPAddress("2001:db8:1:2:ffff::9"), now: .zero))
        XCTAssertNil(limiter.retryAfter(for: try IPAddress("2001:db8:1:3::1"), now: .zero))
    }

    func testBoundedMemoryEvictsTheOldest() throws {
        var limiter = FailureLimiter(configuration: .init(initialBackOff: .seconds(10), capacity: 3))
        let addresses = try (1...4).map { try IPAddress("192.0.2.\($0)") }
        for (index, address) in addresses.prefix(3).enumerated() {
            for _ in 1...5 { _ = limiter.recordFailure(from: address, now: .seconds(Int64(index))) }
        }
        XCTAssertEqual(limiter.trackedCount, 3)
        _ = limiter.recordFailure(from: addresses[3], now: .seconds(3))
        XCTAssertEqual(limiter.trackedCount, 3)
        XCTAssertNil(limiter.retryAfter(for: addresses[0], now: .seconds(3)), "the oldest was evicted")
        XCTAssertNotNil(limiter.retryAfter(for: addresses[2], now: .seconds(3)))
    }
}
