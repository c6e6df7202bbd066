import Foundation
import MediaCore
import TestSeeds
import XCTest
@testable import Library

/// Elementary-stream files as ffmpeg (libx264, its own H.263) and GStreamer (OpenH264, which
/// writes no VUI timing) make them; what they hold — picture count, key frames, rate, decoded
/// pictures — comes from ffprobe and ffmpeg, not from the reader.
final class ElementaryStreamReaderTests: XCTestCase {
    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-library-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// ffprobe's key-frame flags of the file's pictures, in order.
    func keyFrames(_ path: String, format: String) throws -> [Bool] {
        let probe = try Tool.run("ffprobe", [
            "-v", "error", "-f", format, "-select_streams", "v:0", "-show_frames", "-show_entries", "frame=key_frame", "-of", "csv=p=0", path,
        ])
        XCTAssertEqual(probe.status, 0, probe.stderr)
        return probe.text.split(separator: "\n").map { $0.hasPrefix("1") }
    }

    /// The reader's pictures written back as one elementary stream, decoded by ffmpeg to one
    /// MD5 per picture; and the original file's.
    func decodedDigests(_ path: String, format: String) throws -> [String] {
        let result = try Tool.run("ffmpeg", ["-v", "error", "-f", format, "-i", path, "-f", "framemd5", "-"])
        XCTAssertEqual(result.status, 0, result.stderr)
        return result.text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { String($0.split(separator: ",").last ?? "") }
    }

    func write(_ reader: ElementaryStreamReader, to path: String) throws -> Int {
        var data = Data()
        var count = 0
        while let stored = try reader.next() {
            count += 1
            for part in stored.unit.parts {
                if reader.kind == .h264 { data.append(contentsOf: [0, 0, 0, 1]) }
                data.append(contentsOf: part)
            }
        }
        try data.write(to: URL(fileURLWithPath: path))
        return count
    }

    func testAnnexBFromX264TakesItsRateFromTheStreamAndEveryPictureDecodes() throws {
        let directory = try temporaryDirectory()
        let path = directory.appendingPathComponent("clip.264").path
        let made = try Tool.run("ffmpeg", [
            "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=15", "-t", "3", "-c:v", "libx264", "-g", "15",
            "-f", "h264", path,
        ])
        XCTAssertEqual(made.status, 0, made.stderr)
        let reader = try ElementaryStreamReader(path: path, kind: .h264, fallbackFrameRate: 10)
        XCTAssertEqual(reader.frameRate, 15, "VUI timing: 15 fps, not the fallback")
        XCTAssertTrue(reader.frameRateFromStream)
        let expectedKeys = try keyFrames(path, format: "h264")
        XCTAssertEqual(expectedKeys.count, 45, "ffprobe: 3 s at 15 fps")
        XCTAssertEqual(reader.pictures.map(\.isKeyFrame), expectedKeys, "key frames where ffprobe sees them")
        XCTAssertEqual(reader.end, 3_000_000_000)
        guard case .h264(let sps, _)? = reader.tracks.first?.parameters, let parsed = H264SequenceParameters(sps) else {
            return XCTFail("parameter sets")
        }
        XCTAssertEqual(parsed.width, 320)
        XCTAssertEqual(parsed.height, 240)

        // Seeks land on the key frame at or before: 1.5 s → picture 15 (1 s).
        XCTAssertEqual(try reader.seek(to: 1_500_000_000), 1_000_000_000)
        let landed = try XCTUnwrap(try reader.next())
        XCTAssertTrue(landed.unit.isKeyFrame)
        XCTAssertEqual(landed.unit.instant.nanoseconds, 1_000_000_000)
        XCTAssertEqual(landed.unit.parts.first.map { $0[0] & 0x1F }, 7, "a key frame starts with its SPS")
        XCTAssertNil(try reader.seek(to: 3_000_000_000), "nothing at or after the end")

        // Every picture the reader hands out, written back, decodes to the same pictures.
        _ = try reader.seek(to: 0)
        let copy = directory.appendingPathComponent("copy.264").path
        XCTAssertEqual(try write(reader, to: copy), 45)
        XCTAssertEqual(try decodedDigests(copy, format: "h264"), try decodedDigests(path, format: "h264"))
    }

    func testAnnexBWithoutTimingPlaysAtTheFallbackRate() throws {
        let directory = try temporaryDirectory()
        let path = directory.appendingPathComponent("openh264.264").path
        // OpenH264 writes no VUI timing (ffprobe then guesses its own 25).
        let made = try Tool.run("gst-launch-1.0", [
            "-q", "videotestsrc", "num-buffers=40", "!", "video/x-raw,width=320,height=240,framerate=15/1", "!",
            "openh264enc", "gop-size=10", "!", "h264parse", "!", "video/x-h264,stream-format=byte-stream", "!", "filesink", "location=\(path)",
        ])
        XCTAssertEqual(made.status, 0, made.stderr)
        let reader = try ElementaryStreamReader(path: path, kind: .h264, fallbackFrameRate: 10)
        XCTAssertEqual(reader.frameRate, 10, "no timing in the stream: the library's default")
        XCTAssertFalse(reader.frameRateFromStream)
        XCTAssertEqual(reader.pictures.map(\.isKeyFrame), try keyFrames(path, format: "h264"))
        XCTAssertEqual(reader.pictures.count, 40)
        XCTAssertEqual(reader.end, 4_000_000_000, "40 pictures at 10 fps")
        let forced = try ElementaryStreamReader(path: path, kind: .h264, fallbackFrameRate: 10, forcedFrameRate: 20)
        XCTAssertEqual(forced.frameRate, 20, "the file's own setting wins")
        let copy = directory.appendingPathComponent("copy.264").path
        XCTAssertEqual(try write(reader, to: copy), 40)
        XCTAssertEqual(try decodedDigests(copy, format: "h264"), try decodedDigests(path, format: "h264"))
    }

    func testH263FromFFmpegPlaysAtTheFallbackRate() throws {
        let directory = try temporaryDirectory()
        let path = directory.appendingPathComponent("clip.263").path
        let made = try Tool.run("ffmpeg", [
            "-v", "error", "-f", "lavfi", "-i", "testsrc=size=352x288:rate=25", "-t", "2", "-c:v", "h263", "-g", "10", "-f", "h263", path,
        ])
        XCTAssertEqual(made.status, 0, made.stderr)
        let reader = try ElementaryStreamReader(path: path, kind: .h263, fallbackFrameRate: 10)
        XCTAssertEqual(reader.frameRate, 10, "an .263 says no rate")
        let expected = try keyFrames(path, format: "h263")
        XCTAssertEqual(expected.count, 50)
        XCTAssertEqual(reader.pictures.map(\.isKeyFrame), expected)
        XCTAssertEqual(reader.end, 5_000_000_000, "50 pictures at 10 fps")
        XCTAssertEqual(reader.tracks.first?.parameters, .h263(width: 352, height: 288))
        let copy = directory.appendingPathComponent("copy.263").path
        XCTAssertEqual(try write(reader, to: copy), 50)
        XCTAssertEqual(try decodedDigests(copy, format: "h263"), try decodedDigests(path, format: "h263"))
    }

    /// Start codes that straddle the reads of the index scan are found once: the same stream
    /// scanned with reads of every small size gives the same pictures.
    func testStartCodesAcrossReadBoundaries() throws {
        let bytes: [UInt8] = [0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 0, 1, 0x65, 0x88, 9, 9, 0, 0, 1, 0x41, 0x9A, 7]
        var reference = StartCodeScan(kind: .h264)
        reference.feed(bytes[...], at: 0)
        reference.finish(fileSize: bytes.count)
        XCTAssertEqual(reference.units.map(\.offset), [4, 10, 16, 23])
        XCTAssertEqual(reference.units.map(\.size), [3, 2, 4, 3])
        for chunk in 1...bytes.count {
            var scan = StartCodeScan(kind: .h264)
            var offset = 0
            while offset < bytes.count {
                let end = min(bytes.count, offset + chunk)
                scan.feed(bytes[offset..<end], at: offset)
                offset = end
            }
            scan.finish(fileSize: bytes.count)
            XCTAssertEqual(scan.units.map(\.offset), [4, 10, 16, 23], "reads of \(chunk)")
            XCTAssertEqual(scan.units.map(\.size), [3, 2, 4, 3], "reads of \(chunk)")
        }
    }

    /// Random bytes, and real files cut and flipped, never trap the scan or the SPS reader.
    func testFuzzedStreamsNeverTrap() throws {
        let seed = TestSeed.value(default: 0x11B0_0001)
        var random = SeededRandom(seed: seed)
        let directory = try temporaryDirectory()
        for round in 0..<200 {
            var bytes = (0..<Int.random(in: 0..<4096, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            // Plenty of start codes, so the picture logic runs too.
            for _ in 0..<Int.random(in: 0..<40, using: &random) where !bytes.isEmpty {
                let at = Int.random(in: 0..<bytes.count, using: &random)
                let code: [UInt8] = [0, 0, 1, [0x67, 0x68, 0x65, 0x41, 0x09, 0x80][Int.random(in: 0..<6, using: &random)]]
                bytes.replaceSubrange(at..<min(bytes.count, at + 4), with: code)
            }
            let path = directory.appendingPathComponent("fuzz-\(round).bin").path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            for kind in [ElementaryStreamReader.Kind.h264, .h263] {
                if let reader = try? ElementaryStreamReader(path: path, kind: kind, fallbackFrameRate: 25) {
                    _ = try? reader.seek(to: Int64.random(in: 0...max(1, reader.end), using: &random))
                    while (try? reader.next()) != nil {}
                }
            }
            _ = H264SequenceParameters([0x67] + bytes.prefix(64))
        }
        _ = seed
    }
}
