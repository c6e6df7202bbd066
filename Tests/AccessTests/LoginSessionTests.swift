import Foundation
import TestSeeds
import XCTest
@testable import Access

/// The web page's login: the form goes through the policy's back-off and password check, the
/// session it opens authenticates requests until logout, idle time or the absolute lifetime.
final class LoginSessionTests: XCTestCase {
    private let lan = try! IPAddress("192.168.1.20")  // swiftlint:disable:this force_try
    private let connection = ConnectionID(7)

    private func makePolicy(clock: ManualClock, seed: UInt64 = 1) throws -> AccessPolicy {
        let configuration = try AccessConfiguration(
            realm: Fixture.realm,
            users: [
                User(name: "viewer", credential: Fixture.credential("viewer", "door-bell 42"),
                     grants: Fixture.grants([(.read, "door"), (.playback, "door")])),
                User(name: "scraper", credential: Fixture.credential("scraper", "metrics"), grants: Fixture.grants([(.api, "*")])),
                User(name: "nanny", credential: Fixture.credential("nanny", "lullaby"),
                     grants: Fixture.grants([(.read, "nursery")]), allowedNetworks: [try IPNetwork("10.0.0.0/8")]),
            ])
        return AccessPolicy(
            configuration: configuration, secret: testSecret, clock: clock,
            sessionLifetimes: LoginSessionLifetimes(idle: .seconds(600), absolute: .seconds(3600)),
            sessionRandom: SeededRandom(seed: seed))
    }

    private func request(_ permission: Permission = .read, path: String = "door", session: String) -> AccessRequest {
        AccessRequest(
            action: AccessAction(permission, path: path), peer: lan, connection: connection, method: "GET", uri: "/",
            credentials: .session(session), spendsTokenUse: false)
    }

    private func logIn(_ policy: AccessPolicy, _ user: String = "viewer", _ password: String = "door-bell 42") async -> LoginDecision {
        await policy.logIn(username: user, password: password, peer: lan, connection: connection)
    }

    func testLoginOpensASessionThatActsAsTheUser() async throws {
        let policy = try makePolicy(clock: ManualClock())
        guard case .loggedIn(let session) = await logIn(policy) else { return XCTFail("a right password logs in") }
        XCTAssertEqual(session.user, "viewer")
        XCTAssertEqual(Base64URL.decode(session.id)?.count, 16, "128 random bits")
        XCTAssertEqual(Base64URL.decode(session.csrfToken)?.count, 16)
        XCTAssertNotEqual(session.id, session.csrfToken)
        let allowed = await policy.decide(request(session: session.id))
        XCTAssertEqual(allowed, .allowed(.user("viewer"), authenticationInfo: nil))
        let other = await policy.decide(request(path: "garage", session: session.id))
        XCTAssertEqual(other.cause, .notPermitted(.user("viewer"), AccessAction(.read, path: "garage")), "the user's grants, no more")
        let forged = await policy.decide(request(session: "AAAAAAAAAAAAAAAAAAAAAA"))
        XCTAssertEqual(forged.cause, .sessionEnded)
        XCTAssertFalse(forged.startedBurst)
    }

    func testWrongPasswordsBackOffWithTheSameLimiterAsDigest() async throws {
        let policy = try makePolicy(clock: ManualClock())
        for attempt in 1...5 {
            let decision = await logIn(policy, "viewer", "wrong \(attempt)")
            guard case .refused(.needsCredentials, .wrongCredentials, let burst) = decision else { return XCTFail("\(decision)") }
            XCTAssertEqual(burst, attempt == 5, "the fifth failure starts the burst")
        }
        // Now backing off: even the right password is not checked.
        guard case .refused(.rateLimited(let wait), .backingOff, _) = await logIn(policy) else { return XCTFail("429 while backing off") }
        XCTAssertEqual(wait, .seconds(1), "FailureLimiter's first back-off")
        // And the back-off is the address's, whatever the credential: Digest from it waits too.
        let digest = await policy.decide(AccessRequest(
            action: AccessAction(.read, path: "door"), peer: lan, connection: connection, method: "DESCRIBE", uri: "rtsp://x/door",
            credentials: .none))
        XCTAssertEqual(digest.cause, .backingOff)
    }

    func testRightPasswordWithoutReadOrFromElsewhereIsForbidden() async throws {
        let policy = try makePolicy(clock: ManualClock())
        guard case .refused(.forbidden, .nothingToWatch("scraper"), false) = await logIn(policy, "scraper", "metrics") else {
            return XCTFail("an api-only user has no page to watch")
        }
        guard case .refused(.forbidden, .addressNotAllowed("nanny"), false) = await logIn(policy, "nanny", "lullaby") else {
            return XCTFail("the allow list applies to the form too")
        }
        let count = await policy.sessionCount
        XCTAssertEqual(count, 0)
    }

    func testLogoutIdleAndAbsoluteExpiry() async throws {
        let clock = ManualClock()
        let policy = try makePolicy(clock: clock)
        guard case .loggedIn(let first) = await logIn(policy) else { return XCTFail() }
        let ended = await policy.endSession(first.id)
        XCTAssertTrue(ended)
        let afterLogout = await policy.decide(request(session: first.id))
        XCTAssertEqual(afterLogout.cause, .sessionEnded, "logout ends it server-side")

        guard case .loggedIn(let idle) = await logIn(policy) else { return XCTFail() }
        clock.advance(by: .seconds(599))
        var decision = await policy.decide(request(session: idle.id))
        XCTAssertTrue(decision.isAllowed, "used within the idle time")
        clock.advance(by: .seconds(599))
        decision = await policy.decide(request(session: idle.id))
        XCTAssertTrue(decision.isAllowed, "each use restarts the idle time")
        clock.advance(by: .seconds(600))
        decision = await policy.decide(request(session: idle.id))
        XCTAssertEqual(decision.cause, .sessionEnded, "idle for 600 s")

        guard case .loggedIn(let busy) = await logIn(policy) else { return XCTFail() }
        for _ in 0..<7 {
            clock.advance(by: .seconds(500))
            decision = await policy.decide(request(session: busy.id))
            XCTAssertTrue(decision.isAllowed, "in use every 500 s, up to 3500 s")
        }
        clock.advance(by: .seconds(500))
        decision = await policy.decide(request(session: busy.id))
        XCTAssertEqual(decision.cause, .sessionEnded, "4000 s after the login: past the absolute 3600 s, however busy")
        let csrf = await policy.loginSession(busy.id)
        XCTAssertNil(csrf)
    }

    func testReloadWithoutTheUserEndsTheirSessions() async throws {
        let policy = try makePolicy(clock: ManualClock())
        guard case .loggedIn(let session) = await logIn(policy) else { return XCTFail() }
        await policy.reload(try AccessConfiguration(realm: Fixture.realm, users: []))
        let decision = await policy.decide(request(session: session.id))
        XCTAssertEqual(decision.cause, .sessionEnded)
    }

    func testTableIsBoundedAndIdsAreUnique() {
        var table = LoginSessionTable(capacity: 8)
        var random = SeededRandom(seed: TestSeed.value(default: 0x5e55_1015))
        var ids: Set<String> = []
        for index in 0..<20 {
            let session = table.open(user: "u\(index)", now: .seconds(Int64(index)), using: &random)
            XCTAssertTrue(ids.insert(session.id).inserted)
        }
        XCTAssertEqual(table.count, 8, "the least recently used go first")
    }
}
