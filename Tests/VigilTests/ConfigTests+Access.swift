import Access
import Foundation
import VigilKit
import XCTest

/// `[access]` and `[[user]]`: what they decode to, the open default, and every problem with
/// its key and line.
extension ConfigTests {
    /// A stored credential as `vigil passwd` makes one, cheap to make (the minimum iterations).
    static func credentialLine(user: String, password: String, realm: String = "Vigil") throws -> String {
        try StoredCredential.make(
            user: user, password: password, realm: realm, salt: Array(repeating: 7, count: StoredCredential.saltByteCount),
            iterations: StoredCredential.minimumIterations
        ).encoded
    }

    func testNoUsersAndNoAnonymousKeyIsOpenButNotForAdmin() throws {
        let access = try VigilConfigFile.parse("").access
        XCTAssertTrue(access.isOpen)
        XCTAssertEqual(access.anonymousGrants, [Grant(.read, path: .any), Grant(.playback, path: .any), Grant(.api, path: .any)])
        XCTAssertEqual(access.realm, "Vigil")
        XCTAssertFalse(access.basic)
        XCTAssertNil(access.tokenSecret)
        XCTAssertEqual(access.tokenMaxDuration, 86_400)
        XCTAssertNil(access.tokenMaxUses)
        XCTAssertEqual(access.resolvedStateDirectory(environment: [:]), "/var/lib/vigil")
        XCTAssertEqual(access.resolvedStateDirectory(environment: ["STATE_DIRECTORY": "/var/lib/vigil-a:/var/lib/other"]), "/var/lib/vigil-a")
    }

    func testAccessAndUsersDecode() throws {
        let alice = try Self.credentialLine(user: "alice", password: "wonderland", realm: "Porch")
        let bob = try Self.credentialLine(user: "bob", password: "builder", realm: "Porch")
        let text = """
            [access]
            realm = "Porch"
            anonymous = ["read:yard"]
            basic = true
            token_secret = "0123456789abcdef0123"
            token_max_duration = 3600
            token_max_uses = 10
            state_directory = "/srv/vigil"

            [[user]]
            name = "alice"
            password = "\(alice)"
            permissions = ["read", "playback:door", "api", "admin", "read:garden/*"]
            ips = ["192.168.1.0/24", "::1"]

            [[user]]
            name = "bob"
            password = "\(bob)"
            """
        let access = try VigilConfigFile.parse(text).access
        XCTAssertFalse(access.isOpen)
        XCTAssertEqual(access.realm, "Porch")
        XCTAssertEqual(access.anonymousGrants, [Grant(.read, path: try PathPattern("yard"))])
        XCTAssertTrue(access.basic)
        XCTAssertEqual(access.tokenSecret, "0123456789abcdef0123")
        XCTAssertEqual(access.tokenMaxDuration, 3600)
        XCTAssertEqual(access.tokenMaxUses, 10)
        XCTAssertEqual(access.resolvedStateDirectory(environment: ["STATE_DIRECTORY": "/elsewhere"]), "/srv/vigil")
        XCTAssertEqual(access.users.map(\.name), ["alice", "bob"])
        let first = access.users[0]
        XCTAssertEqual(first.grants, [
            Grant(.read, path: .any), Grant(.playback, path: try PathPattern("door")), Grant(.api, path: .any),
            Grant(.admin, path: .any), Grant(.read, path: try PathPattern("garden/*")),
        ])
        XCTAssertEqual(first.allowedNetworks, [try IPNetwork("192.168.1.0/24"), try IPNetwork("::1")])
        XCTAssertTrue(first.credential.verify(password: "wonderland"))
        XCTAssertEqual(access.users[1].grants, [])
        XCTAssertEqual(access.users[1].allowedNetworks, [])
        XCTAssertNoThrow(try access.configuration())
    }

    /// Once any user exists, anonymous means nothing unless the key says otherwise.
    func testUsersCloseTheAnonymousDefault() throws {
        let line = try Self.credentialLine(user: "alice", password: "pw")
        let closed = try VigilConfigFile.parse("[[user]]\nname = \"alice\"\npassword = \"\(line)\"\n").access
        XCTAssertFalse(closed.isOpen)
        XCTAssertEqual(closed.anonymousGrants, [])
        let none = try VigilConfigFile.parse("[access]\nanonymous = []\n").access
        XCTAssertFalse(none.isOpen, "an empty anonymous key closes everything even with no users")
        XCTAssertEqual(none.anonymousGrants, [])
    }

    func testEveryAccessProblemNamesKeyAndLine() throws {
        let alice = try Self.credentialLine(user: "alice", password: "pw")
        let otherRealm = try Self.credentialLine(user: "alice", password: "pw", realm: "Elsewhere")
        let passwd = "run `vigil passwd --user alice` and paste the line it prints"
        let cases: [(name: String, text: String, line: Int?, key: String, message: String)] = [
            ("empty realm", "[access]\nrealm = \"\"", 2, "access.realm", "must be a non-empty name without control characters, got \"\""),
            ("anonymous not an array", "[access]\nanonymous = \"read\"", 2, "access.anonymous",
             "must be an array of strings ([\"a\", \"b\"]), got a string"),
            ("anonymous element type", "[access]\nanonymous = [\n  \"read\",\n  3,\n]", 4, "access.anonymous",
             "element 2 must be a string in quotes, got an integer"),
            ("anonymous permission", "[access]\nanonymous = [\n  \"read\",\n  \"watch:door\",\n]", 4, "access.anonymous",
             "element 2: \"watch:door\": the permission must be one of read, playback, api, admin, optionally with :PATH (\"read:door\", \"read:*\")"),
            ("anonymous pattern", "[access]\nanonymous = [\"read:*door\"]", 2, "access.anonymous",
             "element 1: \"read:*door\": path pattern \"*door\" has a \"*\" that is not at the end"),
            ("basic", "[access]\nbasic = \"yes\"", 2, "access.basic", "must be true or false, got a string"),
            ("short secret", "[access]\ntoken_secret = \"hunter2\"", 2, "access.token_secret",
             "must be at least 16 characters (anyone who guesses it mints tokens; e.g. `openssl rand -hex 16`), got 7"),
            ("duration", "[access]\ntoken_max_duration = 0", 2, "access.token_max_duration", "must be 1...315360000, got 0"),
            ("uses", "[access]\ntoken_max_uses = -1", 2, "access.token_max_uses", "must be 1...1000000000, got -1"),
            ("state directory", "[access]\nstate_directory = \"state\"", 2, "access.state_directory",
             "must be an absolute path (\"/var/lib/vigil\"), got \"state\""),
            ("unknown access key", "[access]\nrealms = \"x\"", 2, "access.realms",
             "unknown key; allowed in [access]: realm, anonymous, basic, token_secret, token_max_duration, token_max_uses, state_directory"),
            ("clear-text password", "[[user]]\nname = \"alice\"\npassword = \"wonderland\"", 3, "user.password",
             "must be a stored credential (v1$…), never a clear-text password: \(passwd)"),
            ("broken credential", "[[user]]\nname = \"alice\"\npassword = \"v1$Vigil$pbkdf2-sha256$1000\"", 3, "user.password",
             "a stored credential has 8 fields separated by \"$\", this one has 4; make a new line with `vigil passwd`"),
            ("credential of another realm", "[[user]]\nname = \"alice\"\npassword = \"\(otherRealm)\"", 3, "user.password",
             "was made for realm \"Elsewhere\", but [access] realm is \"Vigil\"; make a new one with `vigil passwd --user alice --realm Vigil`"),
            ("password missing", "[[user]]\nname = \"alice\"", 1, "user.password",
             "is required: \(passwd)"),
            ("name missing", "[[user]]\npassword = \"\(alice)\"", 1, "user.name", "is required: the user name a viewer logs in with"),
            ("name with colon", "[[user]]\nname = \"a:b\"\npassword = \"\(alice)\"", 2, "user.name",
             "must be non-empty, without \":\" or control characters, got \"a:b\""),
            ("duplicate user", "[[user]]\nname = \"alice\"\npassword = \"\(alice)\"\n[[user]]\nname = \"alice\"\npassword = \"\(alice)\"", 5,
             "user.name", "\"alice\" is already the name of the user at line 2"),
            ("permission", "[[user]]\nname = \"alice\"\npassword = \"\(alice)\"\npermissions = [\"read\", \"root\"]", 4, "user.permissions",
             "element 2: \"root\": the permission must be one of read, playback, api, admin, optionally with :PATH (\"read:door\", \"read:*\")"),
            ("ips", "[[user]]\nname = \"alice\"\npassword = \"\(alice)\"\nips = [\n\"10.0.0.0/8\",\n\"10.0.0.0/33\"]", 6, "user.ips",
             "element 2: \"10.0.0.0/33\" has no valid prefix length (0–32 for IPv4, 0–128 for IPv6); write an address or a CIDR block (\"192.168.1.0/24\", \"::1\")"),
            ("unknown user key", "[[user]]\nname = \"alice\"\npassword = \"\(alice)\"\nrole = \"admin\"", 4, "user.role",
             "unknown key; allowed in [user]: name, password, permissions, ips"),
            ("user not an array", "[user]\nname = \"alice\"", 1, "user", "users are an array of tables: write [[user]], not [user]"),
            ("API off loopback, open default", "[http]\nhost = \"0.0.0.0\"", 2, "http.host",
             "\"0.0.0.0\" is reachable from other hosts: the API needs a [[user]] with \"api\" permission, or [access] anonymous = [\"api\"]"),
            ("API off loopback, no api user", "[http]\nhost = \"::\"\n[[user]]\nname = \"alice\"\npassword = \"\(alice)\"\npermissions = [\"read\"]", 2,
             "http.host", "\"::\" is reachable from other hosts: the API needs a [[user]] with \"api\" permission, or [access] anonymous = [\"api\"]"),
        ]
        for item in cases {
            XCTAssertThrowsError(try VigilConfigFile.parse(item.text), item.name) { error in
                guard let error = error as? ConfigError else { return XCTFail("\(item.name): \(error)") }
                XCTAssertEqual(error.problems, [ConfigProblem(line: item.line, key: item.key, message: item.message)], item.name)
            }
        }
        // The API off loopback is fine once someone is granted `api`, or with it off.
        XCTAssertNoThrow(try VigilConfigFile.parse("[http]\nhost = \"0.0.0.0\"\n[access]\nanonymous = [\"read\", \"api\"]"))
        XCTAssertNoThrow(try VigilConfigFile.parse("[http]\nhost = \"0.0.0.0\"\nenabled = false"))
        XCTAssertNoThrow(try VigilConfigFile.parse(
            "[http]\nhost = \"0.0.0.0\"\n[[user]]\nname = \"alice\"\npassword = \"\(alice)\"\npermissions = [\"api:status\"]"))
    }
}
