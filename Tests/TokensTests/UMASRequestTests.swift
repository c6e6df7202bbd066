import TestSeeds
import XCTest
@testable import Tokens

final class UMASRequestTests: XCTestCase {
    let accepted: [(String, String, UMASRequest)] = [
        ("secret only: text, every stream, no bounds",
         "token=s3cret", UMASRequest(secret: "s3cret")),
        ("all five parameters",
         "token=s3cret&app=door&duration=3600&limit=2&format=json",
         UMASRequest(secret: "s3cret", app: "door", duration: 3600, limit: 2, format: .json)),
        ("any order, leading ?, format in capitals",
         "?format=XML&limit=1&token=s3cret", UMASRequest(secret: "s3cret", limit: 1, format: .xml)),
        ("format=text spelled out",
         "token=s3cret&format=text", UMASRequest(secret: "s3cret")),
        ("form decoding: %2B is +, + is a space, app slashes trimmed",
         "token=a%2Bb+c&app=%2Flive%2Fdoor%2F", UMASRequest(secret: "a+b c", app: "live/door")),
        ("UTF-8 escapes",
         "token=s&app=caf%C3%A9", UMASRequest(secret: "s", app: "café")),
        ("unknown parameters and empty segments ignored, even undecodable ones",
         "&token=s&_=1718000000&&%ZZ=1&Token=other&", UMASRequest(secret: "s")),
        ("leading zeros",
         "token=s&duration=007&limit=0001", UMASRequest(secret: "s", duration: 7, limit: 1)),
        ("largest number",
         "token=s&duration=999999999999", UMASRequest(secret: "s", duration: 999_999_999_999)),
    ]

    let refused: [(String, String, UMASRequestError)] = [
        ("empty query", "", .missingParameter("token")),
        ("no secret", "app=door&duration=60", .missingParameter("token")),
        ("empty secret", "token=&app=door", .emptyParameter("token")),
        ("secret without =", "token", .emptyParameter("token")),
        ("secret twice", "token=a&token=b", .duplicateParameter("token")),
        ("non-numeric duration", "token=s&duration=abc", .notANumber(parameter: "duration", value: "abc")),
        ("fractional duration", "token=s&duration=1.5", .notANumber(parameter: "duration", value: "1.5")),
        ("hex limit", "token=s&limit=0x10", .notANumber(parameter: "limit", value: "0x10")),
        ("+ is a space, not a sign", "token=s&duration=+5", .notANumber(parameter: "duration", value: " 5")),
        ("lone minus", "token=s&limit=-", .notANumber(parameter: "limit", value: "-")),
        ("negative duration", "token=s&duration=-5", .negative(parameter: "duration", value: "-5")),
        ("negative limit", "token=s&limit=-1", .negative(parameter: "limit", value: "-1")),
        ("zero duration", "token=s&duration=0", .zero(parameter: "duration")),
        ("zero limit", "token=s&limit=000", .zero(parameter: "limit")),
        ("huge duration", "token=s&duration=1000000000000", .tooLarge(parameter: "duration", value: "1000000000000")),
        ("beyond Int", "token=s&limit=99999999999999999999999", .tooLarge(parameter: "limit", value: "99999999999999999999999")),
        ("empty duration", "token=s&duration=", .emptyParameter("duration")),
        ("unknown format", "token=s&format=yaml", .unknownFormat("yaml")),
        ("empty format", "token=s&format=", .emptyParameter("format")),
        ("empty app", "token=s&app=", .emptyParameter("app")),
        ("app of slashes", "token=s&app=%2F%2F", .invalidApp("//")),
        ("app with a newline", "token=s&app=door%0Ayard", .invalidApp("door\nyard")),
        ("bad escape", "token=s&app=%ZZ", .malformedEncoding(parameter: "app")),
        ("truncated escape", "token=s&app=door%2", .malformedEncoding(parameter: "app")),
        ("not UTF-8", "token=%FF", .malformedEncoding(parameter: "token")),
        ("too long", "token=" + String(repeating: "x", count: 1025), .valueTooLong(parameter: "token")),
        ("too long before decoding", "token=" + String(repeating: "%41", count: 1025), .valueTooLong(parameter: "token")),
    ]

    func testAcceptedQueries() throws {
        for (name, query, expected) in accepted {
            XCTAssertEqual(try UMASRequest(query: query), expected, name)
        }
    }

    func testRefusedQueries() {
        for (name, query, expected) in refused {
            XCTAssertThrowsError(try UMASRequest(query: query), name) { error in
                XCTAssertEqual(error as? UMASRequestError, expected, name)
            }
        }
    }

    func testErrorMessagesNameTheParameterAndTheValue() {
        let vectors: [(UMASRequestError, String)] = [
            (.notANumber(parameter: "duration", value: "abc"), #"duration "abc" is not a whole number"#),
            (.negative(parameter: "limit", value: "-1"), #"limit "-1" is negative"#),
            (.zero(parameter: "duration"), "duration 0 is not allowed; omit duration for no bound"),
            (.unknownFormat("yaml"), #"format "yaml" is not one of text, json, xml"#),
            (.missingParameter("token"), "missing parameter token"),
            (.invalidApp("a\nb"), #"app "a\nb" is not a stream path"#),
            (.notANumber(parameter: "limit", value: String(repeating: "9", count: 50) + "x"),
             #"limit ""# + String(repeating: "9", count: 40) + #"…" is not a whole number"#),
        ]
        for (error, message) in vectors {
            XCTAssertEqual(error.description, message)
        }
    }

    /// What Hummingbird hands over: decoded pairs, duplicates kept.
    func testDecodedParameters() throws {
        let request = try UMASRequest(parameters: [("token", "a+b"), ("app", "/door"), ("limit", "2"), ("x", "y")])
        XCTAssertEqual(request, UMASRequest(secret: "a+b", app: "door", limit: 2))
        XCTAssertThrowsError(try UMASRequest(parameters: [("token", "a"), ("limit", "1"), ("limit", "2")])) {
            XCTAssertEqual($0 as? UMASRequestError, .duplicateParameter("limit"))
        }
    }

    func testEncodedRequestsParseBackSeeded() throws {
        let seed = TestSeed.value(default: 0x0BAD_CAFE)
        var random = SeededRandom(seed: seed)
        let characters = Array("aZ09-._~ /+%&=?#éü\u{1F3A5}")
        for _ in 0 ..< 2_000 {
            func text(_ range: ClosedRange<Int>) -> String {
                String((0 ..< Int.random(in: range, using: &random)).map { _ in characters.randomElement(using: &random)! })
            }
            var app: String? = Bool.random(using: &random) ? StreamPath.normalized(text(0 ... 12)) : nil
            if app == "" { app = nil }
            let request = UMASRequest(
                secret: text(1 ... 20), app: app,
                duration: Bool.random(using: &random) ? Int.random(in: 1 ... UMASRequest.largestNumber, using: &random) : nil,
                limit: Bool.random(using: &random) ? Int.random(in: 1 ... 1_000, using: &random) : nil,
                format: UMASFormat.allCases.randomElement(using: &random)!)
            XCTAssertEqual(try UMASRequest(query: request.query), request, "\(request.query) — \(TestSeed.describe(seed))")
        }
    }

    /// Thousands of queries stitched from the pieces that matter — mostly name=value
    /// segments, with stray separators, escapes and raw bytes mixed in; none may crash, and
    /// every one that parses must satisfy the invariants `mint` relies on and round-trip.
    func testFuzzedQueriesNeverCrashSeeded() {
        let seed = TestSeed.value(default: 0xF022_0001)
        var random = SeededRandom(seed: seed)
        let names = ["token", "token", "app", "duration", "limit", "format", "Token", "x", "", "%74oken", "tok%65n"]
        let values = [
            "s3cret", "a", "0", "1", "9", "60", "007", "-", "-5", "1.5", "999999999999", "99999999999999999999", "json",
            "XML", "text", "yaml", "/", "door", "/live/door/", "é", "\u{1F3A5}", " ", "+", "%", "%2", "%2F", "%FF",
            "%C3%A9", "%00", "%0A", "=", "?", "#", ";", "\u{0}", "\r\n",
        ]
        var parsed = 0
        for _ in 0 ..< 5_000 {
            var segments: [String] = []
            for _ in 0 ..< Int.random(in: 0 ... 6, using: &random) {
                var segment = names.randomElement(using: &random)!
                if Int.random(in: 0 ..< 8, using: &random) != 0 { segment += "=" }
                for _ in 0 ..< Int.random(in: 0 ... 2, using: &random) { segment += values.randomElement(using: &random)! }
                if Int.random(in: 0 ..< 10, using: &random) == 0 {
                    segment.unicodeScalars.append(Unicode.Scalar(UInt8.random(in: 0 ... 127, using: &random)))
                }
                segments.append(segment)
            }
            let separator = Int.random(in: 0 ..< 10, using: &random) == 0 ? "&&" : "&"
            let query = (Bool.random(using: &random) ? "" : "?") + segments.joined(separator: separator)
            guard let request = try? UMASRequest(query: query) else { continue }
            parsed += 1
            let context = "\(query.debugDescription) — \(TestSeed.describe(seed))"
            XCTAssertFalse(request.secret.isEmpty, context)
            XCTAssertLessThanOrEqual(request.secret.utf8.count, UMASRequest.maximumValueLength, context)
            if let app = request.app {
                XCTAssertEqual(StreamPath.normalized(app), app, context)
                XCTAssertFalse(app.isEmpty, context)
            }
            if let duration = request.duration { XCTAssertTrue((1 ... UMASRequest.largestNumber).contains(duration), context) }
            if let limit = request.limit { XCTAssertTrue((1 ... UMASRequest.largestNumber).contains(limit), context) }
            XCTAssertEqual(try UMASRequest(query: request.query), request, context)
        }
        XCTAssertGreaterThan(parsed, 250, "the fuzzer should reach the accepting paths too — \(TestSeed.describe(seed))")
    }
}
