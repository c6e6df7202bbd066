import Foundation
import MediaCore
import TestSeeds
import XCTest
@testable import Library

/// MP4 files as ffmpeg makes them (libx264 with B-frames and AAC, Opus, fragmented): the
/// reader's units against ffprobe's packets and ffmpeg's decode of the same file.
final class MP4FileReaderTests: XCTestCase {
    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-mp4-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func make(_ path: String, _ arguments: [String]) throws {
        let result = try Tool.run("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-f", "lavfi", "-i",
                                             "sine=frequency=1000:sample_rate=48000", "-t", "3"] + arguments + [path])
        XCTAssertEqual(result.status, 0, result.stderr)
    }

    /// ffprobe's packets of one stream: pts in seconds and whether ffmpeg would discard it.
    func packets(_ path: String, stream: String) throws -> [(pts: Double, key: Bool, discard: Bool)] {
        let probe = try Tool.run("ffprobe", ["-v", "error", "-select_streams", stream, "-show_entries", "packet=pts_time,flags", "-of", "csv=p=0", path])
        XCTAssertEqual(probe.status, 0, probe.stderr)
        return probe.text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: ",")
            guard fields.count >= 2, let pts = Double(fields[0]) else { return nil }
            return (pts, fields[1].contains("K"), fields[1].contains("D"))
        }
    }

    func check(_ path: String, audio: MediaCodec) throws {
        let reader = try MP4FileReader(path: path, name: "clip.mp4")
        XCTAssertEqual(reader.tracks.map(\.codec), [.h264, audio])
        var video: [StoredUnit] = []
        var sound: [StoredUnit] = []
        while let unit = try reader.next() {
            if unit.track == 0 { video.append(unit) } else { sound.append(unit) }
        }
        // Video: every packet, at ffprobe's times, key frames where it says.
        let expectedVideo = try packets(path, stream: "v:0")
        XCTAssertEqual(video.count, expectedVideo.count)
        XCTAssertEqual(video.map(\.unit.isKeyFrame), expectedVideo.map(\.key))
        for (unit, packet) in zip(video, expectedVideo) {
            XCTAssertEqual(Double(unit.unit.instant.nanoseconds) / 1e9, packet.pts, accuracy: 0.0005)
            XCTAssertLessThanOrEqual(unit.decodeInstant, unit.unit.instant.nanoseconds, "decoded no later than shown")
        }
        // Audio: every packet ffmpeg plays (not the encoder's priming, which it discards).
        let expectedAudio = try packets(path, stream: "a:0").filter { !$0.discard && $0.pts >= 0 }
        XCTAssertEqual(sound.count, expectedAudio.count)
        for (unit, packet) in zip(sound, expectedAudio) {
            XCTAssertEqual(Double(unit.unit.instant.nanoseconds) / 1e9, packet.pts, accuracy: 0.0005)
        }
        // Units come in decoding order across tracks.
        XCTAssertEqual(reader.samples.map(\.decodeInstant), reader.samples.map(\.decodeInstant).sorted())

        // The pictures, written back as Annex B, decode to what ffmpeg decodes from the file.
        let annexB = path + ".264"
        var data = Data()
        for unit in video {
            for part in unit.unit.parts { data.append(contentsOf: [0, 0, 0, 1] + part) }
        }
        try data.write(to: URL(fileURLWithPath: annexB))
        func digests(_ arguments: [String]) throws -> [String] {
            let result = try Tool.run("ffmpeg", ["-v", "error"] + arguments + ["-map", "0:v", "-fps_mode", "passthrough", "-f", "framemd5", "-"])
            XCTAssertEqual(result.status, 0, result.stderr)
            return result.text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { String($0.split(separator: ",").last ?? "") }
        }
        XCTAssertEqual(try digests(["-f", "h264", "-i", annexB]), try digests(["-i", path]))

        // A seek lands on the key frame at or before 1.5 s, by ffprobe's times.
        let keyBefore = try XCTUnwrap(expectedVideo.filter { $0.key && $0.pts <= 1.5 }.map(\.pts).max())
        XCTAssertEqual(Double(try XCTUnwrap(try reader.seek(to: 1_500_000_000))) / 1e9, keyBefore, accuracy: 0.0005)
        XCTAssertTrue(try XCTUnwrap(try reader.next()).unit.isKeyFrame)
    }

    func testFFmpegMP4WithBFramesAndAAC() throws {
        let path = try temporaryDirectory().appendingPathComponent("aac.mp4").path
        try make(path, ["-c:v", "libx264", "-g", "25", "-c:a", "aac"])
        try check(path, audio: .aac)
        let reader = try MP4FileReader(path: path, name: "aac.mp4")
        guard case .aac(let config, let rate, let channels)? = reader.tracks.last?.parameters else { return XCTFail("AAC parameters") }
        // ISO/IEC 14496-3: AAC LC (2), 48 kHz (index 3), mono: 00010 0011 0001 000 = 0x11 0x88.
        XCTAssertEqual(Array(config.prefix(2)), [0x11, 0x88])
        XCTAssertEqual(rate, 48_000)
        XCTAssertEqual(channels, 1)
    }

    func testFFmpegMP4WithOpus() throws {
        let path = try temporaryDirectory().appendingPathComponent("opus.mp4").path
        try make(path, ["-c:v", "libx264", "-g", "25", "-bf", "0", "-c:a", "libopus"])
        try check(path, audio: .opus)
    }

    func testFragmentedMP4() throws {
        let path = try temporaryDirectory().appendingPathComponent("frag.mp4").path
        try make(path, ["-c:v", "libx264", "-g", "25", "-c:a", "aac", "-movflags", "frag_keyframe+empty_moov"])
        try check(path, audio: .aac)
    }

    /// Cut and flipped files are refused or read, never trap.
    func testDamagedFilesNeverTrap() throws {
        let directory = try temporaryDirectory()
        let path = directory.appendingPathComponent("aac.mp4").path
        try make(path, ["-c:v", "libx264", "-g", "25", "-c:a", "aac"])
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        let seed = TestSeed.value(default: 0x11B0_0003)
        var random = SeededRandom(seed: seed)
        for round in 0..<150 {
            var bytes = [UInt8](original)
            if Bool.random(using: &random) { bytes.removeLast(Int.random(in: 0..<bytes.count, using: &random)) }
            for _ in 0..<Int.random(in: 1...20, using: &random) where !bytes.isEmpty {
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
            let damaged = directory.appendingPathComponent("damaged-\(round).mp4").path
            try Data(bytes).write(to: URL(fileURLWithPath: damaged))
            if let reader = try? MP4FileReader(path: damaged, name: "d.mp4") {
                _ = try? reader.seek(to: Int64.random(in: 0...3_000_000_000, using: &random))
                while (try? reader.next()) != nil {}
            }
            try? FileManager.default.removeItem(atPath: damaged)
        }
    }
}
