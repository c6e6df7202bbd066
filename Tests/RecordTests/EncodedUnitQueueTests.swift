import MediaCore
import XCTest

final class EncodedUnitQueueTests: XCTestCase {
    func unit(_ key: Bool, video: Bool = true, bytes: Int = 10) -> EncodedUnit {
        EncodedUnit(codec: video ? .h264 : .pcmu, parts: [[UInt8](repeating: 0, count: bytes)], instant: MediaInstant(nanoseconds: 0), isKeyFrame: key)
    }

    func events(_ queue: EncodedUnitQueue) -> [String] {
        var list: [String] = []
        while let event = queue.pop(timeout: 0) {
            switch event {
            case .gap: list.append("gap")
            case .unit(let unit, _): list.append(unit.codec.isVideo ? (unit.isKeyFrame ? "K" : "P") : "a")
            }
        }
        return list
    }

    func testAnOverflowCutsOffUntilTheNextKeyFrame() {
        let queue = EncodedUnitQueue(capacity: 3, byteCapacity: 1000)
        queue.push(unit(true), track: 0)
        queue.push(unit(false), track: 0)
        queue.push(unit(false), track: 0)
        XCTAssertFalse(queue.push(unit(false), track: 0), "the fourth overflows: cut off")
        XCTAssertFalse(queue.push(unit(false, video: false), track: 1), "audio waits for the key frame too")
        XCTAssertFalse(queue.push(unit(false), track: 0))
        XCTAssertTrue(queue.push(unit(true), track: 0), "a key frame restarts it")
        queue.push(unit(false, video: false), track: 1)
        XCTAssertEqual(events(queue), ["gap", "K", "a"])
        XCTAssertEqual(queue.cutOffs, 1)
        XCTAssertEqual(queue.unitsLost, 6, "3 discarded, the overflowing one, and 2 refused while waiting")
    }

    func testTheByteBoundCutsOffToo() {
        let queue = EncodedUnitQueue(capacity: 100, byteCapacity: 25)
        queue.push(unit(true), track: 0)
        queue.push(unit(false), track: 0)
        XCTAssertTrue(queue.push(unit(true), track: 0), "an overflowing key frame starts afresh at once")
        XCTAssertEqual(events(queue), ["gap", "K"])
    }

    func testCloseDrainsThenEnds() {
        let queue = EncodedUnitQueue(capacity: 4, byteCapacity: 1000)
        queue.push(unit(true), track: 0)
        queue.close()
        XCTAssertFalse(queue.push(unit(true), track: 0))
        XCTAssertNotNil(queue.pop())
        XCTAssertNil(queue.pop())
    }

    func testAFanOutOffersEveryUnitToEveryConsumerInOrder() {
        final class Sink: EncodedUnitConsumer, @unchecked Sendable {
            var seen: [Int] = []
            func offer(_ unit: EncodedUnit, track: Int) { seen.append(track) }
        }
        let a = Sink()
        let b = Sink()
        let fanOut = EncodedFanOut(consumers: [a])
        fanOut.publish(unit(true), track: 0)
        fanOut.attach(b)
        fanOut.attach(b)
        fanOut.publish(unit(false, video: false), track: 1)
        fanOut.detach(a)
        fanOut.publish(unit(false), track: 0)
        XCTAssertEqual(a.seen, [0, 1])
        XCTAssertEqual(b.seen, [1, 0], "attached once, from then on")
        XCTAssertEqual(fanOut.consumerCount, 1)
    }
}
