import XCTest
@testable import Access

final class NonceCountTableTests: XCTestCase {
    private let lifetime = Duration.seconds(300)

    func testCountsMustIncrease() {
        var table = NonceCountTable()
        let c = ConnectionID(1)
        XCTAssertEqual(table.admit(1, nonce: "n", connection: c, issuedAt: .seconds(1), lifetime: lifetime, now: .seconds(2)), .admitted)
        XCTAssertEqual(table.admit(1, nonce: "n", connection: c, issuedAt: .seconds(1), lifetime: lifetime, now: .seconds(2)), .replayed)
        XCTAssertEqual(table.admit(3, nonce: "n", connection: c, issuedAt: .seconds(1), lifetime: lifetime, now: .seconds(2)), .admitted)
        XCTAssertEqual(table.admit(2, nonce: "n", connection: c, issuedAt: .seconds(1), lifetime: lifetime, now: .seconds(2)), .replayed)
        // Another nonce, or the same nonce text on another connection, counts on its own.
        XCTAssertEqual(table.admit(1, nonce: "m", connection: c, issuedAt: .seconds(1), lifetime: lifetime, now: .seconds(2)), .admitted)
        XCTAssertEqual(table.admit(1, nonce: "n", connection: ConnectionID(2), issuedAt: .seconds(1), lifetime: lifetime, now: .seconds(2)), .admitted)
    }

    func testZeroIsNeverAdmitted() {
        var table = NonceCountTable()
        XCTAssertEqual(table.admit(0, nonce: "n", connection: ConnectionID(1), issuedAt: .zero, lifetime: lifetime, now: .zero), .replayed)
    }

    func testFullTableDropsExpiredEntriesFirst() {
        var table = NonceCountTable(capacity: 2)
        let c = ConnectionID(1)
        _ = table.admit(1, nonce: "old", connection: c, issuedAt: .seconds(0), lifetime: lifetime, now: .seconds(0))
        _ = table.admit(1, nonce: "live", connection: c, issuedAt: .seconds(200), lifetime: lifetime, now: .seconds(200))
        XCTAssertEqual(table.admit(1, nonce: "new", connection: c, issuedAt: .seconds(301), lifetime: lifetime, now: .seconds(301)), .admitted)
        XCTAssertEqual(table.count, 2)
        // "live" survived with its count, and nothing was forgotten.
        XCTAssertEqual(table.admit(1, nonce: "live", connection: c, issuedAt: .seconds(200), lifetime: lifetime, now: .seconds(301)), .replayed)
        XCTAssertEqual(table.admit(2, nonce: "live", connection: c, issuedAt: .seconds(200), lifetime: lifetime, now: .seconds(301)), .admitted)
    }

    /// Evicting a live entry must never let its replay through: that nonce, and any other
    /// issued no later, is answered `.forgotten` (stale) from then on.
    func testEvictionForgetsButNeverAdmitsAReplay() {
        var table = NonceCountTable(capacity: 2)
        let c = ConnectionID(1)
        _ = table.admit(5, nonce: "a", connection: c, issuedAt: .seconds(10), lifetime: lifetime, now: .seconds(10))
        _ = table.admit(1, nonce: "b", connection: c, issuedAt: .seconds(20), lifetime: lifetime, now: .seconds(20))
        XCTAssertEqual(table.admit(1, nonce: "c", connection: c, issuedAt: .seconds(30), lifetime: lifetime, now: .seconds(30)), .admitted)
        XCTAssertEqual(table.admit(5, nonce: "a", connection: c, issuedAt: .seconds(10), lifetime: lifetime, now: .seconds(31)), .forgotten)
        XCTAssertEqual(table.admit(6, nonce: "a", connection: c, issuedAt: .seconds(10), lifetime: lifetime, now: .seconds(31)), .forgotten)
        XCTAssertEqual(table.admit(1, nonce: "z", connection: c, issuedAt: .seconds(9), lifetime: lifetime, now: .seconds(31)), .forgotten)
        // Entries still in the table keep working; newer nonces are unaffected.
        XCTAssertEqual(table.admit(2, nonce: "b", connection: c, issuedAt: .seconds(20), lifetime: lifetime, now: .seconds(31)), .admitted)
        XCTAssertEqual(table.admit(1, nonce: "d", connection: c, issuedAt: .seconds(31), lifetime: lifetime, now: .seconds(31)), .admitted)
        XCTAssertEqual(table.count, 2)
    }

    func testForgetConnection() {
        var table = NonceCountTable()
        _ = table.admit(1, nonce: "n", connection: ConnectionID(1), issuedAt: .zero, lifetime: lifetime, now: .zero)
        _ = table.admit(1, nonce: "n", connection: ConnectionID(2), issuedAt: .zero, lifetime: lifetime, now: .zero)
        table.forget(connection: ConnectionID(1))
        XCTAssertEqual(table.count, 1)
    }
}
