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

    /// A YUYV picture with structure goes through the encoder, and ffmpeg's H.264 decoder gives
    /// back the I420 picture the test builds from the same pattern: luma and both chroma planes
    /// at 35 dB PSNR or better, in every one of the 10 pictures.
    ///
    /// The pattern: a horizontal luma ramp with bands every 30 rows (a wrong stride or luma
    /// taken from a chroma byte tears it apart), and a 4 × 4 grid of blocks whose (U, V) differ
    /// from block to block and from each other (swapped or misplaced chroma lands in the wrong
    /// block). In each block the odd rows carry U 16 above and V 16 below the even rows, and a
    /// 4:2:0 sample is the mean of the two rows it covers (`PixelConversion`'s documented rule),
    /// so chroma taken from one row only is 8 off everywhere: 30.1 dB. At 2 Mbit/s for
    /// 320 × 240 the encoder's own loss stays far above the threshold.
    func testYUYVInputIsConvertedOnTheWay() throws {
        let (width, height) = (320, 240)
        func luma(_ x: Int, _ y: Int) -> UInt8 { UInt8(32 + x * 160 / width + (y / 30 % 2) * 40) }
        func block(_ cx: Int, _ cy: Int) -> (Int, Int) { (cx * 4 / (width / 2), cy * 4 / (height / 2)) }
        func cb(_ cx: Int, _ cy: Int) -> Int { let (bx, by) = block(cx, cy); return 48 + 40 * bx + 10 * by }
        func cr(_ cx: Int, _ cy: Int) -> Int { let (bx, by) = block(cx, cy); return 208 - 40 * by - 10 * bx }

        // V4L2_PIX_FMT_YUYV: per pair of pixels Y0 U Y1 V, the pair sharing one U and one V.
        var yuyv: [UInt8] = []
        for y in 0..<height {
            for pair in 0..<(width / 2) {
                let odd = y % 2 * 16
                yuyv += [luma(2 * pair, y), UInt8(cb(pair, y / 2) + odd), luma(2 * pair + 1, y), UInt8(cr(pair, y / 2) - odd)]
            }
        }
        // The I420 it must become: Y plane, then U and V at half width and height, each the mean
        // of its two rows.
        let expectedY = (0..<height).flatMap { y in (0..<width).map { x in luma(x, y) } }
        let expectedU = (0..<(height / 2)).flatMap { cy in (0..<(width / 2)).map { cx in UInt8(cb(cx, cy) + 8) } }
        let expectedV = (0..<(height / 2)).flatMap { cy in (0..<(width / 2)).map { cx in UInt8(cr(cx, cy) - 8) } }

        let encoder = try makeEncoder(bitrate: 2000)
        var units: [EncodedUnit] = []
        for n in 0..<10 {
            let frame = RawFrame(format: .yuyv, width: width, height: height, bytes: yuyv, instant: epoch + .milliseconds(Int64(n) * 33), sequence: UInt64(n))
            units += try encoder.encode(frame)
        }
        units += encoder.flush()
        XCTAssertEqual(units.first?.isKeyFrame, true)

        let annexB: [UInt8] = units.flatMap { unit in unit.parts.flatMap { nal -> [UInt8] in [0, 0, 0, 1] + nal } }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("x264-yuyv-\(UUID().uuidString).h264")
        try Data(annexB).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let decoded = try runForData("/usr/bin/ffmpeg", [
            "-nostdin", "-v", "error", "-f", "h264", "-i", file.path, "-f", "rawvideo", "-pix_fmt", "yuv420p", "-",
        ])
        XCTAssertEqual(decoded.err, "", "no decoder errors")
        let pictureSize = width * height * 3 / 2
        XCTAssertEqual(decoded.out.count, 10 * pictureSize, "10 pictures of 320x240 I420")

        let threshold = 35.0
        let pictures = [UInt8](decoded.out)
        for n in 0..<(pictures.count / pictureSize) {
            let picture = Array(pictures[(n * pictureSize)..<((n + 1) * pictureSize)])
            let lumaSize = width * height
            let chromaSize = lumaSize / 4
            let y = psnr(picture[0..<lumaSize], expectedY)
            let u = psnr(picture[lumaSize..<(lumaSize + chromaSize)], expectedU)
            let v = psnr(picture[(lumaSize + chromaSize)...], expectedV)
            print("YUYV picture \(n): PSNR Y \(String(format: "%.1f", y)) dB, U \(String(format: "%.1f", u)) dB, V \(String(format: "%.1f", v)) dB")
            XCTAssertGreaterThanOrEqual(y, threshold, "picture \(n): luma PSNR")
            XCTAssertGreaterThanOrEqual(u, threshold, "picture \(n): U (Cb) PSNR")
            XCTAssertGreaterThanOrEqual(v, threshold, "picture \(n): V (Cr) PSNR")
        }
    }

    /// Peak signal-to-noise ratio of 8-bit samples, in dB (infinite for identical planes).
    private func psnr(_ got: ArraySlice<UInt8>, _ expected: [UInt8]) -> Double {
        precondition(got.count == expected.count)
        let squared = zip(got, expected).reduce(0.0) { sum, pair in
            let d = Double(pair.0) - Double(pair.1)
            return sum + d * d
        }
        let mse = squared / Double(expected.count)
        return 10 * log10(255 * 255 / mse)
    }

    private func run(_ path: String, _ arguments: [String]) throws -> (out: String, err: String) {
        let result = try runForData(path, arguments)
        return (String(decoding: result.out, as: UTF8.self), result.err)
    }

    private func runForData(_ path: String, _ arguments: [String]) throws -> (out: Data, err: String) {
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
        return (outData, String(decoding: errData, as: UTF8.self))
    }
}
