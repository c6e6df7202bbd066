import Foundation
import TestSeeds
import XCTest

@testable import VigilKit

/// The request side of the recordings API: `Range` (RFC 9110 §14) and the span queries.
final class RecordingRequestTests: XCTestCase {
    func testByteRangeVectorsFromRFC9110() {
        // §14.1.2 examples, resolved against a 10 000-byte body.
        let length = 10_000
        let cases: [(String, Range<Int>?)] = [
            ("bytes=0-499", 0..<500), ("bytes=500-999", 500..<1000), ("bytes=-500", 9500..<10_000),
            ("bytes=9500-", 9500..<10_000), ("bytes=0-0", 0..<1), ("bytes=-1", 9999..<10_000),
            ("bytes=0-99999", 0..<10_000), ("bytes=-20000", 0..<10_000),
        ]
        for (header, expected) in cases {
            XCTAssertEqual(ByteRange.parse(header)?.resolve(length: length), expected, header)
        }
        // Unsatisfiable: 416.
        XCTAssertNotNil(ByteRange.parse("bytes=10000-"))
        XCTAssertNil(ByteRange.parse("bytes=10000-")?.resolve(length: length))
        XCTAssertNil(ByteRange.parse("bytes=-0")?.resolve(length: length))
        // Not one readable range: ignored, the whole body is sent.
        for header in ["bytes=0-1,5-6", "bytes=5-1", "items=0-1", "bytes=", "bytes=-", "bytes=a-b", "bytes=1-2-3", "bytes=0x1-", "bytes=99999999999999999999-"] {
            XCTAssertNil(ByteRange.parse(header), header)
        }
    }

    func testQueriesAcceptISO8601InBothFormsAndSayWhatIsWrong() throws {
        let now: Int64 = 1_764_644_400_000_000_000  // 2025-12-02T03:00:00Z
        func query(_ start: String?, _ end: String? = nil, duration: String? = nil, clip: Bool = true) -> Result<RecordingQuery, RecordingQuery.Problem> {
            RecordingQuery.parse(start: start, end: end, duration: duration, now: now, clip: clip)
        }
        XCTAssertEqual(try query("2025-12-02T02:00:00Z", "2025-12-02T02:10:00.5Z").get(), RecordingQuery(start: now - 3_600_000_000_000, end: now - 3_000_000_000_000 + 500_000_000))
        XCTAssertEqual(try query("20251202T020000Z", duration: "10m").get(), RecordingQuery(start: now - 3_600_000_000_000, end: now - 3_000_000_000_000))
        XCTAssertEqual(try query("2025-12-02T04:00:00+02:00", duration: "90").get().start, now - 3_600_000_000_000, "offsets count")
        XCTAssertEqual(try query("2025-12-02T02:00:00Z").get().end, now, "a clip without an end runs to now")
        XCTAssertEqual(try query(nil, clip: false).get(), RecordingQuery(start: 0, end: .max), "a listing defaults to everything")
        for (start, end, duration, message) in [
            (nil, nil, nil, "start is required for a clip (an ISO 8601 instant like 2026-12-02T03:00:00Z)"),
            ("yesterday", nil, nil, "start must be an ISO 8601 instant like 2026-12-02T03:00:00Z, got \"yesterday\""),
            ("2025-12-02T02:00:00", nil, nil, "start must be an ISO 8601 instant like 2026-12-02T03:00:00Z, got \"2025-12-02T02:00:00\""),
            ("2025-12-02T02:00:00Z", "2025-12-02T01:00:00Z", nil, "end must come after start"),
            ("2025-12-02T02:00:00Z", "2025-12-02T03:00:00Z", "10", "give end or duration, not both"),
            ("2025-12-02T02:00:00Z", nil, "-5", "duration must be seconds or a number with ms, s, m, h, got \"-5\""),
            ("2025-11-02T02:00:00Z", nil, nil, "a clip may last at most 24 hours"),
        ] as [(String?, String?, String?, String)] {
            guard case .failure(let problem) = query(start, end, duration: duration) else { XCTFail(message); continue }
            XCTAssertEqual(problem.description, message)
        }
    }

    /// Seeded fuzzing of both parsers: no crash, and what they accept is well formed.
    func testRangeAndInstantParsersSurviveFuzzing() {
        let seed = TestSeed.value(default: 0x2A_46E5)
        var random = SeededRandom(seed: seed)
        let pieces = ["bytes", "=", "-", ",", " ", "0", "1", "9", "99999999999999999999", "T", "Z", ":", "+", ".", "2025", "12", "x", "\u{0}", "é"]
        for index in 0..<20_000 {
            let text = (0..<Int.random(in: 0...10, using: &random)).map { _ in pieces[Int.random(in: 0..<pieces.count, using: &random)] }.joined()
            let place = "case \(index) \(text.debugDescription), \(TestSeed.describe(seed))"
            if let range = ByteRange.parse(text) {
                for length in [0, 1, 100, 1 << 40] {
                    if let resolved = range.resolve(length: length) {
                        XCTAssertTrue(resolved.lowerBound >= 0 && resolved.upperBound <= length && !resolved.isEmpty, place)
                    }
                }
            }
            if let instant = RecordingQuery.instant(text) { XCTAssertGreaterThan(instant, 0, place) }
        }
    }
}
