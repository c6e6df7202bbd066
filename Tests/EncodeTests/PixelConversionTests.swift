import Foundation
import MediaCore
import XCTest

@testable import Encode

final class PixelConversionTests: XCTestCase {
    let instant = MediaInstant(nanoseconds: 42)

    /// 4x2 YUYV: Y0 U Y1 V per pixel pair; chroma of the two rows averaged (rounding up).
    func testYUYVTo420ByHand() throws {
        let yuyv: [UInt8] = [
            10, 100, 11, 200, 12, 50, 13, 60,  // row 0: Y 10 11 12 13, U 100 50, V 200 60
            20, 102, 21, 203, 22, 54, 23, 61,  // row 1: Y 20 21 22 23, U 102 54, V 203 61
        ]
        let frame = RawFrame(format: .yuyv, width: 4, height: 2, bytes: yuyv, instant: instant, sequence: 3)
        let out = try PixelConversion.toI420(frame)
        XCTAssertEqual(out.format, .i420)
        XCTAssertEqual(out.bytes, [10, 11, 12, 13, 20, 21, 22, 23, /* U */ 101, 52, /* V */ 202, 61])
        XCTAssertEqual(out.instant, instant)
        XCTAssertEqual(out.sequence, 3)
    }

    /// 4x2 NV12: Y plane, then U V interleaved at half height.
    func testNV12To420ByHand() throws {
        let nv12: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8, /* UV */ 100, 200, 110, 210]
        let out = try PixelConversion.toI420(RawFrame(format: .nv12, width: 4, height: 2, bytes: nv12, instant: instant, sequence: 0))
        XCTAssertEqual(out.bytes, [1, 2, 3, 4, 5, 6, 7, 8, 100, 110, 200, 210])
    }

    func testShortBufferIsRefused() {
        let frame = RawFrame(format: .yuyv, width: 4, height: 2, bytes: [1, 2, 3], instant: instant, sequence: 0)
        XCTAssertThrowsError(try PixelConversion.toI420(frame))
    }

    /// ffmpeg's swscale converts the same YUYV picture to yuv420p; ours matches within ±1 in
    /// luma (exact) and chroma (vertical averaging vs. swscale's filter).
    func testYUYVMatchesFFmpeg() throws {
        let width = 64
        let height = 48
        var yuyv = [UInt8](repeating: 0, count: width * height * 2)
        for y in 0..<height {
            for x in stride(from: 0, to: width, by: 2) {
                let i = (y * width + x) * 2
                yuyv[i] = UInt8((x * 3 + y) & 0xFF)
                yuyv[i + 1] = UInt8(64 + x)  // U constant down each column
                yuyv[i + 2] = UInt8((x * 3 + y + 1) & 0xFF)
                yuyv[i + 3] = UInt8(200 - x)  // V constant down each column
            }
        }
        let ours = try PixelConversion.toI420(RawFrame(format: .yuyv, width: width, height: height, bytes: yuyv, instant: instant, sequence: 0))
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("yuyv-\(UUID().uuidString)")
        try Data(yuyv).write(to: input)
        defer { try? FileManager.default.removeItem(at: input) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        process.arguments = [
            "-nostdin", "-v", "error", "-f", "rawvideo", "-pix_fmt", "yuyv422", "-s", "\(width)x\(height)", "-i", input.path,
            "-f", "rawvideo", "-pix_fmt", "yuv420p", "-",
        ]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let theirs = [UInt8](out.fileHandleForReading.readDataToEndOfFile())
        process.waitUntilExit()
        XCTAssertEqual(theirs.count, ours.bytes.count)
        XCTAssertEqual(Array(theirs[0..<(width * height)]), Array(ours.bytes[0..<(width * height)]), "luma is copied exactly")
        let worst = zip(theirs, ours.bytes).map { abs(Int($0) - Int($1)) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, 1)
    }
}
