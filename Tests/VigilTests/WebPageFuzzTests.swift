import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TestSeeds
import XCTest

@testable import VigilKit

/// Seeded fuzzers of what the login reads from a browser: form bodies (`WebForm`) and
/// `Cookie` headers (`SessionCookie`), alone and against the live server. The seed is printed;
/// `VIGIL_TEST_SEED` replays one.
final class WebPageFuzzTests: XCTestCase {
    static let caseCount = 5000

    /// Bytes that matter to the two grammars, so mutations hit delimiters and escapes often.
    static let fragments: [[UInt8]] = [
        "&", "=", "+", "%", "%2", "%20", "%zz", "%C3%A9", "%FF", "%00", ";", " ", "\t", "\"", ",", "vigil_session", "username",
        "password", "csrf", "\u{0}", "é", "😂", "\r\n", "AAAAAAAAAAAAAAAAAAAAAA",
    ].map { Array($0.utf8) }

    static func randomBytes(using generator: inout SeededRandom) -> [UInt8] {
        var bytes: [UInt8] = []
        for _ in 0..<Int.random(in: 0...24, using: &generator) {
            if Bool.random(using: &generator) {
                bytes += fragments[Int.random(in: 0..<fragments.count, using: &generator)]
            } else {
                bytes.append(UInt8.random(in: 0...255, using: &generator))
            }
        }
        return bytes
    }

    static func randomText(using generator: inout SeededRandom) -> String {
        let alphabet = Array("aZ09 -_.~*+&=%;é😂\"/\u{1}")
        return String((0..<Int.random(in: 0...12, using: &generator)).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }

    func testFormsRoundTripAndJunkNeverCrashes() {
        let seed = TestSeed.value(default: 0xF0_4215)
        print("WebPageFuzzTests forms: \(TestSeed.describe(seed))")
        var generator = SeededRandom(seed: seed)
        var decodedFields = 0
        for index in 0..<Self.caseCount {
            // Junk: reads without trapping, within the field cap, the same twice.
            let junk = Self.randomBytes(using: &generator)
            let form = WebForm(junk)
            XCTAssertLessThanOrEqual(form.fields.count, WebForm.maximumFields)
            XCTAssertEqual(form, WebForm(junk), "case \(index), \(TestSeed.describe(seed))")
            decodedFields += form.fields.count
            // Round trip: what a browser encodes decodes to the same fields.
            let fields = (0..<Int.random(in: 0...4, using: &generator)).map { _ in
                (Self.randomText(using: &generator), Self.randomText(using: &generator))
            }.filter { !$0.0.isEmpty || !$0.1.isEmpty }
            let decoded = WebForm(Array(WebForm.encode(fields).utf8))
            guard decoded.fields.map(\.name) == fields.map(\.0), decoded.fields.map(\.value) == fields.map(\.1) else {
                return XCTFail("round trip of \(fields) gave \(decoded.fields); case \(index), \(TestSeed.describe(seed))")
            }
        }
        // Most junk is not UTF-8 and yields nothing; enough must yield fields that the decoder's
        // paths past the split are reached too.
        XCTAssertGreaterThan(decodedFields, Self.caseCount / 10, "junk that still yields fields; \(TestSeed.describe(seed))")
        print("WebPageFuzzTests forms: \(Self.caseCount) junk bodies gave \(decodedFields) fields")
        // Named vectors.
        XCTAssertEqual(WebForm(Array("username=a+b&password=%C3%A9%25&x".utf8))["password"], "é%")
        XCTAssertEqual(WebForm(Array("username=a+b".utf8))["username"], "a b")
        XCTAssertEqual(WebForm(Array("a=%zz%2".utf8))["a"], "%zz%2", "a stray % stays")
        XCTAssertNil(WebForm(Array("a=%FF".utf8))["a"], "not UTF-8: dropped")
    }

    func testCookieHeadersFindOnlyWellFormedSessionIDs() {
        let seed = TestSeed.value(default: 0xC0_0C1E)
        print("WebPageFuzzTests cookies: \(TestSeed.describe(seed))")
        var generator = SeededRandom(seed: seed)
        let id = "Zm9vYmFyYmF6cXV4cXV1eA"
        for index in 0..<Self.caseCount {
            let junk = String(decoding: Self.randomBytes(using: &generator), as: UTF8.self)
            if let found = SessionCookie.sessionID(inCookieHeaders: [junk]) {
                XCTAssertTrue(SessionCookie.isSessionID(Substring(found)), "case \(index), \(TestSeed.describe(seed))")
                XCTAssertTrue(junk.contains(found))
            }
            // Ours among other cookies, in any order, with optional spaces and quotes, is found.
            var pairs = (0..<Int.random(in: 0...3, using: &generator)).map { n in "c\(n)=\(Self.randomText(using: &generator).filter { $0 != ";" })" }
            let ours = Bool.random(using: &generator) ? "vigil_session=\"\(id)\"" : "vigil_session=\(id)"
            pairs.insert(ours, at: Int.random(in: 0...pairs.count, using: &generator))
            let header = pairs.joined(separator: Bool.random(using: &generator) ? "; " : ";")
            XCTAssertEqual(SessionCookie.sessionID(inCookieHeaders: [junk, header]), SessionCookie.sessionID(inCookieHeaders: [junk]) ?? id,
                           "\(header.debugDescription), case \(index), \(TestSeed.describe(seed))")
        }
        XCTAssertNil(SessionCookie.sessionID(inCookieHeaders: ["vigil_session=short"]))
        XCTAssertNil(SessionCookie.sessionID(inCookieHeaders: ["xvigil_session=\(id)"]))
        XCTAssertNil(SessionCookie.sessionID(inCookieHeaders: ["vigil_session=\(id)x"]))
        XCTAssertEqual(SessionCookie.sessionID(inCookieHeaders: ["a=b; vigil_session=\(id); c=d"]), id)
    }

    /// The live login form under junk bodies and cookies: never a 5xx, never a cookie, and the
    /// server still serves afterwards.
    func testLiveLoginUnderJunk() async throws {
        let seed = TestSeed.value(default: 0x10_6141)
        print("WebPageFuzzTests live: \(TestSeed.describe(seed))")
        var generator = SeededRandom(seed: seed)
        var settings = VigilFixture.smallSettings()
        settings.http = .init(enabled: true, host: "127.0.0.1", port: 0)
        settings.access.users = [try WebPageTests.user("viewer", "door-bell 42", [(.read, "*")])]
        let fixture = try await VigilFixture(settings: settings)
        let port = try XCTUnwrap(fixture.httpPort)
        var statuses: [Int: Int] = [:]
        for index in 0..<60 {
            let body = Data(Self.randomBytes(using: &generator))
            let cookie = String(decoding: Self.randomBytes(using: &generator), as: UTF8.self).filter { $0 != "\r" && $0 != "\n" && $0 != "\0" }
            let status = try Self.post(port: port, body: body, cookie: cookie)
            statuses[status, default: 0] += 1
            XCTAssertTrue([400, 401, 429].contains(status), "status \(status) for case \(index), \(TestSeed.describe(seed))")
        }
        print("WebPageFuzzTests live statuses: \(statuses.sorted { $0.key < $1.key })")
        // Still serving (the junk's wrong logins may have this address backing off: 429 then).
        let form = try WebClient(port: port).request("GET", "/login")
        XCTAssertEqual(form.status, 200)
        try await fixture.stop()
    }

    /// POSTs a raw form body with URLSession (another real client than curl).
    static func post(port: Int, body: Data, cookie: String) throws -> Int {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/login")!)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        if !cookie.isEmpty { request.setValue(cookie, forHTTPHeaderField: "Cookie") }
        let done = DispatchSemaphore(value: 0)
        let status = LockedBox(0)
        let setCookie = LockedBox<String?>(nil)
        URLSession.shared.dataTask(with: request) { _, response, _ in
            let http = response as? HTTPURLResponse
            status.value = http?.statusCode ?? -1
            setCookie.value = http?.value(forHTTPHeaderField: "Set-Cookie")
            done.signal()
        }.resume()
        _ = done.wait(timeout: .now() + 20)
        XCTAssertNil(setCookie.value, "junk never gets a session")
        return status.value
    }
}
