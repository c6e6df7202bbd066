import Foundation
import MediaCore
import Record
import TestSeeds
import XCTest

@testable import HLS

/// The live window without a network: units at 30 fps with a key frame every 2 s go through
/// `LiveHLS` (the recorder's muxer, continuous timeline), and the window, the blocking-reload
/// predicate and the rendered playlist are what RFC 8216bis asks for.
final class HLSPlaylistTests: XCTestCase {
    static let sps: [UInt8] = [0x67, 0x42, 0xC0, 0x1E, 0xDA, 0x02, 0x80, 0xBF, 0xE5]
    static let pps: [UInt8] = [0x68, 0xCE, 0x3C, 0x80]
    static let origin = MediaInstant(nanoseconds: 1_000_000_000_000)
    static let anchor = WallClockAnchor(instant: origin, wallClockNanoseconds: 1_764_644_400_000_000_000)  // 2025-12-02T03:00:00Z

    static func muxer(window: Int = 6) -> LiveHLS {
        let writer = SegmentWriter.Configuration(
            segmentDuration: .seconds(1), partDuration: MediaDuration(nanoseconds: 183_333_333), width: 320, height: 240, audio: nil)
        return LiveHLS(
            configuration: .init(writer: writer, playlist: LivePlaylist(targetDuration: 2, partTarget: 0.2), window: window),
            anchor: anchor, firstSequence: 100)
    }

    /// Picture `n` of a 30 fps source whose key frames come every 60 pictures.
    static func picture(_ n: Int) -> EncodedUnit {
        let key = n % 60 == 0
        return EncodedUnit(
            codec: .h264, parts: [[key ? 0x65 : 0x41, UInt8(n & 0xFF), 0x80]],
            instant: origin + MediaDuration(nanoseconds: Int64(n) * 1_000_000_000 / 30), isKeyFrame: key,
            duration: MediaDuration(nanoseconds: 33_333_333), parameters: key ? .h264(sps: sps, pps: pps) : nil)
    }

    func testSegmentsOnKeyFramesPartsOfSixPicturesAndAWindowOfSix() {
        let muxer = Self.muxer()
        for n in 0..<(60 * 10 + 7) { muxer.offer(Self.picture(n), track: 0) }
        let window = muxer.window
        XCTAssertEqual(window.segments.count, 7, "six complete and the one being made")
        XCTAssertEqual(window.segments.first?.sequence, 100 + 4, "the oldest four went")
        XCTAssertEqual(window.lastCompleteSegment, 100 + 9)
        for segment in window.segments.dropLast() {
            XCTAssertEqual(segment.duration, .seconds(2), "key frame to key frame")
            XCTAssertEqual(segment.parts.count, 10)
            XCTAssertTrue(segment.parts[0].independent)
            XCTAssertFalse(segment.parts.dropFirst().contains(where: \.independent))
            for part in segment.parts { XCTAssertEqual(part.duration.nanoseconds, 200_000_000, accuracy: 1) }
            let wall = Self.anchor.wallClockNanoseconds(at: segment.start)
            XCTAssertEqual(segment.wallClockNanoseconds, wall)
        }
        // The segment being made has the parts of its first 7 pictures: one (six pictures,
        // cut when the seventh came).
        XCTAssertEqual(window.segments.last?.parts.count, 1)
        XCTAssertNil(window.segments.last?.duration)
        XCTAssertEqual(window.maps.count, 1, "one initialization segment for the whole window")

        // The blocking-reload predicate (§6.2.5.2): a part is reached when it or any later one exists.
        XCTAssertTrue(window.reaches(.part(110, 0)))
        XCTAssertFalse(window.reaches(.part(110, 1)))
        XCTAssertTrue(window.reaches(.part(109, 12)), "segment 109 ended with ten parts: 110.0 is later than 109.12")
        XCTAssertTrue(window.reaches(.segment(109)))
        XCTAssertFalse(window.reaches(.segment(110)))

        let text = muxer.configuration.playlist.render(window, query: "?s=x").render()
        XCTAssertTrue(text.hasPrefix("#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-TARGETDURATION:2\n"), text)
        XCTAssertTrue(text.contains("#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0.6\n"), text)
        XCTAssertTrue(text.contains("#EXT-X-PART-INF:PART-TARGET=0.2\n#EXT-X-MEDIA-SEQUENCE:104\n"), text)
        XCTAssertTrue(text.contains("#EXT-X-MAP:URI=\"init-0.mp4?s=x\"\n#EXT-X-PROGRAM-DATE-TIME:2025-12-02T03:00:08.000Z\n#EXTINF:2,\nseg-104.m4s?s=x\n"), text)
        XCTAssertTrue(text.contains("#EXT-X-PART:DURATION=0.2,URI=\"part-110.0.m4s?s=x\",INDEPENDENT=YES\n"), text)
        XCTAssertTrue(text.hasSuffix("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"part-110.1.m4s?s=x\"\n"), text)
        XCTAssertEqual(text.components(separatedBy: "#EXT-X-PART:").count - 1, 10 + 10 + 1, "parts of the last three segments only")
        XCTAssertFalse(text.contains("#EXT-X-ENDLIST"))
    }

    func testAWaitingRequestIsAnsweredWhenThePartIsMadeOrWhenItsTimeRunsOut() async {
        let muxer = Self.muxer()
        for n in 0..<61 { muxer.offer(Self.picture(n), track: 0) }
        let waiting = Task { await muxer.wait(for: .part(101, 0), timeout: .seconds(10)) }
        let timedOut = Task { await muxer.wait(for: .part(105, 0), timeout: .milliseconds(100)) }
        let timeoutAnswer = await timedOut.value
        XCTAssertFalse(timeoutAnswer, "not made within its time")
        let registered = await waitUntil(timeout: 5) { muxer.waiting == 1 }
        XCTAssertTrue(registered)
        for n in 61..<68 { muxer.offer(Self.picture(n), track: 0) }  // 101.0 is cut when picture 66 comes
        let answer = await waiting.value
        XCTAssertTrue(answer)
        XCTAssertEqual(muxer.waiting, 0)
        let closed = Task { await muxer.wait(for: .part(109, 0), timeout: .seconds(10)) }
        _ = await waitUntil(timeout: 5) { muxer.waiting == 1 }
        muxer.close()
        let closedAnswer = await closed.value
        XCTAssertFalse(closedAnswer, "closing answers every waiting request")
    }

    /// Resource names are the one thing of a part request a client makes up: seeded fuzzing
    /// of their parser (no crash; what it accepts renders back to the same name).
    func testResourceNamesSurviveFuzzingAndRoundTrip() {
        let seed = TestSeed.value(default: 0x4C_4853)
        var random = SeededRandom(seed: seed)
        let pieces = ["part-", "seg-", "init-", ".", "m4s", "mp4", "0", "1", "99999999999", "-", "x", "%2e", "\u{0}", "é", "123456789", ""]
        var accepted = 0
        for index in 0..<50_000 {
            var name: String
            if index % 2 == 0 {
                name = (0..<Int.random(in: 0...6, using: &random)).map { _ in pieces[Int.random(in: 0..<pieces.count, using: &random)] }.joined()
            } else {
                // A well-formed name, then perhaps one byte changed, dropped or added.
                let kind = ["part-", "seg-", "init-"][Int.random(in: 0..<3, using: &random)]
                name = kind + "\(Int.random(in: 0...10_000_000_000, using: &random))"
                if kind == "part-" { name += ".\(Int.random(in: 0...20, using: &random))" }
                name += kind == "init-" ? ".mp4" : ".m4s"
                var bytes = Array(name.utf8)
                switch Int.random(in: 0..<4, using: &random) {
                case 0: bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                case 1: bytes.remove(at: Int.random(in: 0..<bytes.count, using: &random))
                case 2: bytes.insert(UInt8.random(in: 0...255, using: &random), at: Int.random(in: 0...bytes.count, using: &random))
                default: break
                }
                name = String(decoding: bytes, as: UTF8.self)
            }
            guard let resource = LivePlaylist.resource(named: name) else { continue }
            accepted += 1
            let rendered: String
            switch resource {
            case .map(let n): rendered = LivePlaylist.mapName(n)
            case .segment(let n): rendered = LivePlaylist.segmentName(n)
            case .part(let s, let i): rendered = LivePlaylist.partName(s, i)
            }
            XCTAssertEqual(LivePlaylist.resource(named: rendered), resource, "case \(index) \(name.debugDescription), \(TestSeed.describe(seed))")
        }
        XCTAssertGreaterThan(accepted, 0)
        XCTAssertEqual(LivePlaylist.resource(named: "part-12.3.m4s"), .part(12, 3))
        XCTAssertNil(LivePlaylist.resource(named: "part-12.m4s"))
        XCTAssertNil(LivePlaylist.resource(named: "seg--1.m4s"))
        XCTAssertNil(LivePlaylist.resource(named: "seg-1234567890.m4s"), "ten digits: more than any live window reaches")
    }

    func testDecimalsAndDatesAsRFC8216Writes() {
        XCTAssertEqual(MediaPlaylist.decimal(2), "2")
        XCTAssertEqual(MediaPlaylist.decimal(0.2), "0.2")
        XCTAssertEqual(MediaPlaylist.decimal(0.33334), "0.33334")
        XCTAssertEqual(MediaPlaylist.decimal(4.000083), "4.00008")
        XCTAssertEqual(MediaPlaylist.dateTime(1_550_110_416_106_000_000), "2019-02-14T02:13:36.106Z", "RFC 8216bis's example date")
        var vod = MediaPlaylist(version: 7, targetDuration: 3)
        vod.playlistType = .vod
        vod.independentSegments = false
        vod.entries = [.map(uri: "a.mp4", range: .init(offset: 0, length: 720)), .segment(duration: 2.5, uri: "a.mp4", range: .init(offset: 720, length: 1000)), .discontinuity]
        vod.ended = true
        XCTAssertEqual(vod.render(), """
            #EXTM3U
            #EXT-X-VERSION:7
            #EXT-X-TARGETDURATION:3
            #EXT-X-PLAYLIST-TYPE:VOD
            #EXT-X-MEDIA-SEQUENCE:0
            #EXT-X-MAP:URI="a.mp4",BYTERANGE="720@0"
            #EXTINF:2.5,
            #EXT-X-BYTERANGE:1000@720
            a.mp4
            #EXT-X-DISCONTINUITY
            #EXT-X-ENDLIST

            """)
    }
}
