import XCTest

@testable import MediaCore

final class BoundedQueueTests: XCTestCase {
    func testDropsTheOldestWhenFull() {
        let queue = BoundedQueue<Int>(capacity: 2)
        for i in 1...5 { queue.push(i) }
        XCTAssertEqual(queue.dropped, 3)
        XCTAssertEqual(queue.pop(timeout: 0), 4)
        XCTAssertEqual(queue.pop(timeout: 0), 5)
        XCTAssertNil(queue.pop(timeout: 0.01))
        queue.close()
        XCTAssertFalse(queue.push(6))
        XCTAssertNil(queue.pop())
    }
}
