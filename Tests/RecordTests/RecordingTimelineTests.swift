import TestSeeds
import XCTest

@testable import Record

final class RecordingTimelineTests: XCTestCase {
    static let second: Int64 = 1_000_000_000

    func segment(_ id: Int64, start: Int64, duration: Int64, bytes: Int64 = 10) -> RecordedSegment {
        RecordedSegment(id: id, stream: "live", file: "f\(id)", start: start * Self.second, duration: duration * Self.second, bytes: bytes, complete: true)
    }

    func testAdjacentSegmentsJoinAndHolesAreGaps() {
        let timeline = RecordingTimeline(segments: [
            segment(1, start: 0, duration: 10), segment(2, start: 10, duration: 10),  // one span 0–20
            segment(3, start: 30, duration: 5),  // a gap 20–30
        ])
        XCTAssertEqual(timeline.spans.map { [$0.start / Self.second, $0.end / Self.second, Int64($0.segments)] }, [[0, 20, 2], [30, 35, 1]])
        XCTAssertEqual(timeline.gaps.map { [$0.start / Self.second, $0.end / Self.second] }, [[20, 30]])
        XCTAssertEqual(timeline.spans.map(\.bytes), [20, 10])
    }

    func testClippedToTheQuery() {
        let timeline = RecordingTimeline(segments: [segment(1, start: 0, duration: 100)], from: 10 * Self.second, to: 20 * Self.second)
        XCTAssertEqual(timeline.spans.map { [$0.start / Self.second, $0.end / Self.second] }, [[10, 20]])
    }

    func testEmptySegmentsShowNothing() {
        XCTAssertTrue(RecordingTimeline(segments: [segment(1, start: 0, duration: 0)]).spans.isEmpty)
    }

    func testSegmentNamesRoundTripAndSort() {
        let instants: [Int64] = [0, 1_764_650_000_123_000_000, 1_764_650_001_000_000_000, 4_102_444_799_999_000_000]
        let names = instants.map { SegmentName.name(wallClockNanoseconds: $0) }
        XCTAssertEqual(names[1], "20251202T043320.123Z.mp4", "ISO 8601 basic, UTC, milliseconds")
        XCTAssertEqual(names, names.sorted(), "names sort by time")
        for (instant, name) in zip(instants, names) { XCTAssertEqual(SegmentName.wallClockNanoseconds(of: name), instant, name) }
        XCTAssertNil(SegmentName.wallClockNanoseconds(of: "holiday.mp4"))
        XCTAssertNil(SegmentName.wallClockNanoseconds(of: "2025120XT043320.123Z.mp4"))
    }
}

/// Seeded fuzzing of the segment-name reader: names it accepts are ones it writes.
final class SegmentNameFuzzTests: XCTestCase {
    func testAcceptedNamesAreWrittenNames() {
        let seed = TestSeed.value(default: 0x5E_6A4E)
        var random = SeededRandom(seed: seed)
        let alphabet = Array("0123456789TZ.-mp4x")
        for index in 0..<50_000 {
            var name = Array(SegmentName.name(wallClockNanoseconds: Int64.random(in: 0...4_102_444_799_000_000_000, using: &random)))
            for _ in 0..<Int.random(in: 0...2, using: &random) {
                name[Int.random(in: 0..<name.count, using: &random)] = alphabet[Int.random(in: 0..<alphabet.count, using: &random)]
            }
            let text = String(name)
            guard let instant = SegmentName.wallClockNanoseconds(of: text) else { continue }
            let written = SegmentName.name(wallClockNanoseconds: instant)
            XCTAssertEqual(String(written.prefix(20)), String(text.prefix(20)), "case \(index) \(text), \(TestSeed.describe(seed))")
        }
    }
}
