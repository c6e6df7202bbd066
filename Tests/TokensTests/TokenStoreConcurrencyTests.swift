import Foundation
import XCTest
@testable import Tokens

/// Viewers racing for the last use: exactly the granted number get in.
final class TokenStoreConcurrencyTests: XCTestCase {
    static let racers = 64

    func testConcurrentRedeemsOfALimitOneTokenLetExactlyOneIn() async throws {
        let path = try temporaryDirectory(self).appendingPathComponent(TokenStore.fileName).path
        let store = try TokenStore(path: path)
        for round in 0 ..< 10 {
            let token = try await store.mint(limit: 1, now: t0).token.text
            let verdicts = try await race(Self.racers) { _ in try await store.redeem(token: token, path: "door", now: t0) }
            XCTAssertEqual(verdicts.filter(\.isValid), [.valid(remaining: 0)], "round \(round)")
            XCTAssertEqual(verdicts.filter { $0 == .exhausted }.count, Self.racers - 1, "round \(round)")
        }
    }

    /// Two stores on one file are two SQLite connections, as two processes would be: the
    /// atomicity is SQLite's (the conditional UPDATE under its write lock), not the actor's.
    func testConcurrentRedeemsThroughTwoConnectionsLetExactlyTheLimitIn() async throws {
        let path = try temporaryDirectory(self).appendingPathComponent(TokenStore.fileName).path
        let stores = [try TokenStore(path: path), try TokenStore(path: path)]
        for limit in [1, 5] {
            let token = try await stores[0].mint(limit: limit, now: t0).token.text
            let verdicts = try await race(Self.racers) { index in
                try await stores[index % 2].redeem(token: token, path: "door", now: t0)
            }
            let remaining = verdicts.compactMap { verdict -> Int? in
                if case .valid(let remaining) = verdict { remaining } else { nil }
            }
            XCTAssertEqual(remaining.sorted(), Array(0 ..< limit), "limit \(limit): each use handed out once")
            XCTAssertEqual(verdicts.filter { $0 == .exhausted }.count, Self.racers - limit, "limit \(limit)")
        }
    }

    private func race(
        _ count: Int, _ body: @escaping @Sendable (Int) async throws -> TokenVerdict
    ) async throws -> [TokenVerdict] {
        try await withThrowingTaskGroup(of: TokenVerdict.self) { group in
            for index in 0 ..< count { group.addTask { try await body(index) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }
}
