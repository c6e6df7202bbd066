import Access
import Foundation
import XCTest

/// RTSP authentication against real clients, through the vigil binary and a config file with
/// a user: ffmpeg (MD5 digest with qop), GStreamer's rtspsrc (MD5 digest, RFC 2069 style, no
/// qop) and curl (SHA-256 digest, the first challenge) each get in with the right password and
/// decode (curl: describe) the stream, and are refused with 401 without credentials or with a
/// wrong password.
class AuthDaemonTestCase: XCTestCase {
    static let user = "viewer"
    static let password = "correct horse"
    static let wrongPassword = "not-the-password-42"
    var daemon: DaemonProcess?
    var port = 0
    var configFile: URL?

    /// Extra lines for `[access]` and `[http]`, by subclasses.
    class var extraConfig: String { "[http]\nenabled = false\n" }
    var stateDirectory: URL?
    var httpPort = 0

    override func setUp() async throws {
        try TestEnvironment.requireExecutables(["/usr/bin/ffprobe", "/usr/bin/ffmpeg", "/usr/bin/gst-launch-1.0", "/usr/bin/curl"])
        let binary = try TestEnvironment.vigilBinary()
        // Few PBKDF2 rounds: the test pays for Basic nowhere, and the line still parses as any.
        let credential = try StoredCredential.make(
            user: Self.user, password: Self.password, realm: "Vigil",
            salt: Array("vigil-test-salt!".utf8), iterations: 1000)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-auth-\(UUID()).toml")
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-auth-state-\(UUID())")
        stateDirectory = state
        try """
            [rtsp]
            host = "127.0.0.1"
            port = 0
            udp_port_base = \(46_000 + Int.random(in: 0..<2000) * 2)
            \(Self.extraConfig.replacingOccurrences(of: "STATE", with: state.path))
            [log]
            level = "warning"

            [[user]]
            name = "\(Self.user)"
            password = "\(credential.encoded)"
            permissions = ["read"]

            [[stream]]
            path = "live"
            [stream.video]
            width = 320
            height = 240
            bitrate = 400
            threads = 1
            """.write(to: file, atomically: true, encoding: .utf8)
        configFile = file
        let daemon = try DaemonProcess(binary: binary, arguments: ["run", "--config", file.path])
        self.daemon = daemon
        port = Int(try await daemon.waitForStdout(#"Vigil serving rtsp://127\.0\.0\.1:(\d+)/live"#)) ?? 0
        if Self.extraConfig.contains("token_secret") {
            httpPort = Int(try await daemon.waitForStdout(#"Vigil API http://127\.0\.0\.1:(\d+)/"#)) ?? 0
        }
    }

    override func tearDown() async throws {
        if let daemon {
            daemon.signal(SIGTERM)
            let exit = try await daemon.waitForExit()
            XCTAssertEqual(exit, 0, daemon.stderr.value)
        }
        if let configFile { try? FileManager.default.removeItem(at: configFile) }
        if let stateDirectory { try? FileManager.default.removeItem(at: stateDirectory) }
    }

    func url(user: String? = nil, password: String? = nil, path: String = "live", query: String = "") -> String {
        let credentials = user.map { "\($0):\(password ?? "")@" } ?? ""
        return "rtsp://\(credentials)127.0.0.1:\(port)/\(path)\(query)"
    }

    /// One warning for a burst of failures, naming the address, and no password in the log.
    func assertOneBackOffLine(file: StaticString = #filePath, line: UInt = #line) async throws {
        let daemon = try XCTUnwrap(daemon)
        await waitUntil(timeout: 5) { daemon.stderr.value.contains("backed off") }
        let lines = daemon.stderr.value.split(whereSeparator: \.isNewline).filter { $0.contains("backed off") }
        XCTAssertEqual(lines.count, 1, "one log line for the burst: \(daemon.stderr.value)", file: file, line: line)
        XCTAssertTrue(lines.first?.contains("127.0.0.1") == true, "\(lines)", file: file, line: line)
        XCTAssertFalse(daemon.stderr.value.contains(Self.wrongPassword), "no password in the log", file: file, line: line)
    }

    func ffprobe(_ url: String) throws -> ProcessResult {
        try runProcess("ffprobe", [
            "-v", "error", "-rtsp_transport", "tcp", "-show_entries", "stream=codec_name,width,height",
            "-of", "compact", url,
        ], timeout: 30)
    }

}

/// The clients of the class comment above, against the base config.
final class AuthInteropTests: AuthDaemonTestCase {
    func testFFmpegGetsInWithItsDigestAndIsRefusedWithout() throws {
        let allowed = try ffprobe(url(user: Self.user, password: Self.password.replacingOccurrences(of: " ", with: "%20")))
        XCTAssertEqual(allowed.status, 0, allowed.stderr)
        XCTAssertTrue(String(decoding: allowed.stdout, as: UTF8.self).contains("codec_name=h264|width=320|height=240"))
        // And decodes pictures, not just the description.
        let decoded = try runProcess("ffmpeg", [
            "-nostdin", "-v", "error", "-rtsp_transport", "tcp", "-i",
            url(user: Self.user, password: Self.password.replacingOccurrences(of: " ", with: "%20")),
            "-frames:v", "10", "-f", "rawvideo", "-pix_fmt", "gray", "-",
        ], timeout: 30)
        XCTAssertEqual(decoded.status, 0, decoded.stderr)
        XCTAssertEqual(decoded.stdout.count, 10 * 320 * 240, "ten decoded pictures")

        let anonymous = try ffprobe(url())
        XCTAssertNotEqual(anonymous.status, 0)
        XCTAssertTrue(anonymous.stderr.contains("401"), anonymous.stderr)
        let wrong = try ffprobe(url(user: Self.user, password: "wrong"))
        XCTAssertNotEqual(wrong.status, 0)
        XCTAssertTrue(wrong.stderr.contains("401"), wrong.stderr)
    }

    func gstreamer(user: String?, password: String?) throws -> ProcessResult {
        var source = ["rtspsrc", "location=\(url())", "protocols=tcp", "latency=200"]
        if let user { source.append("user-id=\(user)") }
        if let password { source.append("user-pw=\(password)") }
        return try runProcess("/usr/bin/timeout", [
            "-s", "INT", "-k", "2", "6", "/usr/bin/gst-launch-1.0", "-q", "-e",
        ] + source + [
            "!", "rtph264depay", "!", "h264parse", "!", "avdec_h264", "!", "videoconvert", "!",
            "video/x-raw,format=GRAY8", "!", "fdsink", "fd=1",
        ], timeout: 20)
    }

    func testGStreamerGetsInWithItsDigestAndIsRefusedWithout() async throws {
        let allowed = try gstreamer(user: Self.user, password: Self.password)
        XCTAssertGreaterThanOrEqual(allowed.stdout.count / (320 * 240), 30, "GStreamer decoded pictures: \(allowed.stderr.suffix(800))")
        let anonymous = try gstreamer(user: nil, password: nil)
        XCTAssertEqual(anonymous.stdout.count, 0, "nothing decoded without credentials")
        XCTAssertTrue(anonymous.stderr.contains("Unauthorized (401)"), anonymous.stderr)
        // With a wrong password rtspsrc asks again and again: after five failures the address
        // is backed off (503 with Retry-After), and Vigil says so once, naming the address.
        let wrong = try gstreamer(user: Self.user, password: Self.wrongPassword)
        XCTAssertEqual(wrong.stdout.count, 0, "nothing decoded with a wrong password")
        XCTAssertTrue(wrong.stderr.contains("Unauthorized (401)") || wrong.stderr.contains("Service Unavailable (503)"), wrong.stderr)
        if wrong.stderr.contains("(503)") {
            try await assertOneBackOffLine()
        }
    }

    /// libcurl (curl's engine; the curl command line sends only OPTIONS over RTSP) answers the
    /// first Digest challenge it is given, which Vigil makes SHA-256.
    func testCurlDescribesWithASHA256DigestAndIsRefusedWithout() throws {
        let script = TestEnvironment.packageRoot.appendingPathComponent("Scripts/testkit/curl_rtsp_describe.py").path
        func describe(_ credentials: String?) throws -> ProcessResult {
            try runProcess("/usr/bin/python3", [script, url()] + (credentials.map { [$0] } ?? []), timeout: 20)
        }
        let allowed = try describe("\(Self.user):\(Self.password)")
        let body = String(decoding: allowed.stdout, as: UTF8.self)
        XCTAssertTrue(allowed.stderr.contains("RESULT curl=0 status=200"), allowed.stderr)
        XCTAssertTrue(body.contains("m=video"), body)
        let authorization = allowed.stderr.split(whereSeparator: \.isNewline).first { $0.hasPrefix("Authorization: Digest") } ?? ""
        XCTAssertTrue(authorization.contains("algorithm=SHA-256"), "curl answered with SHA-256: \(allowed.stderr)")
        XCTAssertTrue(authorization.contains("qop=auth"), authorization.description)
        for credentials in [nil, "\(Self.user):wrong"] {
            let refused = try describe(credentials)
            XCTAssertTrue(refused.stderr.contains("RESULT curl=0 status=401"), refused.stderr)
            XCTAssertFalse(String(decoding: refused.stdout, as: UTF8.self).contains("m=video"))
        }
    }

    /// Guessing is slowed, not a lock-out: after five wrong passwords from one address it is
    /// answered 503 with Retry-After, unchecked (the right password too), and logged once with
    /// the address; once the back-off has passed the right password gets in again.
    func testRepeatedFailuresAreBackedOffLoggedOnceAndThenForgiven() async throws {
        let wrongURL = url(user: Self.user, password: Self.wrongPassword)
        var answers: [String] = []
        for _ in 0..<6 {
            let result = try ffprobe(wrongURL)
            XCTAssertNotEqual(result.status, 0)
            answers.append(result.stderr.contains("503") ? "503" : result.stderr.contains("401") ? "401" : "?")
        }
        XCTAssertEqual(answers, ["401", "401", "401", "401", "401", "503"], "five failures, then the back-off")
        let during = try ffprobe(url(user: Self.user, password: Self.password.replacingOccurrences(of: " ", with: "%20")))
        XCTAssertTrue(during.stderr.contains("503"), "the right password waits out the back-off too: \(during.stderr)")
        try await assertOneBackOffLine()
        // The first back-off is one second.
        let forgiven = await waitUntil(timeout: 10) {
            (try? self.ffprobe(self.url(user: Self.user, password: Self.password.replacingOccurrences(of: " ", with: "%20"))))?.status == 0
        }
        XCTAssertTrue(forgiven, "the right password gets in once the back-off has passed")
    }
}

/// UMAS tokens on RTSP URLs: one use is one new session (DESCRIBE only checks), a token for
/// one path opens no other, and a used-up or unknown token gets 401.
final class TokenRTSPTests: AuthDaemonTestCase {
    static let secret = "service-access-password"
    override class var extraConfig: String {
        """
        [http]
        enabled = true
        host = "127.0.0.1"
        port = 0
        [access]
        token_secret = "\(secret)"
        state_directory = "STATE"
        """
    }

    func mint(_ query: String) throws -> String {
        let result = try runProcess("/usr/bin/curl", ["-sS", "--max-time", "10",
            "http://127.0.0.1:\(httpPort)/gettoken?token=\(Self.secret)&\(query)"], timeout: 20)
        let token = String(decoding: result.stdout, as: UTF8.self)
        XCTAssertNotNil(token.wholeMatch(of: /[A-Za-z0-9]{16}/), "a UMAS token: \(token) \(result.stderr)")
        return token
    }

    func testLimitTwoLetsTwoSessionsInAndRefusesTheThird() throws {
        let token = try mint("app=live&duration=60&limit=2")
        for session in 1...2 {
            let probe = try ffprobe(url(query: "?token=\(token)"))
            XCTAssertEqual(probe.status, 0, "session \(session): \(probe.stderr)")
            XCTAssertTrue(String(decoding: probe.stdout, as: UTF8.self).contains("codec_name=h264"))
        }
        let third = try ffprobe(url(query: "?token=\(token)"))
        XCTAssertNotEqual(third.status, 0)
        XCTAssertTrue(third.stderr.contains("401"), third.stderr)
        let daemon = try XCTUnwrap(daemon)
        XCTAssertFalse(daemon.stderr.value.contains(token), "the token's value is never logged")
    }

    func testATokenForOnePathOpensNoOther() throws {
        let token = try mint("app=door&limit=5")
        let probe = try ffprobe(url(query: "?token=\(token)"))
        XCTAssertNotEqual(probe.status, 0, "a token for door does not open live")
        XCTAssertTrue(probe.stderr.contains("403") || probe.stderr.contains("401"), probe.stderr)
        let unknown = try ffprobe(url(query: "?token=AAAAAAAAAAAAAAAA"))
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.stderr.contains("401"), unknown.stderr)
        // A token with no app opens every stream, and decodes.
        let any = try mint("limit=1")
        let decoded = try runProcess("ffmpeg", [
            "-nostdin", "-v", "error", "-rtsp_transport", "tcp", "-i", url(query: "?token=\(any)"),
            "-frames:v", "5", "-f", "rawvideo", "-pix_fmt", "gray", "-",
        ], timeout: 30)
        XCTAssertEqual(decoded.status, 0, decoded.stderr)
        XCTAssertEqual(decoded.stdout.count, 5 * 320 * 240)
    }
}
