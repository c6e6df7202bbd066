import TestSeeds
import XCTest
@testable import ServeWire

/// Range, Scale, Speed, Seek-Style and RTP-Info against the examples of RFC 2326 §3.6–3.7 and
/// §12.29–12.35, the values real clients send, and UTC instants computed by Python's
/// `calendar.timegm` (not by the code under test).
final class PlaybackHeadersTests: XCTestCase {
    static let second: Int64 = 1_000_000_000

    func testRangeVectors() throws {
        let vectors: [(String, RTSPRange)] = [
            // RFC 2326 §3.6 examples.
            ("npt=123.45-125", .npt(start: 123.45, end: 125)),
            ("npt=12:05:35.3-", .npt(start: 12 * 3600 + 5 * 60 + 35.3, end: nil)),
            ("npt=now-", .npt(start: nil, end: nil)),
            // RFC 2326 §12.29: a range up to a time, from the beginning.
            ("npt=-34.5", .npt(start: 0, end: 34.5)),
            // What ffmpeg (`-ss 5`) and GStreamer's rtspsrc send.
            ("npt=5.000-", .npt(start: 5, end: nil)),
            ("npt=0-", .npt(start: 0, end: nil)),
            ("npt=0.000-10.000", .npt(start: 0, end: 10)),
            // RFC 2326 §3.7 / §12.29 examples; instants from calendar.timegm.
            ("clock=19961108T142300Z-19961108T143520Z", .clock(start: 847_462_980 * Self.second, end: 847_463_720 * Self.second)),
            ("clock=20261201T030000Z-", .clock(start: 1_796_094_000 * Self.second, end: nil)),
            ("clock=20000229T235959.25Z-", .clock(start: 951_868_799 * Self.second + 250_000_000, end: nil)),
            // GStreamer's ONVIF mode: npt 0–18 s as clock time from NTP's epoch (1900).
            ("clock=19000101T000000Z-19000101T000018Z", .clock(start: RTSPRange.ntpEpoch, end: RTSPRange.ntpEpoch + 18 * Self.second)),
            // A time= parameter (RFC 2326 §12.29) is read past, and spaces around the dash.
            ("npt=10-;time=19970123T153600Z", .npt(start: 10, end: nil)),
            (" npt = 1.5 - 2 ", .npt(start: 1.5, end: 2)),
        ]
        for (text, expected) in vectors {
            XCTAssertEqual(try RTSPRange.parse(text), expected, text)
        }
    }

    func testRangeRefusals() {
        for text in [
            "", "npt", "npt=", "npt=-", "npt=abc-", "npt=5", "npt=10-5", "npt=1:2:3-", "npt=0:60:00-", "smpte=0:10:00-",
            "clock=20261301T000000Z-", "clock=20260230T000000Z-", "clock=2026120T000000Z-", "clock=20261201T000000-",
            "clock=20261201T250000Z-", "clock=20261201T000000Z-20261130T000000Z", "clock=20261201T000000.Z-",
            "npt=99999999999-", "clock=99991231T000000Z-", "clock=22620412T000000Z-", "npt=1e5-", "npt=-1-", String(repeating: "9", count: 300),
        ] {
            XCTAssertThrowsError(try RTSPRange.parse(text), "\(text) is refused")
        }
    }

    func testRangeAnswersReadBack() throws {
        XCTAssertEqual(RTSPRange.npt(start: 12.5, end: nil).headerValue, "npt=12.500-")
        XCTAssertEqual(RTSPRange.npt(start: nil, end: nil).headerValue, "npt=now-")
        XCTAssertEqual(RTSPRange.npt(start: 0, end: 61.0004).headerValue, "npt=0.000-61.000")
        XCTAssertEqual(
            RTSPRange.clock(start: 1_796_094_000 * Self.second + 250_000_000, end: nil).headerValue,
            "clock=20261201T030000.250Z-")
        XCTAssertEqual(RTSPRange.clock(start: 847_462_980 * Self.second, end: 847_463_720 * Self.second).headerValue,
            "clock=19961108T142300.000Z-19961108T143520.000Z")
        // Every instant a recording can name reads back to the millisecond.
        let seed = TestSeed.value(default: 0x5EEC_0001)
        var random = SeededRandom(seed: seed)
        for _ in 0..<2000 {
            let instant = Int64.random(in: 0...(9_000_000_000 * Self.second), using: &random) / 1_000_000 * 1_000_000
            let value = RTSPRange.clock(start: instant, end: nil).headerValue
            XCTAssertEqual(try RTSPRange.parse(value), .clock(start: instant, end: nil), "\(value), \(TestSeed.describe(seed))")
        }
    }

    func testScaleAndSpeed() throws {
        XCTAssertEqual(try PlaybackRate.parseScale("1"), 1)
        XCTAssertEqual(try PlaybackRate.parseScale("2.0"), 2)
        XCTAssertEqual(try PlaybackRate.parseScale("0.5"), 0.5)
        XCTAssertEqual(try PlaybackRate.parseScale("-1"), -1)
        XCTAssertEqual(try PlaybackRate.parseScale(" -8.000 "), -8)
        XCTAssertEqual(try PlaybackRate.parseSpeed("2.5"), 2.5)
        for bad in ["", "0", "-0", "x", "1e3", "--1", "2000", "1.2.3"] {
            XCTAssertThrowsError(try PlaybackRate.parseScale(bad), bad)
        }
        XCTAssertThrowsError(try PlaybackRate.parseSpeed("-1"))
        XCTAssertEqual(PlaybackRate.format(2), "2")
        XCTAssertEqual(PlaybackRate.format(0.5), "0.5")
        XCTAssertEqual(PlaybackRate.format(-1), "-1")
        XCTAssertEqual(PlaybackRate.format(-0.25), "-0.25")
    }

    func testSeekStyle() {
        XCTAssertEqual(SeekStyle(headerValue: "RAP"), .randomAccessPoint)
        XCTAssertEqual(SeekStyle(headerValue: "First-Prior"), .firstPrior)
        XCTAssertEqual(SeekStyle(headerValue: " corap"), .conditionalRandomAccessPoint)
        XCTAssertEqual(SeekStyle(headerValue: "Next"), .next)
        XCTAssertNil(SeekStyle(headerValue: "Nearest"))
    }

    func testRTPInfo() throws {
        // RFC 2326 §12.33's example.
        let example = "url=rtsp://foo.com/bar.avi/streamid=0;seq=45102,url=rtsp://foo.com/bar.avi/streamid=1;seq=30211"
        XCTAssertEqual(try RTPInfoEntry.parse(example), [
            RTPInfoEntry(url: "rtsp://foo.com/bar.avi/streamid=0", sequence: 45102, timestamp: nil),
            RTPInfoEntry(url: "rtsp://foo.com/bar.avi/streamid=1", sequence: 30211, timestamp: nil),
        ])
        let entries = [
            RTPInfoEntry(url: "rtsp://10.0.0.2:8554/cam/playback?start=20261201T030000Z,x/trackID=0", sequence: 65535, timestamp: 4_294_967_295),
            RTPInfoEntry(url: "rtsp://10.0.0.2:8554/cam/playback/trackID=1", sequence: 0, timestamp: 0),
        ]
        XCTAssertEqual(try RTPInfoEntry.parse(RTPInfoEntry.headerValue(entries)), entries, "a comma inside a URL stays in it")
        XCTAssertEqual(try RTPInfoEntry.parse("url=a;seq=1;ssrc=0A0B0C0D;rtptime=9"), [RTPInfoEntry(url: "a", sequence: 1, timestamp: 9)])
        for bad in ["", "seq=1", "url=a;seq=70000", "url=a;rtptime=-1", "url=a;seq"] {
            XCTAssertThrowsError(try RTPInfoEntry.parse(bad), bad)
        }
    }

    /// Mutated and random header values never trap a reader, and whatever Range reads back
    /// is a range its own answer reproduces.
    func testFuzzedValuesNeverTrap() {
        let seed = TestSeed.value(default: 0x5EEC_0002)
        var random = SeededRandom(seed: seed)
        let corpus = [
            "npt=123.45-125", "npt=12:05:35.3-", "clock=20261201T030000.250Z-20261201T040000Z", "npt=now-", "-1.5", "2",
            "url=rtsp://h/a/trackID=0;seq=1;rtptime=2,url=rtsp://h/a/trackID=1;seq=3", "First-Prior",
        ]
        let alphabet = Array("0123456789.-:;=,TZ nptclockurlseqrtime\u{0}\u{FF}é".unicodeScalars)
        for round in 0..<20_000 {
            var scalars = Array(corpus[Int.random(in: 0..<corpus.count, using: &random)].unicodeScalars)
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let position = Int.random(in: 0...scalars.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: scalars.insert(alphabet.randomElement(using: &random)!, at: position)
                case 1 where position < scalars.count: scalars.remove(at: position)
                default:
                    if position < scalars.count { scalars[position] = alphabet.randomElement(using: &random)! }
                }
            }
            let value = String(String.UnicodeScalarView(scalars))
            if let range = try? RTSPRange.parse(value) {
                switch range {
                case .npt: break  // milliseconds in the answer: not always the same Double
                case .clock(let start, let end):
                    let back = try? RTSPRange.parse(range.headerValue)
                    if case .clock(let s, let e)? = back {
                        XCTAssertEqual(s / 1_000_000, start / 1_000_000, "round \(round): \(value), \(TestSeed.describe(seed))")
                        XCTAssertEqual(e.map { $0 / 1_000_000 }, end.map { $0 / 1_000_000 })
                    } else {
                        XCTFail("round \(round): \(value) reads, its answer \(range.headerValue) does not; \(TestSeed.describe(seed))")
                    }
                }
            }
            _ = try? PlaybackRate.parseScale(value)
            _ = try? PlaybackRate.parseSpeed(value)
            _ = SeekStyle(headerValue: value)
            _ = try? RTPInfoEntry.parse(value)
        }
    }
}
