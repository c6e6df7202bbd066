import Access
import Foundation
import MediaCore
import TestSeeds
import XCTest

@testable import VigilKit

/// Vigil's own web page, its login sessions and HTTPS, shown by real clients: Debian's
/// chromium driven over the DevTools protocol (`Scripts/testkit/web_page.py`) logs in and
/// watches, curl checks every cookie flag, refusal and CSRF rule, ffprobe the clip the cookie
/// downloads, and `openssl req` makes the certificate the HTTPS server is tested with.
final class WebPageTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// Where screenshots of the page are kept after a run (README: "Web page").
    static let artifacts = root.appendingPathComponent(".build/test-artifacts")

    static func user(_ name: String, _ password: String, _ grants: [(Permission, String)]) throws -> User {
        User(
            name: name, credential: try StoredCredential(ConfigTests.credentialLine(user: name, password: password)),
            grants: try grants.map { Grant($0.0, path: try PathPattern($0.1)) })
    }

    /// One recording stream, the HTTP API on a free loopback port, and two users: `viewer`
    /// (watch, recordings, status) and `scraper` (status only: nothing to watch).
    static func settings(state: URL) throws -> VigilSettings {
        var settings = try RecordingTests.recordingSettings(state: state, segment: .seconds(4), part: .milliseconds(500))
        settings.access.users = [
            try user("viewer", "door-bell 42", [(.read, "*"), (.playback, "*"), (.api, "*")]),
            try user("scraper", "metrics pw", [(.api, "*")]),
        ]
        return settings
    }

    // MARK: Chromium

    /// A person's visit: `/` sends chromium to the login, the form logs in, the page lists the
    /// stream and its live `<video>` paints pictures by WebRTC (WHEP), with audio arriving,
    /// the timeline lists what the recorder made and plays it, and screenshots at desktop and
    /// phone size show a picture.
    func testChromiumLogsInWatchesLiveAndSeesTheRecordingOnTheTimeline() async throws {
        try await visit(webRTC: true)
    }

    /// The same visit to a box with WebRTC off: the page's WHEP POST gets 404 and the live
    /// view falls back to the low-latency HLS.
    func testWithoutWebRTCThePageFallsBackToHLS() async throws {
        try await visit(webRTC: false)
    }

    func visit(webRTC: Bool) async throws {
        try requireTool(Chromium.binary, "apt-get install chromium (Scripts/install-deps --test)")
        try requireTool("/usr/bin/python3", "apt-get install python3")
        let state = try RecordingTests.temporaryDirectory("web-page")
        defer { try? FileManager.default.removeItem(at: state) }
        var settings = try Self.settings(state: state)
        settings.webRTC.enabled = webRTC
        let fixture = try await VigilFixture(settings: settings)
        let port = try XCTUnwrap(fixture.httpPort)
        let recorded = await waitUntil(timeout: 30) { RecordingTests.recorded(fixture.vigil) >= 2_000_000_000 }
        XCTAssertTrue(recorded, "2 s recorded within 30 s")

        try FileManager.default.createDirectory(at: Self.artifacts, withIntermediateDirectories: true)
        let prefix = Self.artifacts.appendingPathComponent(webRTC ? "web-page" : "web-page-hls").path
        let run = try runProcess(
            "/usr/bin/python3",
            [Self.root.appendingPathComponent("Scripts/testkit/web_page.py").path, "http://127.0.0.1:\(port)", "viewer", "door-bell 42", prefix, "2"],
            timeout: 180)
        let report = (try? JSONSerialization.jsonObject(with: run.stdout) as? [String: Any]) ?? [:]
        print("web page: \(String(decoding: run.stdout, as: UTF8.self))")
        XCTAssertEqual(run.status, 0, "the visit went through: \(report["error"] ?? run.stderr) \(report["chromium_log"] ?? "")")
        XCTAssertEqual(report["redirected_to"] as? String, "/login", "GET / without a session: 303 to the login")
        XCTAssertEqual(report["user"] as? String, "viewer")
        XCTAssertEqual(report["cookie_visible_to_script"] as? Bool, false, "HttpOnly: document.cookie does not show it")
        XCTAssertEqual(report["streams"] as? [String], ["live"])
        if webRTC {
            XCTAssertEqual(report["transport"] as? String, "WebRTC", "the live view plays by WHEP: \(report["whep_error"] ?? "")")
            XCTAssertNil(report["whep_error"] as? String, "WHEP answered")
            // Audio present: getStats' inbound audio bytes grow while the page plays.
            XCTAssertGreaterThan(report["audio_bytes_after"] as? Int ?? 0, report["audio_bytes_before"] as? Int ?? Int.max, "audio arrives")
        } else {
            XCTAssertEqual(report["transport"] as? String, "HLS", "WHEP answered \(report["whep_error"] ?? "nothing"); HLS took over")
            XCTAssertNotNil(report["whep_error"] as? String, "the page tried WHEP first")
        }
        XCTAssertGreaterThanOrEqual(report["frames"] as? Int ?? 0, 25, "pictures painted in 2 s of a 30 fps stream")
        XCTAssertEqual(report["width"] as? Int, 320)
        XCTAssertGreaterThanOrEqual(report["spans_listed"] as? Int ?? 0, 1, "the recording on the timeline")
        XCTAssertGreaterThan(report["recorded_frames"] as? Int ?? 0, 10, "picking the span plays it: \(report["vod_error"] ?? "")")
        XCTAssertEqual(report["health_version"] as? String, VigilVersion.current)
        XCTAssertTrue((report["health_disk"] as? String ?? "").contains(" of "), "free disk shown")
        XCTAssertEqual(report["phone_overflow"] as? Bool, false, "nothing wider than a 390 px phone")
        XCTAssertGreaterThan(report["phone_frames_after"] as? Int ?? 0, report["phone_frames_before"] as? Int ?? 0, "still playing")
        for (name, size) in [("desktop", (1280, 0)), ("phone", (390, 0))] {
            let stats = try XCTUnwrap(report[name] as? [String: Any], name)
            XCTAssertEqual(stats["width"] as? Int, size.0, name)
            // A blank or one-colour page has a variance near 0 and a few colours; this one has
            // video, a timeline and text.
            XCTAssertGreaterThan(stats["variance"] as? Double ?? 0, 100, "\(name) screenshot shows a picture: \(stats)")
            XCTAssertGreaterThan(stats["colors"] as? Int ?? 0, 50, "\(name): \(stats)")
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(prefix)-\(name).png"), "kept as a test artifact")
        }
        try await fixture.stop()
    }

    // MARK: Login, cookie, CSRF

    func testLoginSetsAStrictHttpOnlyCookieAndTheCookieOpensWhatThePageNeeds() async throws {
        let state = try RecordingTests.temporaryDirectory("web-login")
        defer { try? FileManager.default.removeItem(at: state) }
        let fixture = try await VigilFixture(settings: try Self.settings(state: state))
        let web = WebClient(port: try XCTUnwrap(fixture.httpPort))
        let recorded = await waitUntil(timeout: 30) { RecordingTests.recorded(fixture.vigil) >= 3_000_000_000 }
        XCTAssertTrue(recorded)

        let page = try web.request("GET", "/")
        XCTAssertEqual(page.status, 303)
        XCTAssertEqual(page.header("location"), "/login")
        let form = try web.request("GET", "/login")
        XCTAssertEqual(form.status, 200)
        XCTAssertTrue(form.text.contains("<form id=\"login\" method=\"post\" action=\"/login\""), form.text)
        XCTAssertEqual(form.header("x-frame-options"), "DENY")
        XCTAssertTrue(form.header("content-security-policy")?.contains("frame-ancestors 'none'") == true)

        let login = try web.request("POST", "/login", form: [("username", "viewer"), ("password", "door-bell 42")])
        XCTAssertEqual(login.status, 303, "\(login)")
        XCTAssertEqual(login.header("location"), "/")
        let cookie = try XCTUnwrap(login.header("set-cookie"))
        let id = try XCTUnwrap(login.sessionCookie)
        XCTAssertEqual(cookie, "vigil_session=\(id); Path=/; Max-Age=43200; HttpOnly; SameSite=Strict", "no Secure over plain HTTP")
        XCTAssertEqual(Data(base64Encoded: id.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/") + "==")?.count, 16,
                       "128 random bits")
        let second = try web.request("POST", "/login", form: [("username", "viewer"), ("password", "door-bell 42")])
        XCTAssertNotEqual(second.sessionCookie, id, "every login a new id")

        XCTAssertEqual(try web.request("GET", "/", cookie: id).status, 200)
        let info = try web.request("GET", "/api/v1/session", cookie: id)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: info.body) as? [String: Any])
        XCTAssertEqual(json["user"] as? String, "viewer")
        XCTAssertEqual((json["csrf_token"] as? String)?.count, 22)
        XCTAssertEqual(json["login_required"] as? Bool, true)

        // The cookie authenticates as the user everywhere the page goes; without it, 401.
        let listing = "/api/v1/recordings/live"
        XCTAssertEqual(try web.request("GET", listing).status, 401)
        let spans = try web.request("GET", listing, cookie: id)
        XCTAssertEqual(spans.status, 200, "\(spans)")
        let spanStart = try XCTUnwrap(((JSONSerialization.jsonObject(with: spans.body) as? [String: Any])?["spans"] as? [[String: Any]])?.first?["start"] as? String)
        XCTAssertEqual(try web.request("GET", "/live/snapshot.jpg").status, 401)
        let snapshot = try web.request("GET", "/live/snapshot.jpg", cookie: id)
        XCTAssertEqual(snapshot.status, 200)
        XCTAssertEqual(snapshot.header("content-type"), "image/jpeg")
        XCTAssertEqual(try web.request("GET", "/live/index.m3u8").status, 401)
        let playlist = try web.request("GET", "/live/index.m3u8", cookie: id)
        XCTAssertEqual(playlist.status, 200)
        XCTAssertTrue(playlist.text.contains("#EXT-X-STREAM-INF:"))
        XCTAssertFalse(playlist.text.contains(id), "the session never appears in a URL")

        // A clip downloaded with the cookie is an MP4 that ffprobe reads: H.264 and Opus.
        let start = try XCTUnwrap(RecordingTests.parseISO(spanStart))
        let clipFile = state.appendingPathComponent("clip.mp4")
        let clip = try web.request(
            "GET", "/api/v1/recordings/live/clip.mp4?start=\(spanStart)&end=\(RecordingTests.iso(start.addingTimeInterval(2)))", cookie: id,
            output: clipFile)
        XCTAssertEqual(clip.status, 200)
        let probe = try FFprobe.streams(clipFile.path)
        let video = try XCTUnwrap(probe.first { $0.codec == "h264" }, "\(probe)")
        XCTAssertEqual(Double(video.frames), 60, accuracy: 1, "2 s at 30 fps")
        XCTAssertTrue(probe.contains { $0.codec == "opus" }, "\(probe)")

        // Logout needs the CSRF token and a same-origin request; then the session is gone.
        let csrf = try XCTUnwrap(json["csrf_token"] as? String)
        XCTAssertEqual(try web.request("POST", "/logout", cookie: id).status, 403, "no CSRF token")
        XCTAssertEqual(try web.request("POST", "/logout", cookie: id, headers: ["X-Vigil-CSRF: \(String(csrf.reversed()))"]).status, 403)
        XCTAssertEqual(try web.request("POST", "/logout", cookie: id, headers: ["X-Vigil-CSRF: \(csrf)", "Origin: http://evil.example"]).status, 403,
                       "cross-origin, even with the token")
        XCTAssertEqual(try web.request("POST", "/logout", cookie: id, headers: ["X-Vigil-CSRF: \(csrf)", "Sec-Fetch-Site: cross-site"]).status, 403)
        XCTAssertEqual(try web.request("POST", "/login", headers: ["Origin: http://evil.example"], form: [("username", "viewer"), ("password", "door-bell 42")]).status,
                       403, "login CSRF: a cross-origin login form is refused before the password is checked")
        XCTAssertEqual(try web.request("GET", listing, cookie: id).status, 200, "the refused logouts changed nothing")
        let logout = try web.request(
            "POST", "/logout", cookie: id, headers: ["X-Vigil-CSRF: \(csrf)", "Origin: \(web.base)", "Sec-Fetch-Site: same-origin"])
        XCTAssertEqual(logout.status, 303, "\(logout)")
        XCTAssertEqual(logout.header("set-cookie"), "vigil_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict")
        XCTAssertEqual(try web.request("GET", listing, cookie: id).status, 401, "the old cookie is dead server-side")
        XCTAssertEqual(try web.request("GET", "/", cookie: id).status, 303)
        // The form's own CSRF field works too (a page without script).
        let other = try web.logIn("viewer", "door-bell 42")
        let formLogout = try web.request("POST", "/logout", cookie: other.id, form: [("csrf", other.csrf)])
        XCTAssertEqual(formLogout.status, 303)
        XCTAssertEqual(try web.request("GET", listing, cookie: other.id).status, 401)

        // A right password without `read` anywhere: 403, no cookie.
        let scraper = try web.request("POST", "/login", form: [("username", "scraper"), ("password", "metrics pw")])
        XCTAssertEqual(scraper.status, 403)
        XCTAssertNil(scraper.header("set-cookie"))
        try await fixture.stop()
    }

    /// Wrong passwords: the form again with 401, and from the fifth failure on the address
    /// backs off — FailureLimiter's numbers (5 failures, then 1 s, 2 s …), shared with digest.
    func testWrongPasswordsGet401ThenTheSharedBackOffAnswers429() async throws {
        let state = try RecordingTests.temporaryDirectory("web-backoff")
        defer { try? FileManager.default.removeItem(at: state) }
        var settings = try Self.settings(state: state)
        settings.streams[0].record.enabled = false
        let fixture = try await VigilFixture(settings: settings)
        let web = WebClient(port: try XCTUnwrap(fixture.httpPort))
        for attempt in 1...5 {
            let wrong = try web.request("POST", "/login", form: [("username", attempt == 3 ? "nobody" : "viewer"), ("password", "guess \(attempt)")])
            XCTAssertEqual(wrong.status, 401, "attempt \(attempt)")
            XCTAssertTrue(wrong.text.contains("Wrong user name or password."), wrong.text)
            XCTAssertTrue(wrong.text.contains("<form id=\"login\""), "the form again")
            XCTAssertNil(wrong.header("www-authenticate"), "no browser password dialog")
            XCTAssertNil(wrong.header("set-cookie"))
        }
        let limited = try web.request("POST", "/login", form: [("username", "viewer"), ("password", "door-bell 42")])
        XCTAssertEqual(limited.status, 429, "backing off: even the right password is not checked")
        XCTAssertEqual(limited.header("retry-after"), "1")
        XCTAssertNil(limited.header("set-cookie"))
        // The same back-off answers the API's digest clients from this address.
        XCTAssertEqual(try web.request("GET", "/api/v1/recordings/live", headers: ["Authorization: Basic dmlld2VyOng="]).status, 429)
        try await Task.sleep(for: .milliseconds(1200))
        let after = try web.request("POST", "/login", form: [("username", "viewer"), ("password", "door-bell 42")])
        XCTAssertEqual(after.status, 303, "after the back-off the right password logs in")
        XCTAssertNotNil(after.sessionCookie)
        try await fixture.stop()
    }

    /// Sessions end when idle and at their absolute lifetime, however busy.
    func testSessionsExpireIdleAndAbsolutely() async throws {
        let state = try RecordingTests.temporaryDirectory("web-expiry")
        defer { try? FileManager.default.removeItem(at: state) }
        var settings = try Self.settings(state: state)
        settings.streams[0].record.enabled = false
        settings.http.sessionIdle = .seconds(1.5)
        settings.http.sessionLifetime = .seconds(4)
        let fixture = try await VigilFixture(settings: settings)
        let web = WebClient(port: try XCTUnwrap(fixture.httpPort))
        let idle = try web.logIn("viewer", "door-bell 42")
        XCTAssertEqual(try web.request("GET", "/", cookie: idle.id).status, 200)
        try await Task.sleep(for: .seconds(2))
        XCTAssertEqual(try web.request("GET", "/", cookie: idle.id).status, 303, "idle for 2 s > 1.5 s")

        let busy = try web.logIn("viewer", "door-bell 42")
        let started = Date()
        var lastAllowed = 0.0
        while Date().timeIntervalSince(started) < 6 {
            if try web.request("GET", "/live/snapshot.jpg", cookie: busy.id).status == 200 { lastAllowed = Date().timeIntervalSince(started) }
            try await Task.sleep(for: .milliseconds(500))
        }
        XCTAssertGreaterThan(lastAllowed, 3, "in use every 0.5 s it lives")
        XCTAssertLessThan(lastAllowed, 4.2, "but not past its 4 s lifetime")
        let count = await fixture.vigil.access.sessionCount
        XCTAssertEqual(count, 0, "both forgotten server-side")
        try await fixture.stop()
    }

    /// With no users (an open box on loopback) the page needs no login, like the rest of the API.
    func testOpenBoxShowsThePageWithoutLogin() async throws {
        var settings = VigilFixture.smallSettings()
        settings.http = .init(enabled: true, host: "127.0.0.1", port: 0)
        let fixture = try await VigilFixture(settings: settings)
        let web = WebClient(port: try XCTUnwrap(fixture.httpPort))
        let page = try web.request("GET", "/")
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.text.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"))
        XCTAssertTrue(page.text.contains("/assets/vigil.js"))
        for (asset, type) in [("/assets/vigil.js", "text/javascript; charset=utf-8"), ("/assets/vigil.css", "text/css; charset=utf-8")] {
            let reply = try web.request("GET", asset)
            XCTAssertEqual(reply.status, 200, asset)
            XCTAssertEqual(reply.header("content-type"), type)
        }
        let info = try JSONSerialization.jsonObject(with: try web.request("GET", "/api/v1/session").body) as? [String: Any]
        XCTAssertEqual(info?["login_required"] as? Bool, false)
        XCTAssertNil(info?["user"] as? String)
        let status = try JSONSerialization.jsonObject(with: try web.request("GET", "/api/v1/status").body) as? [String: Any]
        let health = try XCTUnwrap(status?["health"] as? [String: Any], "status has the box's health")
        XCTAssertGreaterThan(health["cpu_count"] as? Int ?? 0, 0)
        XCTAssertGreaterThan(health["disk_free_bytes"] as? Int ?? 0, 0)
        XCTAssertEqual((health["load_average"] as? [Double])?.count, 3)
        try await fixture.stop()
    }

    // MARK: HTTPS

    /// A self-signed certificate from `openssl req`: curl with `--cacert` gets the page, the
    /// login's cookie is Secure, the status JSON comes with it, and plain HTTP to the TLS port
    /// fails cleanly — the server goes on serving HTTPS.
    static func selfSignedPair(in directory: URL) throws -> (certificate: String, key: String) {
        try requireTool("/usr/bin/openssl", "apt-get install openssl")
        let certificate = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        let made = try runProcess("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key, "-out", certificate,
        ])
        XCTAssertEqual(made.status, 0, made.stderr)
        return (certificate, key)
    }

    func testHTTPSServesThePageStatusAndASecureCookie() async throws {
        let state = try RecordingTests.temporaryDirectory("web-tls")
        defer { try? FileManager.default.removeItem(at: state) }
        let pair = try Self.selfSignedPair(in: state)
        var settings = try Self.settings(state: state)
        settings.streams[0].record.enabled = false
        settings.http.tls = .init(certificatePath: pair.certificate, keyPath: pair.key)
        let fixture = try await VigilFixture(settings: settings)
        let port = try XCTUnwrap(fixture.httpPort)
        let web = WebClient(port: port, tls: pair.certificate)

        let page = try web.request("GET", "/")
        XCTAssertEqual(page.curlStatus, 0, page.curlError)
        XCTAssertEqual(page.status, 303)
        let form = try web.request("GET", "/login")
        XCTAssertEqual(form.status, 200)
        XCTAssertTrue(form.text.contains("<form id=\"login\""))
        let login = try web.request("POST", "/login", form: [("username", "viewer"), ("password", "door-bell 42")])
        let id = try XCTUnwrap(login.sessionCookie, "\(login)")
        XCTAssertEqual(login.header("set-cookie"), "vigil_session=\(id); Path=/; Max-Age=43200; HttpOnly; SameSite=Strict; Secure")
        XCTAssertEqual(try web.request("GET", "/", cookie: id).status, 200)
        let status = try web.request("GET", "/api/v1/status", cookie: id)
        XCTAssertEqual(status.status, 200)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: status.body) as? [String: Any])
        XCTAssertEqual((json["streams"] as? [[String: Any]])?.first?["path"] as? String, "live")

        // Without the CA, curl refuses the self-signed certificate: it is really TLS.
        let untrusted = try runProcess("/usr/bin/curl", ["-sS", "--max-time", "10", "https://127.0.0.1:\(port)/login"], timeout: 20)
        XCTAssertEqual(untrusted.status, 60, "curl: peer certificate cannot be authenticated: \(untrusted.stderr)")
        // Plain HTTP to the TLS port: no HTTP answer — BoringSSL refuses the record and the
        // connection closes (curl: an empty reply, a reset, or the TLS alert's bytes, which are
        // no HTTP) — promptly.
        let began = Date()
        let plain = try web.request("GET", "/login", scheme: "http")
        print("plain HTTP to the HTTPS port: curl exit \(plain.curlStatus): \(plain.curlError)")
        XCTAssertNotEqual(plain.curlStatus, 0, "curl exit \(plain.curlStatus): \(plain.curlError)")
        XCTAssertEqual(plain.status, 0)
        XCTAssertLessThan(Date().timeIntervalSince(began), 5, "closed, not left hanging")
        XCTAssertEqual(try web.request("GET", "/login").status, 200, "and HTTPS goes on")
        try await fixture.stop()
    }
}
