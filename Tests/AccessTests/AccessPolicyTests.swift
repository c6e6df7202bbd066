import Foundation
import XCTest
@testable import Access

final class AccessPolicyTests: XCTestCase {
    private let lan = try! IPAddress("192.168.1.20")  // swiftlint:disable:this force_try
    private let outside = try! IPAddress("203.0.113.5")  // swiftlint:disable:this force_try
    private let door = "rtsp://192.0.2.10:8554/door"
    private let connection = ConnectionID(1)

    private func makePolicy(
        basic: Bool = false, tokens: (any TokenRedeeming)? = nil, clock: ManualClock = ManualClock(),
        algorithms: [DigestAlgorithm] = [.sha256, .md5]
    ) throws -> AccessPolicy {
        let configuration = try AccessConfiguration(
            realm: Fixture.realm,
            users: [
                User(name: "admin", credential: Fixture.credential("admin", "root pw"),
                     grants: Fixture.grants([(.read, "*"), (.playback, "*"), (.api, "*"), (.admin, "*")])),
                User(name: "viewer", credential: Fixture.credential("viewer", "door-bell 42"),
                     grants: Fixture.grants([(.read, "door"), (.playback, "door")])),
                User(name: "gardener", credential: Fixture.credential("gardener", "roses"),
                     grants: Fixture.grants([(.read, "garden/*")])),
                User(name: "nanny", credential: Fixture.credential("nanny", "lullaby"),
                     grants: Fixture.grants([(.read, "nursery")]), allowedNetworks: [try IPNetwork("192.168.1.0/24"), try IPNetwork("fd00::/8")]),
            ],
            anonymousGrants: Fixture.grants([(.read, "lobby")]),
            basicEnabled: basic,
            digestAlgorithms: algorithms
        )
        return AccessPolicy(configuration: configuration, secret: testSecret, tokens: tokens, clock: clock)
    }

    private func request(
        _ permission: Permission = .read, path: String = "door", peer: IPAddress? = nil, connection: ConnectionID? = nil,
        method: String = "DESCRIBE", uri: String? = nil, authorization: String? = nil
    ) -> AccessRequest {
        AccessRequest(
            action: AccessAction(permission, path: path), peer: peer ?? lan, connection: connection ?? self.connection,
            method: method, uri: uri ?? door, credentials: PresentedCredentials(authorization: authorization)
        )
    }

    private func firstChallenges(_ policy: AccessPolicy, connection: ConnectionID? = nil) async -> [String] {
        await policy.decide(request(connection: connection)).challenges ?? []
    }

    // MARK: - Challenges

    func testNoCredentialsGetsChallengesSHA256ThenMD5() async throws {
        let policy = try makePolicy()
        let decision = await policy.decide(request())
        XCTAssertEqual(decision.cause, .noCredentials)
        XCTAssertFalse(decision.startedBurst)
        let challenges = try XCTUnwrap(decision.challenges)
        XCTAssertEqual(challenges.count, 2)
        let parsed = challenges.compactMap(ParsedChallenge.init)
        XCTAssertEqual(parsed.map(\.algorithm), ["SHA-256", "MD5"])
        XCTAssertEqual(parsed.map(\.realm), ["Vigil", "Vigil"])
        XCTAssertEqual(parsed.map(\.qop), ["auth", "auth"])
        XCTAssertEqual(parsed[0].nonce, parsed[1].nonce, "one nonce serves both algorithms")
        XCTAssertNotNil(parsed[0].opaque)
        XCTAssertFalse(parsed[0].stale)
        XCTAssertTrue(challenges[0].hasPrefix("Digest realm=\"Vigil\", qop=\"auth\", algorithm=SHA-256, nonce=\""))
    }

    func testBasicChallengeComesLastWhenEnabled() async throws {
        let challenges = await firstChallenges(try makePolicy(basic: true))
        XCTAssertEqual(challenges.count, 3)
        XCTAssertEqual(challenges.last, "Basic realm=\"Vigil\", charset=\"UTF-8\"")
    }

    // MARK: - Digest, as real clients send it

    /// ffmpeg keeps the last Digest challenge (MD5) and answers with qop=auth, counting nc up.
    func testFFmpegFlow() async throws {
        let policy = try makePolicy()
        let challenges = await firstChallenges(policy)
        for (count, (method, uri)) in [("DESCRIBE", door), ("SETUP", door + "/trackID=0"), ("PLAY", door)].enumerated() {
            let header = try XCTUnwrap(FFmpegClient.authorization(
                username: "viewer", password: "door-bell 42", challenges: challenges, method: method, uri: uri,
                nonceCount: UInt32(count + 1)
            ))
            XCTAssertTrue(header.contains(",algorithm=MD5,"), header)
            XCTAssertTrue(header.contains(",qop=\"auth\",cnonce=\""), header)
            let decision = await policy.decide(request(method: method, uri: uri, authorization: header))
            XCTAssertEqual(decision, .allowed(.user("viewer"), authenticationInfo: nil), "\(method) \(uri)")
        }
    }

    /// GStreamer keeps the last Digest challenge and answers RFC 2069 style: no qop, no nc,
    /// no algorithm. The same header works again on the connection (there is no count).
    func testGStreamerFlow() async throws {
        let policy = try makePolicy()
        let challenges = await firstChallenges(policy)
        for method in ["DESCRIBE", "DESCRIBE", "PLAY"] {
            let header = try XCTUnwrap(GStreamerClient.authorization(
                username: "viewer", password: "door-bell 42", challenges: challenges, method: method, uri: door
            ))
            XCTAssertFalse(header.contains("qop"))
            XCTAssertFalse(header.contains("algorithm"))
            let decision = await policy.decide(request(method: method, authorization: header))
            XCTAssertEqual(decision.principal, .user("viewer"), method)
        }
    }

    /// An RFC 7616 client takes the first challenge: SHA-256.
    func testRFC7616ClientUsesSHA256() async throws {
        let policy = try makePolicy()
        let challenges = await firstChallenges(policy)
        let header = try XCTUnwrap(RFC7616Client.authorization(
            username: "admin", password: "root pw", challenges: challenges, method: "GET", uri: "/api/status", nonceCount: 1
        ))
        XCTAssertTrue(header.contains("algorithm=SHA-256"))
        let decision = await policy.decide(request(.api, path: "status", method: "GET", uri: "/api/status", authorization: header))
        XCTAssertEqual(decision.principal, .user("admin"))
    }

    func testDisabledAlgorithmIsRefused() async throws {
        let policy = try makePolicy(algorithms: [.sha256])
        let challenges = await firstChallenges(policy)
        XCTAssertEqual(challenges.count, 1)
        // A client that insists on MD5 anyway.
        let nonce = try XCTUnwrap(ParsedChallenge(challenges[0])).nonce
        let md5Challenge = DigestChallenge(realm: "Vigil", nonce: nonce, algorithm: .md5).headerValue
        let header = try XCTUnwrap(FFmpegClient.authorization(
            username: "viewer", password: "door-bell 42", challenges: [md5Challenge], method: "DESCRIBE", uri: door, nonceCount: 1
        ))
        let decision = await policy.decide(request(authorization: header))
        XCTAssertEqual(decision.cause, .unsupportedDigest("algorithm MD5 is not enabled"))
    }

    func testUnsupportedVariantsAreRefused() async throws {
        let policy = try makePolicy()
        let initial = await firstChallenges(policy)
        let nonce = try XCTUnwrap(ParsedChallenge(initial[0])).nonce
        let base = "Digest username=\"viewer\", realm=\"Vigil\", nonce=\"\(nonce)\", uri=\"\(door)\", response=\"00\""
        let cases: [(String, RefusalCause)] = [
            (base + ", algorithm=MD5-sess", .unsupportedDigest("algorithm MD5-sess")),
            (base + ", algorithm=SHA-512-256", .unsupportedDigest("algorithm SHA-512-256")),
            (base + ", qop=auth-int, nc=00000001, cnonce=\"c\"", .unsupportedDigest("qop auth-int")),
            (base + ", userhash=true", .unsupportedDigest("userhash")),
        ]
        for (header, cause) in cases {
            let decision = await policy.decide(request(authorization: header))
            XCTAssertEqual(decision.cause, cause, header)
            XCTAssertNotNil(decision.challenges)
        }
    }

    func testWrongPasswordAndUnknownUserLookTheSame() async throws {
        let policy = try makePolicy()
        let challenges = await firstChallenges(policy)
        for (user, password) in [("viewer", "wrong"), ("nobody", "door-bell 42")] {
            let header = try XCTUnwrap(GStreamerClient.authorization(
                username: user, password: password, challenges: challenges, method: "DESCRIBE", uri: door
            ))
            let decision = await policy.decide(request(authorization: header))
            XCTAssertEqual(decision.cause, .wrongCredentials(username: user))
            XCTAssertEqual(try XCTUnwrap(decision.challenges).count, 2)
        }
    }

    func testDigestURIMustBeTheRequestURI() async throws {
        let policy = try makePolicy()
        let offered = await firstChallenges(policy)
        let header = try XCTUnwrap(GStreamerClient.authorization(
            username: "viewer", password: "door-bell 42", challenges: offered, method: "DESCRIBE", uri: door
        ))
        let decision = await policy.decide(request(uri: door + "/other", authorization: header))
        XCTAssertEqual(decision.cause, .wrongCredentials(username: "viewer"))
    }

    func testMethodIsPartOfTheResponse() async throws {
        let policy = try makePolicy()
        let offered = await firstChallenges(policy)
        let header = try XCTUnwrap(GStreamerClient.authorization(
            username: "viewer", password: "door-bell 42", challenges: offered, method: "DESCRIBE", uri: door
        ))
        let decision = await policy.decide(request(method: "PLAY", authorization: header))
        XCTAssertEqual(decision.cause, .wrongCredentials(username: "viewer"))
    }

    // MARK: - Nonces: expiry, connection binding, replay

    func testExpiredNonceIsStaleAndNotAFailure() async throws {
        let clock = ManualClock()
        let policy = try makePolicy(clock: clock)
        let challenges = await firstChallenges(policy)
        clock.advance(by: .seconds(301))
        let header = try XCTUnwrap(GStreamerClient.authorization(
            username: "viewer", password: "door-bell 42", challenges: challenges, method: "DESCRIBE", uri: door
        ))
        // Many stale answers in a row never start a back-off.
        for _ in 1...10 {
            let decision = await policy.decide(request(authorization: header))
            XCTAssertEqual(decision.cause, .staleNonce)
            XCTAssertFalse(decision.startedBurst)
            let fresh = try XCTUnwrap(decision.challenges).compactMap(ParsedChallenge.init)
            XCTAssertTrue(fresh.allSatisfy(\.stale))
        }
        // The client retries with the fresh nonce, without asking its user.
        let offered = await policy.decide(request(authorization: header)).challenges ?? []
        let retry = try XCTUnwrap(GStreamerClient.authorization(
            username: "viewer", password: "door-bell 42", challenges: offered,
            method: "DESCRIBE", uri: door
        ))
        let decision = await policy.decide(request(authorization: retry))
        XCTAssertEqual(decision.principal, .user("viewer"))
    }

    func testNonceIsValidUntilItsLifetime() async throws {
        let clock = ManualClock()
        let policy = try makePolicy(clock: clock)
        let offered = await firstChallenges(policy)
        let header = try XCTUnwrap(GStreamerClient.authorization(
            username: "viewer", password: "door-bell 42", challenges: offered, method: "DESCRIBE", uri: door
        ))
        clock.advance(by: .seconds(300))
        let decision = await policy.decide(request(authorization: header))
        XCTAssertEqual(decision.principal, .user("viewer"))
    }

    func testNonceFromAnotherConnectionIsStale() async throws {
        let policy = try makePolicy()
        let offered = await firstChallenges(policy, connection: ConnectionID(1))
        let header = try XCTUnwrap(GStreamerClient.authorization(
            username: "viewer", password: "door-bell 42", challenges: offered,
            method: "DESCRIBE", uri: door
        ))
        let decision = await policy.decide(request(connection: ConnectionID(2), authorization: header))
        XCTAssertEqual(decision.cause, .staleNonce)
        XCTAssertTrue(try XCTUnwrap(decision.challenges).compactMap(ParsedChallenge.init).allSatisfy(\.stale))
        // On its own connection it still works.
        let home = await policy.decide(request(connection: ConnectionID(1), authorization: header))
        XCTAssertEqual(home.principal, .user("viewer"))
    }

    func testNonceCountReplayIsRefused() async throws {
        let policy = try makePolicy()
        let challenges = await firstChallenges(policy)
        func header(_ count: UInt32) throws -> String {
            try XCTUnwrap(FFmpegClient.authorization(
                username: "viewer", password: "door-bell 42", challenges: challenges, method: "DESCRIBE", uri: door, nonceCount: count
            ))
        }
        let first = await policy.decide(request(authorization: try header(1)))
        XCTAssertTrue(first.isAllowed)
        let replay = await policy.decide(request(authorization: try header(1)))
        XCTAssertEqual(replay.cause, .replayedNonceCount)
        XCTAssertFalse(replay.startedBurst)
        let second = await policy.decide(request(authorization: try header(2)))
        XCTAssertTrue(second.isAllowed)
        let backwards = await policy.decide(request(authorization: try header(1)))
        XCTAssertEqual(backwards.cause, .replayedNonceCount)
        let skipped = await policy.decide(request(authorization: try header(9)))
        XCTAssertTrue(skipped.isAllowed, "gaps are allowed, only increase is required")

        // After the connection closes its counts are dropped; its nonces are refused anyway,
        // since a new connection has another id.
        await policy.connectionClosed(connection)
        let elsewhere = await policy.decide(request(connection: ConnectionID(99), authorization: try header(10)))
        XCTAssertEqual(elsewhere.cause, .staleNonce)
    }

    func testNextNonceOfferedPastHalfTheLifetime() async throws {
        let clock = ManualClock()
        let policy = try makePolicy(clock: clock)
        let challenges = await firstChallenges(policy)
        func header(_ count: UInt32, _ challenges: [String]) throws -> String {
            try XCTUnwrap(FFmpegClient.authorization(
                username: "viewer", password: "door-bell 42", challenges: challenges, method: "OPTIONS", uri: door, nonceCount: count
            ))
        }
        let early = await policy.decide(request(method: "OPTIONS", authorization: try header(1, challenges)))
        XCTAssertEqual(early, .allowed(.user("viewer"), authenticationInfo: nil))
        clock.advance(by: .seconds(151))
        let late = await policy.decide(request(method: "OPTIONS", authorization: try header(2, challenges)))
        guard case .allowed(_, let info?) = late else { return XCTFail("no Authentication-Info: \(late)") }
        XCTAssertTrue(info.hasPrefix("nextnonce=\""), info)
        // ffmpeg takes the nextnonce and keeps counting; it works past the old nonce's expiry.
        let nextNonce = String(info.dropFirst("nextnonce=\"".count).dropLast())
        clock.advance(by: .seconds(200))
        let moved = [DigestChallenge(realm: "Vigil", nonce: nextNonce, algorithm: .md5).headerValue]
        let decision = await policy.decide(request(method: "OPTIONS", authorization: try header(3, moved)))
        XCTAssertTrue(decision.isAllowed)
    }

    func testReloadKeepsOutstandingNonces() async throws {
        let policy = try makePolicy()
        let offered = await firstChallenges(policy)
        let header = try XCTUnwrap(GStreamerClient.authorization(
            username: "viewer", password: "door-bell 42", challenges: offered, method: "DESCRIBE", uri: door
        ))
        let reloaded = try AccessConfiguration(
            realm: Fixture.realm,
            users: [User(name: "viewer", credential: Fixture.credential("viewer", "door-bell 42"), grants: Fixture.grants([(.read, "*")]))]
        )
        await policy.reload(reloaded)
        let decision = await policy.decide(request(path: "garden/east", authorization: header))
        XCTAssertEqual(decision.principal, .user("viewer"))
    }

    // MARK: - Basic

    func testBasicWhenEnabled() async throws {
        let policy = try makePolicy(basic: true)
        // base64("viewer:door-bell 42")
        let allowed = await policy.decide(request(authorization: "Basic dmlld2VyOmRvb3ItYmVsbCA0Mg=="))
        XCTAssertEqual(allowed, .allowed(.user("viewer"), authenticationInfo: nil))
        // base64("viewer:door-bell 43"), base64("nobody:door-bell 42")
        for header in ["Basic dmlld2VyOmRvb3ItYmVsbCA0Mw==", "Basic bm9ib2R5OmRvb3ItYmVsbCA0Mg=="] {
            let decision = await policy.decide(request(authorization: header))
            guard case .wrongCredentials = decision.cause else { return XCTFail("\(decision)") }
        }
    }

    func testBasicWhenDisabledPointsToDigest() async throws {
        let policy = try makePolicy(basic: false)
        let decision = await policy.decide(request(authorization: "Basic dmlld2VyOmRvb3ItYmVsbCA0Mg=="))
        XCTAssertEqual(decision.cause, .basicDisabled)
        XCTAssertEqual(decision.challenges?.count, 2)
        XCTAssertFalse(decision.startedBurst)
    }

    // MARK: - Permissions

    /// Who may do what: every user and anonymous against a grid of actions.
    func testPermissionMatrix() async throws {
        let policy = try makePolicy(basic: true)
        let basic: [String: String] = [
            "admin": "Basic " + Data("admin:root pw".utf8).base64EncodedString(),
            "viewer": "Basic " + Data("viewer:door-bell 42".utf8).base64EncodedString(),
            "gardener": "Basic " + Data("gardener:roses".utf8).base64EncodedString(),
            "nanny": "Basic " + Data("nanny:lullaby".utf8).base64EncodedString(),
        ]
        let actions: [AccessAction] = [
            .init(.read, path: "door"), .init(.playback, path: "door"), .init(.read, path: "garden/east"),
            .init(.read, path: "garden"), .init(.read, path: "nursery"), .init(.read, path: "lobby"),
            .init(.playback, path: "lobby"), .init(.api, path: "metrics"), .init(.admin, path: "tokens"),
        ]
        // Rows follow `actions`; "A" allowed, "-" refused.
        let expected: [(String?, String)] = [
            (nil, "-----A---"),
            ("admin", "AAAAAAAAA"),
            ("viewer", "AA---A---"),
            ("gardener", "--A--A---"),
            ("nanny", "----AA---"),
        ]
        for (user, row) in expected {
            for (action, mark) in zip(actions, row) {
                let decision = await policy.decide(AccessRequest(
                    action: action, peer: lan, connection: connection, method: "DESCRIBE", uri: door,
                    credentials: PresentedCredentials(authorization: user.flatMap { basic[$0] })
                ))
                XCTAssertEqual(decision.isAllowed, mark == "A", "\(user ?? "anonymous") \(action): \(decision)")
                if mark == "-", let user {
                    XCTAssertEqual(decision, .refused(.forbidden, cause: .notPermitted(.user(user), action), startedFailureBurst: false))
                }
                if mark == "-", user == nil { XCTAssertEqual(decision.cause, .noCredentials) }
            }
        }
    }

    func testAllowListDecidesAfterThePassword() async throws {
        let policy = try makePolicy(basic: true)
        let right = "Basic " + Data("nanny:lullaby".utf8).base64EncodedString()
        let wrong = "Basic " + Data("nanny:lullabies".utf8).base64EncodedString()
        let home = await policy.decide(request(path: "nursery", peer: try IPAddress("192.168.1.99"), authorization: right))
        XCTAssertEqual(home.principal, .user("nanny"))
        let mapped = await policy.decide(request(path: "nursery", peer: try IPAddress("::ffff:192.168.1.99"), authorization: right))
        XCTAssertEqual(mapped.principal, .user("nanny"))
        let v6 = await policy.decide(request(path: "nursery", peer: try IPAddress("fd00::12"), authorization: right))
        XCTAssertEqual(v6.principal, .user("nanny"))
        let away = await policy.decide(request(path: "nursery", peer: outside, authorization: right))
        XCTAssertEqual(away, .refused(.forbidden, cause: .addressNotAllowed(username: "nanny"), startedFailureBurst: false))
        let guessing = await policy.decide(request(path: "nursery", peer: outside, authorization: wrong))
        XCTAssertEqual(guessing.cause, .wrongCredentials(username: "nanny"))
    }

    func testMalformedAuthorizationCountsAsAFailure() async throws {
        let policy = try makePolicy()
        let decision = await policy.decide(request(authorization: "Digest username=\"viewer"))
        XCTAssertEqual(decision.cause, .malformedAuthorization(.unterminatedQuotedString(parameter: "username")))
        XCTAssertNotNil(decision.challenges)
    }

    // MARK: - Tokens

    func testTokens() async throws {
        let clock = ManualClock()
        let tokens = TableTokens([
            "live-door": .valid(permissions: [.read]), "old": .expired, "spent": .exhausted, "elsewhere": .wrongPath,
        ])
        let policy = try makePolicy(tokens: tokens, clock: clock)
        let allowed = await policy.decide(request(authorization: "Bearer live-door"))
        XCTAssertEqual(allowed, .allowed(.token, authenticationInfo: nil))
        XCTAssertEqual(tokens.requests.first?.path, "door")
        XCTAssertEqual(tokens.requests.first?.now, clock.wallClockNow())

        let playback = await policy.decide(request(.playback, authorization: "Bearer live-door"))
        XCTAssertEqual(playback, .refused(.forbidden, cause: .notPermitted(.token, AccessAction(.playback, path: "door")), startedFailureBurst: false))
        let query = AccessRequest(
            action: .init(.read, path: "door"), peer: lan, connection: connection, method: "DESCRIBE", uri: door, credentials: .token("old")
        )
        let expired = await policy.decide(query)
        XCTAssertEqual(expired.cause, .tokenRefused(.expired))
        XCTAssertFalse(expired.startedBurst)
        let decision1 = await policy.decide(request(authorization: "Bearer spent"))
        XCTAssertEqual(decision1.cause, .tokenRefused(.exhausted))
        let decision9 = await policy.decide(request(authorization: "Bearer elsewhere"))
        XCTAssertEqual(decision9,
                       .refused(.forbidden, cause: .tokenRefused(.wrongPath), startedFailureBurst: false))
        let decision2 = await policy.decide(request(authorization: "Bearer guess"))
        XCTAssertEqual(decision2.cause, .tokenRefused(.unknown))
    }

    func testTokensDisabled() async throws {
        let policy = try makePolicy(tokens: nil)
        let decision3 = await policy.decide(request(authorization: "Bearer anything"))
        XCTAssertEqual(decision3.cause, .tokensDisabled)
    }

    // MARK: - Back-off

    func testRepeatedFailuresBackOffAndASuccessClears() async throws {
        let clock = ManualClock()
        let policy = try makePolicy(clock: clock)
        let challenges = await firstChallenges(policy)
        func header(_ password: String) throws -> String {
            try XCTUnwrap(GStreamerClient.authorization(
                username: "viewer", password: password, challenges: challenges, method: "DESCRIBE", uri: door
            ))
        }
        for attempt in 1...5 {
            let decision = await policy.decide(request(authorization: try header("guess \(attempt)")))
            XCTAssertEqual(decision.cause, .wrongCredentials(username: "viewer"))
            XCTAssertEqual(decision.startedBurst, attempt == 5, "attempt \(attempt)")
        }
        // Refused unchecked, even with the right password, and even without credentials.
        let limited = await policy.decide(request(authorization: try header("door-bell 42")))
        XCTAssertEqual(limited, .refused(.rateLimited(retryAfter: .seconds(1)), cause: .backingOff, startedFailureBurst: false))
        let decision4 = await policy.decide(request())
        XCTAssertEqual(decision4.refusal, .rateLimited(retryAfter: .seconds(1)))
        // Anonymous access is not an authentication attempt.
        let decision5 = await policy.decide(request(path: "lobby"))
        XCTAssertTrue(decision5.isAllowed)
        // Another address is unaffected.
        let decision6 = await policy.decide(request(peer: outside, authorization: try header("door-bell 42")))
        XCTAssertTrue(decision6.isAllowed)

        clock.advance(by: .seconds(1))
        _ = await policy.decide(request(authorization: try header("still guessing")))
        let decision7 = await policy.decide(request())
        XCTAssertEqual(decision7.refusal, .rateLimited(retryAfter: .seconds(2)))
        clock.advance(by: .milliseconds(500))
        let decision8 = await policy.decide(request())
        XCTAssertEqual(decision8.refusal, .rateLimited(retryAfter: .milliseconds(1500)))

        clock.advance(by: .milliseconds(1500))
        let success = await policy.decide(request(authorization: try header("door-bell 42")))
        XCTAssertTrue(success.isAllowed)
        for attempt in 1...4 {
            let decision = await policy.decide(request(authorization: try header("again \(attempt)")))
            XCTAssertEqual(decision.cause, .wrongCredentials(username: "viewer"), "the success cleared the count")
        }
    }

    // MARK: - Configuration

    func testConfigurationRefusesMismatchedRealmAndDuplicates() {
        let other = Fixture.credential("viewer", "pw", realm: "Old Realm")
        XCTAssertThrowsError(try AccessConfiguration(realm: "Vigil", users: [User(name: "viewer", credential: other, grants: [])])) {
            XCTAssertEqual($0 as? AccessConfigurationError, .realmMismatch(user: "viewer", credentialRealm: "Old Realm", realm: "Vigil"))
            XCTAssertTrue("\($0)".contains("vigil passwd"))
        }
        let credential = Fixture.credential("viewer", "pw")
        let twice = [User(name: "viewer", credential: credential, grants: []), User(name: "viewer", credential: credential, grants: [])]
        XCTAssertThrowsError(try AccessConfiguration(realm: "Vigil", users: twice)) {
            XCTAssertEqual($0 as? AccessConfigurationError, .duplicateUser("viewer"))
        }
        XCTAssertThrowsError(try AccessConfiguration(realm: "")) { XCTAssertEqual($0 as? AccessConfigurationError, .invalidRealm("")) }
        XCTAssertThrowsError(try AccessConfiguration(realm: "Vigil", digestAlgorithms: [])) {
            XCTAssertEqual($0 as? AccessConfigurationError, .invalidDigestAlgorithms)
        }
        XCTAssertThrowsError(try AccessConfiguration(realm: "Vigil", users: [User(name: "a:b", credential: credential, grants: [])])) {
            XCTAssertEqual($0 as? AccessConfigurationError, .invalidUserName("a:b"))
        }
    }

    func testRandomSecretHasTheRightSize() {
        var generator = SystemRandomNumberGenerator()
        XCTAssertEqual(AccessPolicy.randomSecret(using: &generator).count, DigestNonceIssuer.minimumSecretByteCount)
    }
}
