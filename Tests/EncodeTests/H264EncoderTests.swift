import Capture
import Foundation
import MediaCore
import XCTest

@testable import Encode

final class H264EncoderTests: XCTestCase {
    let epoch = MediaInstant(nanoseconds: 10_000_000_000)
    let picture = SyntheticVideoSettings(width: 320, height: 240, frameRate: 30)

    func makeEncoder(keyFrameInterval: Int? = nil, bitrate: Int = 400) throws -> H264Encoder {
        try H264Encoder(settings: H264Settings(width: 320, height: 240, frameRate: 30, bitrateKbps: bitrate, keyFrameInterval: keyFrameInterval, threads: 1))
    }

    func frame(_ n: Int) -> RawFrame {
        SyntheticVideoSource.makeFrame(settings: picture, index: UInt64(n), epoch: epoch)
    }

    /// 60 pictures through x264, written as Annex B and decoded by ffmpeg: 60 frames of
    /// 320x240, no decoder message.
    func testFFmpegDecodesEveryPicture() throws {
        let encoder = try makeEncoder()
        var units: [EncodedUnit] = []
        for n in 0..<60 {
            encoder.submit(n == 17 ? .forceKeyFrame : .setBitrate(kbps: 400))
            units += try encoder.encode(frame(n))
        }
        units += encoder.flush()
        XCTAssertEqual(units.count, 60, "zerolatency: one unit per picture")
        XCTAssertEqual(units.map(\.instant), (0..<60).map { frame($0).instant }, "instants carried through")

        let first = try XCTUnwrap(units.first)
        XCTAssertTrue(first.isKeyFrame)
        XCTAssertEqual(first.parts.map { $0[0] & 0x1F }.filter { [7, 8, 5].contains($0) }, [7, 8, 5], "SPS, PPS, IDR")
        XCTAssertEqual(first.parts.first { $0[0] & 0x1F == 7 }, encoder.sps, "SPS in the IDR is the one in SDP")
        XCTAssertEqual(first.parts.first { $0[0] & 0x1F == 8 }, encoder.pps)
        XCTAssertTrue(units[17].isKeyFrame, "forced IDR on picture 17")
        XCTAssertTrue(units[17].parts.contains { $0[0] & 0x1F == 5 })
        XCTAssertTrue(units[17].parts.contains { $0[0] & 0x1F == 7 }, "headers repeated before every IDR")
        XCTAssertEqual(units.filter(\.isKeyFrame).count, 2, "picture 0 and the forced one (interval is 60)")
        XCTAssertEqual(encoder.framesEncoded, 60)

        let annexB: [UInt8] = units.flatMap { unit in unit.parts.flatMap { nal -> [UInt8] in [0, 0, 0, 1] + nal } }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("x264-\(UUID().uuidString).h264")
        try Data(annexB).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let probe = try run("/usr/bin/ffprobe", [
            "-v", "error", "-count_frames", "-select_streams", "v:0",
            "-show_entries", "stream=width,height,nb_read_frames", "-of", "csv=p=0", file.path,
        ])
        XCTAssertEqual(probe.err, "")
        XCTAssertEqual(probe.out.trimmingCharacters(in: .whitespacesAndNewlines), "320,240,60")
        let decode = try run("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-i", file.path, "-f", "null", "-"])
        XCTAssertEqual(decode.err, "", "no decoder errors")
    }

    func testKeyFrameIntervalIsHonoured() throws {
        let encoder = try makeEncoder(keyFrameInterval: 10)
        var keys: [Int] = []
        for n in 0..<35 where try encoder.encode(frame(n)).first?.isKeyFrame == true {
            keys.append(n)
        }
        XCTAssertEqual(keys, [0, 10, 20, 30])
    }

    func testBitrateFollowsTheTargetAndCanBeChanged() throws {
        let encoder = try makeEncoder(bitrate: 300)
        var bytes = 0
        let noisy = SyntheticVideoSettings(width: 320, height: 240, frameRate: 30, pattern: .noise)
        for n in 0..<90 {
            bytes += try encoder.encode(SyntheticVideoSource.makeFrame(settings: noisy, index: UInt64(n), epoch: epoch)).reduce(0) { $0 + $1.byteCount }
        }
        let kbps = Double(bytes * 8) / 3 / 1000
        XCTAssertEqual(kbps, 300, accuracy: 90, "3 s of noise at 300 kbit/s")
        XCTAssertEqual(encoder.currentBitrateKbps, 300)
        encoder.submit(.setBitrate(kbps: 150))
        _ = try encoder.encode(frame(90))
        XCTAssertEqual(encoder.currentBitrateKbps, 150)
    }

    func testWrongSizesAndSettingsAreRefused() throws {
        let encoder = try makeEncoder()
        let small = SyntheticVideoSource.makeFrame(settings: SyntheticVideoSettings(width: 160, height: 120), index: 0, epoch: epoch)
        XCTAssertThrowsError(try encoder.encode(small))
        XCTAssertThrowsError(try H264Encoder(settings: H264Settings(width: 320, height: 240, frameRate: 30, preset: "warp-speed")))
        XCTAssertThrowsError(try H264Encoder(settings: H264Settings(width: 321, height: 240, frameRate: 30)))
        XCTAssertThrowsError(try H264Encoder(settings: H264Settings(width: 320, height: 240, frameRate: 30, profile: "ultra")))
    }

    func testYUYVInputIsConvertedOnTheWay() throws {
        let encoder = try makeEncoder()
        let yuyv = RawFrame(format: .yuyv, width: 320, height: 240, bytes: [UInt8](repeating: 90, count: 320 * 240 * 2), instant: epoch, sequence: 0)
        let units = try encoder.encode(yuyv)
        XCTAssertEqual(units.first?.isKeyFrame, true)
    }

    private func run(_ path: String, _ arguments: [String]) throws -> (out: String, err: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }
}
