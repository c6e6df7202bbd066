import Foundation
import MediaCore
import TestSeeds
import XCTest

@testable import Encode

/// JPEGs of each raw format a source delivers, decoded by ffmpeg (not by libjpeg through
/// Vigil) back to 4:4:4: the left half of the picture is one colour and the right another,
/// and each half must come back as its colour, at the size asked.
final class JPEGEncoderTests: XCTestCase {
    static let width = 64
    static let height = 48
    /// (Y, U, V) of the left and right halves.
    static let left: (UInt8, UInt8, UInt8) = (200, 90, 160)
    static let right: (UInt8, UInt8, UInt8) = (50, 170, 100)

    static func colour(x: Int) -> (UInt8, UInt8, UInt8) { x < width / 2 ? left : right }

    static func frame(_ format: PixelFormat) -> RawFrame {
        let w = width, h = height, cw = w / 2, ch = h / 2
        var bytes: [UInt8] = []
        switch format {
        case .i420:
            bytes = (0..<h).flatMap { _ in (0..<w).map { colour(x: $0).0 } }
            bytes += (0..<ch).flatMap { _ in (0..<cw).map { colour(x: 2 * $0).1 } }
            bytes += (0..<ch).flatMap { _ in (0..<cw).map { colour(x: 2 * $0).2 } }
        case .nv12:
            bytes = (0..<h).flatMap { _ in (0..<w).map { colour(x: $0).0 } }
            bytes += (0..<ch).flatMap { _ in (0..<cw).flatMap { [colour(x: 2 * $0).1, colour(x: 2 * $0).2] } }
        case .yuyv:
            bytes = (0..<h).flatMap { _ in
                (0..<cw).flatMap { pair -> [UInt8] in
                    let c = colour(x: 2 * pair)
                    return [c.0, c.1, c.0, c.2]
                }
            }
        }
        return RawFrame(format: format, width: w, height: h, bytes: bytes, instant: MediaInstant(nanoseconds: 0), sequence: 1)
    }

    /// ffmpeg's planar 4:4:4 of `jpeg`.
    static func decode(_ jpeg: [UInt8], width: Int, height: Int) throws -> [UInt8] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-jpeg-\(UUID().uuidString).jpg")
        try Data(jpeg).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try Tool.run("ffmpeg", ["-v", "error", "-i", file.path, "-f", "rawvideo", "-pix_fmt", "yuvj444p", "-"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout.count, width * height * 3, "a \(width)x\(height) picture")
        return [UInt8](result.stdout)
    }

    func testEachRawFormatComesBackAsItsColours() throws {
        let encoder = try JPEGEncoder(quality: 95)
        for format in PixelFormat.allCases {
            let jpeg = try encoder.encode(Self.frame(format))
            XCTAssertEqual(Array(jpeg.prefix(2)), [0xFF, 0xD8], "\(format): a JPEG starts with SOI")
            let planes = try Self.decode(jpeg, width: Self.width, height: Self.height)
            let size = Self.width * Self.height
            // Away from the edge between the halves, where chroma blends.
            for (x, expected) in [(8, Self.left), (Self.width - 8, Self.right)] {
                let at = (Self.height / 2) * Self.width + x
                // JFIF is full-range: video-range Y maps to (Y − 16) × 255/219, and chroma as
                // 128 + (C − 128) × 255/224; ffmpeg's yuvj444p is that full range.
                let y = (Double(expected.0) - 16) * 255 / 219
                let u = 128 + (Double(expected.1) - 128) * 255 / 224
                let v = 128 + (Double(expected.2) - 128) * 255 / 224
                XCTAssertEqual(Double(planes[at]), y, accuracy: 6, "\(format) Y at x=\(x)")
                XCTAssertEqual(Double(planes[size + at]), u, accuracy: 6, "\(format) U at x=\(x)")
                XCTAssertEqual(Double(planes[2 * size + at]), v, accuracy: 6, "\(format) V at x=\(x)")
            }
        }
    }

    func testWidthScalesDownKeepingTheAspectAndNeverUp() throws {
        let encoder = try JPEGEncoder()
        let frame = Self.frame(.i420)
        XCTAssertEqual(JPEGEncoder.outputSize(of: frame, width: 32).width, 32)
        XCTAssertEqual(JPEGEncoder.outputSize(of: frame, width: 32).height, 24)
        XCTAssertEqual(JPEGEncoder.outputSize(of: frame, width: 31).width, 30, "even")
        XCTAssertEqual(JPEGEncoder.outputSize(of: frame, width: 1).width, JPEGEncoder.minimumWidth)
        XCTAssertEqual(JPEGEncoder.outputSize(of: frame, width: 640).width, 64, "never scaled up")
        let planes = try Self.decode(try encoder.encode(frame, width: 32), width: 32, height: 24)
        XCTAssertEqual(Double(planes[12 * 32 + 4]), (200 - 16) * 255 / 219, accuracy: 8, "the left half still the left colour")
    }
}
