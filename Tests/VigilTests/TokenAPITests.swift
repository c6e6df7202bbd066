import Access
import Foundation
import Tokens
import VigilKit
import XCTest

/// UMAS tokens over the HTTP API (`/gettoken`, the admin routes), the store behind them, and
/// the `api` permission of the status routes off loopback. The RTSP side of tokens is tested
/// with the RTSP handler.
final class TokenAPITests: XCTestCase {
    static let secret = "service-access-password-1"
    static let tokenPattern = "[A-Za-z0-9]{16}"

    static func user(_ name: String, _ password: String, _ permissions: [Permission]) throws -> User {
        User(
            name: name, credential: try StoredCredential(ConfigTests.credentialLine(user: name, password: password)),
            grants: permissions.map { Grant($0, path: .any) })
    }

    static func settings(stateDirectory: URL, httpHost: String = "127.0.0.1", users: [User]? = nil) throws -> VigilSettings {
        var settings = VigilFixture.smallSettings()
        settings.streamPath = "door"
        settings.video.frameRate = 10
        settings.audio.enabled = false
        settings.http = .init(enabled: true, host: httpHost, port: 0)
        settings.access.tokenSecret = secret
        settings.access.stateDirectory = stateDirectory.path
        settings.access.users = try users ?? [user("root", "rootpw", [.admin])]
        return settings
    }

    static func temporaryDirectory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("vigil-tokens-\(UUID())")
    }

    struct Reply {
        var status: Int
        var headers: [(String, String)]
        var body: String

        func header(_ name: String) -> [String] {
            headers.filter { $0.0.lowercased() == name.lowercased() }.map(\.1)
        }
    }

    /// One request through curl; for `--digest` the last of its two exchanges.
    static func curl(_ port: Int, _ path: String, _ options: [String] = []) throws -> Reply {
        let headerFile = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-curl-\(UUID()).headers")
        defer { try? FileManager.default.removeItem(at: headerFile) }
        let result = try runProcess(
            "/usr/bin/curl", ["-sS", "--max-time", "10", "-o", "-", "-D", headerFile.path] + options + ["http://127.0.0.1:\(port)\(path)"],
            timeout: 20)
        guard result.status == 0 else { throw TestClientError.unexpected("curl \(path): \(result.stderr)") }
        let dump = try String(contentsOf: headerFile, encoding: .utf8)
        let blocks = dump.components(separatedBy: "\r\n\r\n").filter { $0.hasPrefix("HTTP/") }
        let lines = (blocks.last ?? "").components(separatedBy: "\r\n")
        let status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        let headers = lines.dropFirst().compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return Reply(status: status, headers: headers, body: String(decoding: result.stdout, as: UTF8.self))
    }

    static func matches(_ text: String, _ pattern: String) -> Bool {
        text.range(of: "^" + pattern + "$", options: .regularExpression) != nil
    }

    /// The token in a text reply.
    static func mint(_ port: Int, _ query: String) throws -> String {
        let reply = try curl(port, "/gettoken?token=\(secret)&" + query)
        guard reply.status == 200, matches(reply.body, tokenPattern) else {
            throw TestClientError.unexpected("gettoken \(query): \(reply.status) \(reply.body)")
        }
        return reply.body
    }

    /// What an RTSP request with this token gets from the policy: a DESCRIBE checks, a SETUP spends.
    static func decide(_ vigil: Vigil, token: String, path: String, spend: Bool = true) async throws -> AccessDecision {
        await vigil.access.decide(AccessRequest(
            action: AccessAction(.read, path: path), peer: try IPAddress("127.0.0.1"), connection: ConnectionID(1),
            method: spend ? "SETUP" : "DESCRIBE", uri: "rtsp://127.0.0.1/\(path)", credentials: .token(token),
            spendsTokenUse: spend))
    }

    override func setUpWithError() throws {
        try TestEnvironment.requireExecutables(["/usr/bin/curl"])
    }

    // MARK: - /gettoken

    /// The UMAS URLs exactly, and the three reply formats byte for byte.
    func testGetTokenAnswersInTheThreeUMASFormats() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let fixture = try await VigilFixture(settings: Self.settings(stateDirectory: directory))
        let port = try XCTUnwrap(fixture.httpPort)

        let text = try Self.curl(port, "/gettoken?token=\(Self.secret)&app=door&duration=60&limit=2")
        XCTAssertEqual(text.status, 200)
        XCTAssertEqual(text.header("Content-Type"), ["text/plain; charset=utf-8"])
        XCTAssertEqual(text.header("Cache-Control"), ["no-store"])
        XCTAssertTrue(Self.matches(text.body, Self.tokenPattern), "the bare token, no newline: \(text.body.debugDescription)")

        let json = try Self.curl(port, "/gettoken?token=\(Self.secret)&app=door&duration=60&limit=2&format=json")
        XCTAssertEqual(json.status, 200)
        XCTAssertEqual(json.header("Content-Type"), ["application/json"])
        XCTAssertTrue(Self.matches(json.body, #"\{"Token":""# + Self.tokenPattern + #""\}"#), json.body)

        let xml = try Self.curl(port, "/gettoken?token=\(Self.secret)&app=door&duration=60&limit=2&format=xml")
        XCTAssertEqual(xml.status, 200)
        XCTAssertEqual(xml.header("Content-Type"), ["application/xml; charset=utf-8"])
        XCTAssertTrue(
            Self.matches(xml.body, #"<\?xml version="1\.0" encoding="utf-8"\?>\n<Token>"# + Self.tokenPattern + "</Token>"),
            xml.body)

        // Every bound is optional; the token then lives token_max_duration (a day) with no use limit.
        let bare = try Self.mint(port, "")
        let listed = try await fixture.vigil.tokens?.list(now: Date()).first { $0.token.text == bare }
        XCTAssertNil(listed?.app)
        XCTAssertNil(listed?.remaining)
        XCTAssertEqual(try XCTUnwrap(listed?.expires).timeIntervalSince(try XCTUnwrap(listed?.created)), 86_400, accuracy: 1)
        let count = try await fixture.vigil.tokens?.list(now: Date()).count
        XCTAssertEqual(count, 4)
        try await fixture.stop()
    }

    func testWrongSecretIs403AndBadParametersAre400NamingThem() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var settings = try Self.settings(stateDirectory: directory)
        settings.access.tokenMaxDuration = 3600
        settings.access.tokenMaxUses = 5
        let fixture = try await VigilFixture(settings: settings)
        let port = try XCTUnwrap(fixture.httpPort)

        let wrong = try Self.curl(port, "/gettoken?token=not-the-secret&app=door")
        XCTAssertEqual(wrong.status, 403)
        XCTAssertFalse(wrong.body.contains("not-the-secret"))
        let cases: [(query: String, names: String)] = [
            ("&limit=abc", "limit"), ("&duration=0", "duration"), ("&duration=-5", "duration"), ("&format=yaml", "format"),
            ("&duration=7200", "duration"), ("&limit=6", "limit"), ("&app=%2F%2F", "app"), ("&app=a&app=b", "app"),
        ]
        for item in cases {
            let reply = try Self.curl(port, "/gettoken?token=\(Self.secret)" + item.query)
            XCTAssertEqual(reply.status, 400, item.query)
            XCTAssertTrue(reply.body.contains(item.names), "\(item.query): \(reply.body)")
        }
        // No secret and no credentials: a login is asked for (an admin may mint without it).
        let anonymous = try Self.curl(port, "/gettoken?app=door")
        XCTAssertEqual(anonymous.status, 401)
        XCTAssertTrue(anonymous.header("WWW-Authenticate").contains { $0.hasPrefix("Digest ") }, "\(anonymous.headers)")
        let count = try await fixture.vigil.tokens?.list(now: Date()).count
        XCTAssertEqual(count, 0, "nothing was minted")
        try await fixture.stop()
    }

    /// Guessing the secret is backed off like guessing a password: after five wrong secrets
    /// from one address, 429 with Retry-After, the right secret included, until it passes.
    func testWrongSecretsAreBackedOff() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let fixture = try await VigilFixture(settings: try Self.settings(stateDirectory: directory))
        let port = try XCTUnwrap(fixture.httpPort)
        let statuses = try (0..<6).map { _ in try Self.curl(port, "/gettoken?token=not-the-secret-\(UUID())").status }
        XCTAssertEqual(statuses, [403, 403, 403, 403, 403, 429])
        let during = try Self.curl(port, "/gettoken?token=\(Self.secret)&app=door")
        XCTAssertEqual(during.status, 429)
        XCTAssertEqual(during.header("Retry-After"), ["1"])
        let forgiven = await waitUntil(timeout: 10) { (try? Self.curl(port, "/gettoken?token=\(Self.secret)&app=door"))?.status == 200 }
        XCTAssertTrue(forgiven, "the right secret works again once the back-off has passed")
        try await fixture.stop()
    }

    /// Without token_secret there is no store and no route: 404, and the policy refuses tokens.
    func testWithoutTokenSecretGetTokenIs404() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var settings = try Self.settings(stateDirectory: directory)
        settings.access.tokenSecret = nil
        let fixture = try await VigilFixture(settings: settings)
        XCTAssertNil(fixture.vigil.tokens)
        let reply = try Self.curl(try XCTUnwrap(fixture.httpPort), "/gettoken?token=\(Self.secret)")
        XCTAssertEqual(reply.status, 404)
        XCTAssertTrue(reply.body.contains("token_secret"), reply.body)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.path), "no state directory is made without tokens")
        try await fixture.stop()
    }

    // MARK: - The store through the adapter

    /// `limit=2`: two sessions (SETUPs) get in, the third does not; a DESCRIBE spends nothing.
    /// And `app=door` does not open `yard`.
    func testLimitTwoLetsTwoRedeemsThroughAndAppScopesThePath() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let fixture = try await VigilFixture(settings: Self.settings(stateDirectory: directory))
        let port = try XCTUnwrap(fixture.httpPort)
        let token = try Self.mint(port, "app=door&limit=2")

        let yard = try await Self.decide(fixture.vigil, token: token, path: "yard")
        XCTAssertEqual(yard, .refused(.forbidden, cause: .tokenRefused(.wrongPath), startedFailureBurst: false))
        for _ in 0..<3 {
            let describe = try await Self.decide(fixture.vigil, token: token, path: "door", spend: false)
            XCTAssertEqual(describe, .allowed(.token, authenticationInfo: nil))
        }
        for use in 1...2 {
            let setup = try await Self.decide(fixture.vigil, token: token, path: "door")
            XCTAssertEqual(setup, .allowed(.token, authenticationInfo: nil), "use \(use)")
        }
        guard case .refused(.needsCredentials, let cause, _) = try await Self.decide(fixture.vigil, token: token, path: "door") else {
            return XCTFail("the third session must be refused")
        }
        XCTAssertEqual(cause, .tokenRefused(.exhausted))
        // The adapter reports the store's verdicts as access control's.
        let redeemer = try XCTUnwrap(fixture.vigil.tokenRedeemer)
        let verdict = await redeemer.redeem(token: token, path: "door", now: Date(), spend: false)
        XCTAssertEqual(verdict, .exhausted)
        let unknown = await redeemer.redeem(token: "AAAAAAAAAAAAAAAA", path: "door", now: Date(), spend: false)
        XCTAssertEqual(unknown, .unknown)
        try await fixture.stop()
    }

    /// `duration=2` on the injected clock: valid at 1.9 s, refused from 2 s on.
    func testDurationTwoIsRefusedAfterTwoSeconds() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let clock = ManualAccessClock()
        let fixture = try await VigilFixture(settings: Self.settings(stateDirectory: directory), accessClock: clock)
        let token = try Self.mint(try XCTUnwrap(fixture.httpPort), "app=door&duration=2")
        clock.advance(seconds: 1.9)
        let before = try await Self.decide(fixture.vigil, token: token, path: "door", spend: false)
        XCTAssertEqual(before, .allowed(.token, authenticationInfo: nil))
        clock.advance(seconds: 0.1)
        guard case .refused(.needsCredentials, let cause, _) = try await Self.decide(fixture.vigil, token: token, path: "door") else {
            return XCTFail("an expired token must be refused")
        }
        XCTAssertEqual(cause, .tokenRefused(.expired))
        try await fixture.stop()
    }

    /// A graceful restart on the same state directory keeps the token and its remaining uses.
    func testTokenSurvivesARestartWithItsRemainingUses() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let settings = try Self.settings(stateDirectory: directory)
        let first = try await VigilFixture(settings: settings)
        let token = try Self.mint(try XCTUnwrap(first.httpPort), "app=door&limit=3")
        let spent = try await Self.decide(first.vigil, token: token, path: "door")
        XCTAssertTrue(spent.isAllowed)
        try await first.stop()
        let mode = try FileManager.default.attributesOfItem(atPath: directory.path)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o700, "the state directory is made private")

        let second = try await VigilFixture(settings: settings)
        let listed = try await second.vigil.tokens?.list(now: Date()).first { $0.token.text == token }
        XCTAssertEqual(listed?.remaining, 2)
        XCTAssertEqual(listed?.app, "door")
        for _ in 0..<2 {
            let decision = try await Self.decide(second.vigil, token: token, path: "door")
            XCTAssertTrue(decision.isAllowed)
        }
        let third = try await Self.decide(second.vigil, token: token, path: "door")
        XCTAssertFalse(third.isAllowed)
        try await second.stop()
    }

    /// `kill -9` of the daemon, then a start on the same state directory: the token is there.
    func testTokenSurvivesKillNineOfTheDaemon() async throws {
        let binary = try TestEnvironment.vigilBinary()
        let directory = Self.temporaryDirectory()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("vigil.toml")
        let line = try ConfigTests.credentialLine(user: "root", password: "rootpw")
        try """
            [rtsp]
            host = "127.0.0.1"
            port = 0
            udp_port_base = \(40_000 + Int.random(in: 0..<1000) * 2)
            [http]
            port = 0
            [access]
            token_secret = "\(Self.secret)"
            state_directory = "\(directory.appendingPathComponent("state").path)"
            [[user]]
            name = "root"
            password = "\(line)"
            permissions = ["admin"]
            [[stream]]
            path = "door"
            [stream.video]
            width = 160
            height = 120
            fps = 5
            bitrate = 100
            threads = 1
            [stream.audio]
            enabled = false
            """.write(to: config, atomically: true, encoding: .utf8)

        let daemon = try DaemonProcess(binary: binary, arguments: ["run", "--config", config.path])
        let portText = try await daemon.waitForStdout(#"Vigil API http://127\.0\.0\.1:(\d+)/"#)
        let port = try XCTUnwrap(Int(portText))
        let token = try Self.mint(port, "app=door&limit=4")
        daemon.signal(SIGKILL)
        let status = try await daemon.waitForExit()
        XCTAssertNotNil(status, "killed")

        let restarted = try DaemonProcess(binary: binary, arguments: ["run", "--config", config.path])
        let newPortText = try await restarted.waitForStdout(#"Vigil API http://127\.0\.0\.1:(\d+)/"#)
        let newPort = try XCTUnwrap(Int(newPortText))
        let list = try Self.curl(newPort, "/api/v1/tokens", ["--digest", "-u", "root:rootpw"])
        XCTAssertEqual(list.status, 200, list.body)
        XCTAssertTrue(list.body.contains("\"token\" : \"\(token)\""), list.body)
        XCTAssertTrue(list.body.contains("\"remaining\" : 4"), list.body)
        restarted.signal(SIGTERM)
        let exit = try await restarted.waitForExit()
        XCTAssertEqual(exit, 0, restarted.stderr.value)
    }

    // MARK: - Admin

    func testAdminListsMintsAndRevokesTokens() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let users = try [Self.user("root", "rootpw", [.admin]), Self.user("viewer", "viewerpw", [.read, .api])]
        let fixture = try await VigilFixture(settings: Self.settings(stateDirectory: directory, users: users))
        let port = try XCTUnwrap(fixture.httpPort)
        let admin = ["--digest", "-u", "root:rootpw"]

        // An admin mints with credentials instead of the secret.
        let minted = try Self.curl(port, "/gettoken?app=door&limit=1&format=json", admin)
        XCTAssertEqual(minted.status, 200, minted.body)
        let token = try XCTUnwrap(minted.body.range(of: Self.tokenPattern, options: .regularExpression).map { String(minted.body[$0]) })

        let list = try Self.curl(port, "/api/v1/tokens", admin)
        XCTAssertEqual(list.status, 200)
        XCTAssertEqual(list.header("Content-Type"), ["application/json; charset=utf-8"])
        struct Listed: Decodable {
            struct Entry: Decodable { var token: String; var app: String?; var remaining: Int?; var status: String; var label: String? }
            var tokens: [Entry]
        }
        let entries = try JSONDecoder().decode(Listed.self, from: Data(list.body.utf8)).tokens
        XCTAssertEqual(entries.map(\.token), [token])
        XCTAssertEqual(entries.first?.app, "door")
        XCTAssertEqual(entries.first?.remaining, 1)
        XCTAssertEqual(entries.first?.status, "live")
        XCTAssertEqual(entries.first?.label, "user root")

        XCTAssertEqual(try Self.curl(port, "/api/v1/tokens").status, 401, "no credentials")
        XCTAssertEqual(try Self.curl(port, "/api/v1/tokens", ["--digest", "-u", "root:wrong"]).status, 401)
        XCTAssertEqual(try Self.curl(port, "/api/v1/tokens", ["--digest", "-u", "viewer:viewerpw"]).status, 403, "not an admin")
        XCTAssertEqual(try Self.curl(port, "/gettoken?app=door", ["--digest", "-u", "viewer:viewerpw"]).status, 403)
        XCTAssertEqual(try Self.curl(port, "/api/v1/tokens/\(token)", ["-X", "DELETE", "--digest", "-u", "viewer:viewerpw"]).status, 403)

        XCTAssertEqual(try Self.curl(port, "/api/v1/tokens/\(token)", ["-X", "DELETE"] + admin).status, 204)
        XCTAssertEqual(try Self.curl(port, "/api/v1/tokens/\(token)", ["-X", "DELETE"] + admin).status, 404, "already gone")
        let decision = try await Self.decide(fixture.vigil, token: token, path: "door")
        XCTAssertFalse(decision.isAllowed, "a revoked token opens nothing")
        try await fixture.stop()
    }

    /// A reload takes new users and a new secret at once; the store's place needs a restart.
    func testReloadAppliesUsersAndSecretAtOnce() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let settings = try Self.settings(stateDirectory: directory)
        let fixture = try await VigilFixture(settings: settings)
        let port = try XCTUnwrap(fixture.httpPort)
        XCTAssertEqual(try Self.curl(port, "/api/v1/tokens", ["--digest", "-u", "root:rootpw"]).status, 200)

        var changed = settings
        changed.access.users = [try Self.user("keeper", "keeperpw", [.admin])]
        changed.access.tokenSecret = "another-service-password"
        changed.access.stateDirectory = directory.appendingPathComponent("elsewhere").path
        let outcome = try await fixture.vigil.apply(changed)
        XCTAssertEqual(outcome.needsRestart, ["access tokens"])
        XCTAssertEqual(outcome.kept, ["door"], "the stream and its viewers are untouched")
        XCTAssertEqual(try Self.curl(port, "/api/v1/tokens", ["--digest", "-u", "root:rootpw"]).status, 401, "root is gone")
        XCTAssertEqual(try Self.curl(port, "/api/v1/tokens", ["--digest", "-u", "keeper:keeperpw"]).status, 200)
        XCTAssertEqual(try Self.curl(port, "/gettoken?token=\(Self.secret)").status, 403, "the old secret no longer mints")
        XCTAssertEqual(try Self.curl(port, "/gettoken?token=another-service-password").status, 200)
        XCTAssertEqual(fixture.vigil.settings.access.stateDirectory, directory.path, "the store stays where it was")

        // A reload that would leave an API off loopback unprotected is refused whole.
        var open = VigilFixture.smallSettings()
        open.http = .init(enabled: true, host: "0.0.0.0", port: 0)
        open.access.users = [try Self.user("scraper", "pw", [.api])]
        let exposed = try await VigilFixture(settings: open)
        var closed = open
        closed.access.users = []
        do {
            try await exposed.vigil.apply(closed)
            XCTFail("the reload must be refused")
        } catch let error as ConfigError {
            XCTAssertEqual(error.problems.map(\.key), ["http.host"])
        }
        XCTAssertEqual(exposed.vigil.settings.access.users.map(\.name), ["scraper"])
        try await exposed.stop()
        try await fixture.stop()
    }

    // MARK: - The status API off loopback

    func testAPIOnAllInterfacesWithoutAPIPermissionRefusesToStart() throws {
        var settings = VigilFixture.smallSettings()
        settings.http = .init(enabled: true, host: "0.0.0.0", port: 0)
        XCTAssertThrowsError(try buildVigil(settings: settings, logger: VigilFixture.testLogger())) { error in
            XCTAssertEqual(
                "\(error)", "http.host = 0.0.0.0 needs a [[user]] with \"api\" permission, or [access] anonymous = [\"api\"]")
        }
        settings.access.users = [try Self.user("root", "rootpw", [.admin, .read])]
        XCTAssertThrowsError(try buildVigil(settings: settings, logger: VigilFixture.testLogger()), "admin is not api")

        // The binary refuses before it starts anything, naming the key and its line.
        let binary = try TestEnvironment.vigilBinary()
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-open-api-\(UUID()).toml")
        defer { try? FileManager.default.removeItem(at: config) }
        try "[http]\nhost = \"0.0.0.0\"\nport = 0\n[rtsp]\nport = 0\n".write(to: config, atomically: true, encoding: .utf8)
        let result = try runProcess(binary.path, ["run", "--config", config.path], timeout: 20)
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("line 2: http.host: \"0.0.0.0\" is reachable from other hosts: the API needs a [[user]] with \"api\" permission"), result.stderr)
    }

    func testAPIOffLoopbackNeedsTheAPIPermission() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let users = try [Self.user("scraper", "scrapepw", [.api]), Self.user("viewer", "viewerpw", [.read])]
        let fixture = try await VigilFixture(settings: Self.settings(stateDirectory: directory, httpHost: "0.0.0.0", users: users))
        let port = try XCTUnwrap(fixture.httpPort)
        for path in ["/api/v1/status", "/metrics"] {
            let allowed = try Self.curl(port, path, ["--digest", "-u", "scraper:scrapepw"])
            XCTAssertEqual(allowed.status, 200, path)
            let refused = try Self.curl(port, path)
            XCTAssertEqual(refused.status, 401, path)
            let challenges = refused.header("WWW-Authenticate")
            XCTAssertEqual(challenges.count, 2, "SHA-256 and MD5: \(challenges)")
            XCTAssertTrue(challenges.allSatisfy { $0.hasPrefix("Digest realm=\"Vigil\"") }, "\(challenges)")
            XCTAssertEqual(try Self.curl(port, path, ["--digest", "-u", "scraper:wrong"]).status, 401, path)
            XCTAssertEqual(try Self.curl(port, path, ["--digest", "-u", "viewer:viewerpw"]).status, 403, path)
            XCTAssertEqual(try Self.curl(port, path, ["--basic", "-u", "scraper:scrapepw"]).status, 401, "Basic is off: \(path)")
        }
        let status = try Self.curl(port, "/api/v1/status", ["--digest", "-u", "scraper:scrapepw"])
        XCTAssertNoThrow(try VigilStatus.decoder().decode(VigilStatus.self, from: Data(status.body.utf8)))
        try await fixture.stop()
    }
}
