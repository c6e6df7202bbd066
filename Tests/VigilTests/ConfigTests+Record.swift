import Foundation
import MediaCore
import Record
import TestSeeds
import XCTest

@testable import VigilKit

/// `[stream.record]`: its keys, their quantities, and errors that name the key and the line.
final class ConfigRecordTests: XCTestCase {
    func testRecordKeysReadAsWritten() throws {
        let settings = try VigilConfigFile.parse("""
            [[stream]]
            path = "door"
            [stream.record]
            enabled = true
            path = "/srv/rec/door"
            segment = "15m"
            part = "500ms"
            keep = "14d"
            min_free = "10%"
            max_size = "20G"
            """)
        let record = settings.streams[0].record
        XCTAssertTrue(record.enabled)
        XCTAssertEqual(record.path, "/srv/rec/door")
        XCTAssertEqual(record.segmentDuration, .seconds(900))
        XCTAssertEqual(record.partDuration, .milliseconds(500))
        XCTAssertEqual(record.keep, .seconds(14 * 86_400))
        XCTAssertEqual(record.minFree, .fraction(0.1))
        XCTAssertEqual(record.maxSize, 20 << 30)
    }

    func testDefaultsAreOffTenMinuteSegmentsOneSecondPartsAndFivePercentFree() throws {
        let record = try VigilConfigFile.parse("").streams[0].record
        XCTAssertFalse(record.enabled)
        XCTAssertEqual(record.segmentDuration, .seconds(600))
        XCTAssertEqual(record.partDuration, .seconds(1))
        XCTAssertNil(record.keep)
        XCTAssertNil(record.maxSize)
        XCTAssertEqual(record.minFree, .fraction(0.05))
        let bytes = try VigilConfigFile.parse("[[stream]]\n[stream.record]\nmin_free = 1048576\nmax_size = \"500MB\"\nsegment = 90").streams[0].record
        XCTAssertEqual(bytes.minFree, .bytes(1 << 20))
        XCTAssertEqual(bytes.maxSize, 500_000_000)
        XCTAssertEqual(bytes.segmentDuration, .seconds(90))
    }

    func testMistakesNameTheKeyAndLine() {
        let cases: [(String, String, Int, String, String)] = [
            ("unit", "segment = \"10 minutes\"", 3, "stream.record.segment",
             "must be a duration like \"10m\" (a number and one of ms, s, m, h, d, w), got \"10 minutes\""),
            ("too short", "segment = \"1s\"", 3, "stream.record.segment", "must be 2s to 1d, got \"1s\""),
            ("part longer than segment", "segment = \"2s\"\npart = \"5s\"", 4, "stream.record.part", "must not be longer than segment (2s)"),
            ("percent", "min_free = \"120%\"", 3, "stream.record.min_free",
             "must be a size like \"2G\" or a percentage of the file system like \"5%\" (0 to 100), got \"120%\""),
            ("size", "max_size = \"lots\"", 3, "stream.record.max_size",
             "must be a size like \"20G\" (a number and one of B, K, M, G, T, KB, MB, GB, TB, KiB, MiB, GiB, TiB), got \"lots\""),
            ("type", "keep = true", 3, "stream.record.keep", "must be a duration like \"14d\" (ms, s, m, h, d, w), got a boolean"),
            ("unknown", "retain = \"1d\"", 3, "stream.record.retain",
             "unknown key; allowed in [stream.record]: enabled, path, segment, part, keep, min_free, max_size, audio"),
        ]
        for (name, body, line, key, message) in cases {
            XCTAssertThrowsError(try VigilConfigFile.parse("[[stream]]\n[stream.record]\n\(body)"), name) { error in
                guard let error = error as? ConfigError else { return XCTFail("\(name): \(error)") }
                XCTAssertEqual(error.problems, [ConfigProblem(line: line, key: key, message: message)], name)
            }
        }
    }

    func testTwoStreamsCannotRecordIntoOneDirectory() {
        let text = """
            [[stream]]
            path = "a"
            [stream.record]
            enabled = true
            path = "/srv/rec"
            [[stream]]
            path = "b"
            [stream.record]
            enabled = true
            path = "/srv/rec/"
            """
        XCTAssertThrowsError(try VigilConfigFile.parse(text)) { error in
            XCTAssertEqual((error as? ConfigError)?.problems, [ConfigProblem(line: 10, key: "stream.record.path", message: "\"/srv/rec/\" is already where stream \"a\" records")])
        }
    }

    func testRecordingAnH263StreamIsRefused() {
        XCTAssertThrowsError(try VigilConfigFile.parse("[[stream]]\n[stream.video]\ncodec = \"h263\"\n[stream.record]\nenabled = true")) { error in
            XCTAssertEqual((error as? ConfigError)?.problems.first?.key, "stream.record.enabled")
            XCTAssertEqual((error as? ConfigError)?.problems.first?.line, 5)
        }
    }

    /// The quantities against their own definition: a number, one unit, nothing else.
    func testQuantityVectors() {
        XCTAssertEqual(ConfigQuantity.duration("500ms"), .milliseconds(500))
        XCTAssertEqual(ConfigQuantity.duration("2w"), .seconds(14 * 86_400))
        XCTAssertEqual(ConfigQuantity.duration("45"), .seconds(45))
        for bad in ["", "m", "1.5h", "-1s", " 1s", "1s ", "1S", "1sec", "99999999999999999d", "1h30m"] {
            XCTAssertNil(ConfigQuantity.duration(bad), bad)
        }
        XCTAssertEqual(ConfigQuantity.size("1K"), 1024)
        XCTAssertEqual(ConfigQuantity.size("1KB"), 1000)
        XCTAssertEqual(ConfigQuantity.size("3GiB"), 3 << 30)
        XCTAssertEqual(ConfigQuantity.size("7"), 7)
        for bad in ["", "G", "1.5G", "1g", "1 G", "1PB", "999999999999999T"] { XCTAssertNil(ConfigQuantity.size(bad), bad) }
        XCTAssertEqual(ConfigQuantity.freeSpace("0%"), .fraction(0))
        XCTAssertEqual(ConfigQuantity.freeSpace("100%"), .fraction(1))
        XCTAssertNil(ConfigQuantity.freeSpace("101%"))
        XCTAssertNil(ConfigQuantity.freeSpace("%"))
        XCTAssertNil(ConfigQuantity.freeSpace("5%%"))
    }

    /// Seeded fuzzing of the three quantity readers: never a crash, and whatever they accept
    /// prints back (digits, then a known unit) to the same value.
    func testQuantityReadersSurviveFuzzing() {
        let seed = TestSeed.value(default: 0x0A_4A47)
        var random = SeededRandom(seed: seed)
        let alphabet = Array("0123456789msdhwKMGTBiB%. -+_\u{0}é9".unicodeScalars)
        for index in 0..<20_000 {
            let length = Int.random(in: 0...24, using: &random)
            let text = String(String.UnicodeScalarView((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &random)] }))
            let place = "case \(index) \(text.debugDescription), \(TestSeed.describe(seed))"
            if let duration = ConfigQuantity.duration(text) {
                XCTAssertGreaterThanOrEqual(duration.nanoseconds, 0, place)
                XCTAssertTrue(text.first?.isNumber ?? false, place)
            }
            if let size = ConfigQuantity.size(text) { XCTAssertGreaterThanOrEqual(size, 0, place) }
            if case .fraction(let fraction)? = ConfigQuantity.freeSpace(text) { XCTAssertTrue((0...1).contains(fraction), place) }
        }
    }
}
