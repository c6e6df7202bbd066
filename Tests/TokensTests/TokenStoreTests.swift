import Foundation
import TestSeeds
import XCTest
@testable import Tokens

final class TokenStoreTests: XCTestCase {
    private func makeStore(
        policy: TokenPolicy = TokenPolicy(maximumDuration: nil),
        random: some RandomNumberGenerator & Sendable = SystemRandomNumberGenerator()
    ) throws -> (TokenStore, path: String) {
        let path = try temporaryDirectory(self).appendingPathComponent(TokenStore.fileName).path
        return (try TokenStore(path: path, policy: policy, random: random), path)
    }

    func testMintedTokenOpensItsStream() async throws {
        let (store, _) = try makeStore()
        let issued = try await store.mint(now: t0)
        XCTAssertNil(issued.app)
        XCTAssertNil(issued.expires)
        XCTAssertNil(issued.limit)
        XCTAssertEqual(issued.created, t0)
        let verdict = try await store.redeem(token: issued.token.text, path: "door", now: t0)
        XCTAssertEqual(verdict, .valid(remaining: nil))
    }

    func testLimitTwoLetsTwoInAndRefusesTheThird() async throws {
        let (store, _) = try makeStore()
        let token = try await store.mint(app: "door", limit: 2, now: t0).token.text
        let first = try await store.redeem(token: token, path: "door", now: t0)
        let second = try await store.redeem(token: token, path: "door", now: t0)
        let third = try await store.redeem(token: token, path: "door", now: t0)
        XCTAssertEqual([first, second, third], [.valid(remaining: 1), .valid(remaining: 0), .exhausted])
    }

    func testExpiredOnceTheClockPassesEvenWithUsesLeft() async throws {
        let (store, _) = try makeStore()
        let issued = try await store.mint(duration: .seconds(60), limit: 5, now: t0)
        XCTAssertEqual(issued.expires, t0 + 60)
        let inTime = try await store.redeem(token: issued.token.text, path: "door", now: t0 + 59.999)
        let atExpiry = try await store.redeem(token: issued.token.text, path: "door", now: t0 + 60)
        let later = try await store.redeem(token: issued.token.text, path: "door", now: t0 + 3600)
        XCTAssertEqual([inTime, atExpiry, later], [.valid(remaining: 4), .expired, .expired])
        let listed = try await store.list(now: t0 + 60)
        XCTAssertEqual(listed.map(\.remaining), [4], "refusals spend nothing")
        XCTAssertEqual(listed.map(\.status), [.expired])
    }

    func testAppScopesTheTokenToOneStream() async throws {
        let (store, _) = try makeStore()
        let token = try await store.mint(app: "door", limit: 1, now: t0).token.text
        for path in ["yard", "Door", "door2", "door/hd", "live/door", ""] {
            let verdict = try await store.redeem(token: token, path: path, now: t0)
            XCTAssertEqual(verdict, .wrongPath, path)
        }
        let verdict = try await store.redeem(token: token, path: "/door/", now: t0)
        XCTAssertEqual(verdict, .valid(remaining: 0), "the wrong paths spent nothing; slashes at the ends do not count")
    }

    func testAppIsNormalizedAtMint() async throws {
        let (store, _) = try makeStore()
        let issued = try await store.mint(app: "/live/door/", now: t0)
        XCTAssertEqual(issued.app, "live/door")
        let verdict = try await store.redeem(token: issued.token.text, path: "live/door", now: t0)
        XCTAssertEqual(verdict, .valid(remaining: nil))
    }

    func testTokenWithoutAppOpensEveryStream() async throws {
        let (store, _) = try makeStore()
        let token = try await store.mint(limit: 3, now: t0).token.text
        var verdicts: [TokenVerdict] = []
        for path in ["door", "yard", "live/garage"] {
            verdicts.append(try await store.redeem(token: token, path: path, now: t0))
        }
        XCTAssertEqual(verdicts, [.valid(remaining: 2), .valid(remaining: 1), .valid(remaining: 0)])
    }

    func testUnknownAndMalformedTokensAreUnknown() async throws {
        let (store, _) = try makeStore()
        _ = try await store.mint(now: t0)
        for presented in ["39VvZGpnrmVcsSiZ", "", "short", "39VvZGpnrmVcsSi-", String(repeating: "x", count: 100_000)] {
            let verdict = try await store.redeem(token: presented, path: "door", now: t0)
            XCTAssertEqual(verdict, .unknown, String(presented.prefix(20)))
            let checked = try await store.check(token: presented, path: "door", now: t0)
            XCTAssertEqual(checked, .unknown)
        }
    }

    /// DESCRIBE comes before the SETUP that creates the session: it must not spend the use.
    func testCheckSpendsNothing() async throws {
        let (store, _) = try makeStore()
        let token = try await store.mint(app: "door", duration: .seconds(10), limit: 1, now: t0).token.text
        let before = [
            try await store.check(token: token, path: "door", now: t0),
            try await store.check(token: token, path: "door", now: t0),
            try await store.check(token: token, path: "yard", now: t0),
        ]
        XCTAssertEqual(before, [.valid(remaining: 1), .valid(remaining: 1), .wrongPath])
        let redeemed = try await store.redeem(token: token, path: "door", now: t0)
        XCTAssertEqual(redeemed, .valid(remaining: 0))
        let afterUse = try await store.check(token: token, path: "door", now: t0)
        let afterExpiry = try await store.check(token: token, path: "door", now: t0 + 10)
        XCTAssertEqual([afterUse, afterExpiry], [.exhausted, .expired])
    }

    func testRefusalsNameTheFirstReasonThatKillsTheToken() async throws {
        let (store, _) = try makeStore()
        let token = try await store.mint(app: "door", duration: .seconds(10), limit: 1, now: t0).token.text
        _ = try await store.redeem(token: token, path: "door", now: t0)
        let exhausted = try await store.redeem(token: token, path: "yard", now: t0)
        let expired = try await store.redeem(token: token, path: "yard", now: t0 + 10)
        XCTAssertEqual([exhausted, expired], [.exhausted, .expired], "dead is reported before wrong path")
    }

    func testRevoke() async throws {
        let (store, _) = try makeStore()
        let kept = try await store.mint(now: t0).token.text
        let revoked = try await store.mint(now: t0).token.text
        let first = try await store.revoke(token: revoked)
        let second = try await store.revoke(token: revoked)
        let malformed = try await store.revoke(token: "not a token")
        XCTAssertEqual([first, second, malformed], [true, false, false])
        let verdict = try await store.redeem(token: revoked, path: "door", now: t0)
        XCTAssertEqual(verdict, .unknown)
        let listed = try await store.list(now: t0)
        XCTAssertEqual(listed.map(\.token.text), [kept])
    }

    func testListShowsEveryStoredTokenWithItsStatus() async throws {
        let (store, _) = try makeStore()
        let live = try await store.mint(app: "door", duration: .seconds(100), limit: 3, label: "Bob's phone", now: t0)
        let expiring = try await store.mint(duration: .seconds(5), now: t0 + 1)
        let spent = try await store.mint(limit: 1, now: t0 + 2)
        _ = try await store.redeem(token: spent.token.text, path: "x", now: t0 + 3)

        let listed = try await store.list(now: t0 + 6)
        XCTAssertEqual(listed, [
            TokenInfo(token: live.token, app: "door", label: "Bob's phone", created: t0, expires: t0 + 100, remaining: 3, status: .live),
            TokenInfo(token: expiring.token, app: nil, label: nil, created: t0 + 1, expires: t0 + 6, remaining: nil, status: .expired),
            TokenInfo(token: spent.token, app: nil, label: nil, created: t0 + 2, expires: nil, remaining: 0, status: .exhausted),
        ])
    }

    func testPurgeDeletesExpiredAndExhaustedTokensOnly() async throws {
        let (store, _) = try makeStore()
        let forever = try await store.mint(now: t0).token
        let long = try await store.mint(duration: .seconds(3600), limit: 2, now: t0).token
        _ = try await store.mint(duration: .seconds(60), limit: 2, now: t0)
        _ = try await store.mint(duration: .seconds(30), now: t0)
        let spent = try await store.mint(limit: 1, now: t0).token.text
        _ = try await store.redeem(token: spent, path: "door", now: t0)

        let purged = try await store.purgeExpired(now: t0 + 60)
        XCTAssertEqual(purged, 3)
        let again = try await store.purgeExpired(now: t0 + 60)
        XCTAssertEqual(again, 0)
        let left = try await store.list(now: t0 + 60)
        XCTAssertEqual(Set(left.map(\.token)), [forever, long])
        let verdict = try await store.redeem(token: spent, path: "door", now: t0 + 60)
        XCTAssertEqual(verdict, .unknown, "purged is gone")
    }

    // MARK: - Policy

    func testOmittedBoundsTakeThePolicyMaximums() async throws {
        let (store, _) = try makeStore(policy: TokenPolicy(maximumDuration: .seconds(3600), maximumLimit: 10))
        let issued = try await store.mint(now: t0)
        XCTAssertEqual(issued.expires, t0 + 3600)
        XCTAssertEqual(issued.limit, 10)
        let verdict = try await store.redeem(token: issued.token.text, path: "door", now: t0)
        XCTAssertEqual(verdict, .valid(remaining: 9))
    }

    func testDefaultPolicyEndsEveryTokenWithinADay() async throws {
        XCTAssertEqual(TokenPolicy(), TokenPolicy(maximumDuration: .seconds(86_400), maximumLimit: nil))
        let (store, _) = try makeStore(policy: TokenPolicy())
        let issued = try await store.mint(now: t0)
        XCTAssertEqual(issued.expires, t0 + 86_400)
        XCTAssertNil(issued.limit)
    }

    func testRequestsAboveTheMaximumsAreRejectedNotClamped() async throws {
        let (store, _) = try makeStore(policy: TokenPolicy(maximumDuration: .seconds(3600), maximumLimit: 10))
        let atMaximum = try await store.mint(duration: .seconds(3600), limit: 10, now: t0)
        XCTAssertEqual(atMaximum.expires, t0 + 3600)
        XCTAssertEqual(atMaximum.limit, 10)

        await assertMintThrows(store, duration: .seconds(3601), .durationAboveMaximum(requested: .seconds(3601), maximum: .seconds(3600)))
        await assertMintThrows(store, limit: 11, .limitAboveMaximum(requested: 11, maximum: 10))
        await assertMintThrows(store, duration: .zero, .durationNotPositive(.zero))
        await assertMintThrows(store, duration: .seconds(-5), .durationNotPositive(.seconds(-5)))
        await assertMintThrows(store, limit: 0, .limitNotPositive(0))
        await assertMintThrows(store, limit: -1, .limitNotPositive(-1))
        await assertMintThrows(store, app: "/", .emptyApp)
        await assertMintThrows(store, app: "", .emptyApp)
        let listed = try await store.list(now: t0)
        XCTAssertEqual(listed.count, 1, "refused mints store nothing")
    }

    func testWithoutMaximumsATokenLivesForeverButNotPastTheAbsoluteMaximum() async throws {
        let (store, _) = try makeStore(policy: TokenPolicy(maximumDuration: nil, maximumLimit: nil))
        let forever = try await store.mint(now: t0)
        XCTAssertNil(forever.expires)
        let verdict = try await store.redeem(token: forever.token.text, path: "door", now: .distantFuture)
        XCTAssertEqual(verdict, .valid(remaining: nil))
        let tooLong = TokenPolicy.absoluteMaximumDuration + .seconds(1)
        await assertMintThrows(
            store, duration: tooLong, .durationAboveMaximum(requested: tooLong, maximum: TokenPolicy.absoluteMaximumDuration))
    }

    func testSubMillisecondDurationStillLivesForAMillisecond() async throws {
        let (store, _) = try makeStore()
        let issued = try await store.mint(duration: .microseconds(10), now: t0)
        XCTAssertEqual(try XCTUnwrap(issued.expires).timeIntervalSince(t0), 0.001, accuracy: 1e-6)
    }

    private func assertMintThrows(
        _ store: TokenStore, app: String? = nil, duration: Duration? = nil, limit: Int? = nil,
        _ expected: TokenStoreError, line: UInt = #line
    ) async {
        do {
            let issued = try await store.mint(app: app, duration: duration, limit: limit, now: t0)
            XCTFail("minted \(issued.token), expected \(expected)", line: line)
        } catch {
            XCTAssertEqual(error as? TokenStoreError, expected, line: line)
        }
    }

    // MARK: - Random source

    func testSeededGeneratorGivesTheSameTokens() async throws {
        let seed = TestSeed.value(default: 0x5EED_0001)
        let (first, _) = try makeStore(random: SeededRandom(seed: seed))
        let (second, _) = try makeStore(random: SeededRandom(seed: seed))
        var generator = SeededRandom(seed: seed)
        for _ in 0 ..< 3 {
            let a = try await first.mint(now: t0).token
            let b = try await second.mint(now: t0).token
            XCTAssertEqual(a, b, TestSeed.describe(seed))
            XCTAssertEqual(a, Token.random(using: &generator), TestSeed.describe(seed))
        }
    }

    func testCollisionDrawsAgainThenGivesUp() async throws {
        // Two words make one token ('A'×8 then 'B'×8); the script repeats it once, then moves on.
        let aaaa: UInt64 = 0, bbbb: UInt64 = 0x0101_0101_0101_0101, cccc: UInt64 = 0x0202_0202_0202_0202
        let (store, _) = try makeStore(random: ScriptedRandom([aaaa, bbbb, aaaa, bbbb, cccc, cccc]))
        let first = try await store.mint(now: t0).token.text
        let second = try await store.mint(now: t0).token.text
        XCTAssertEqual(first, "AAAAAAAABBBBBBBB")
        XCTAssertEqual(second, "CCCCCCCCCCCCCCCC", "the repeat of the first token was drawn again")

        // From here the script repeats "CCCC…" for ever: a broken generator.
        await assertMintThrows(store, .tokenCollision(attempts: TokenStore.mintAttempts))
    }

    // MARK: - The file

    func testDatabaseIsPrivateAndInWALModeWithFullSync() async throws {
        let (store, path) = try makeStore()
        _ = try await store.mint(now: t0)
        for file in [path, path + "-wal"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: file)
            XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600, file)
        }
        let journalMode = try await store.pragma("journal_mode")
        let synchronous = try await store.pragma("synchronous")
        XCTAssertEqual(journalMode, "wal")
        XCTAssertEqual(synchronous, "1", "NORMAL between spends (a spend commits with FULL)")
    }
}
