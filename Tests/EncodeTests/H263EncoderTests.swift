import Capture
import Foundation
import MediaCore
import XCTest

@testable import Encode
import TestSeeds

/// Vigil's H.263 output decoded by a real decoder (ffmpeg's, from Debian): no decoder
/// message, every picture there, quality and rate as the issue asks.
final class H263EncoderTests: XCTestCase {
    let epoch = MediaInstant(nanoseconds: 10_000_000_000)

    func synthetic(width: Int, height: Int) -> SyntheticVideoSettings {
        SyntheticVideoSettings(width: width, height: height, frameRate: 30)
    }

    /// The issue's check: the synthetic picture at CIF, 30 fps, 384 kbit/s for 10 s (300
    /// pictures). ffmpeg decodes all 300 with no message; PSNR against the source ≥ 32 dB;
    /// the stream is within ±15 % of 384 kbit/s. The synthetic scene is too simple to use
    /// 384 kbit/s even at QP 1 (about 170), so this runs in constant-rate mode, which stuffs
    /// the shortfall; `testRateControlHoldsTheTargetOnABusyPicture` shows the rate control
    /// itself, without stuffing.
    func testCIFAt384kDecodesWithPSNRAndBitrate() throws {
        let picture = synthetic(width: 352, height: 288)
        let encoder = try H263Encoder(settings: H263Settings(width: 352, height: 288, frameRate: 30, bitrateKbps: 384, constantBitrate: true))
        XCTAssertEqual(encoder.format, .cif)
        var stream: [UInt8] = []
        var keyFrames: [Int] = []
        for n in 0..<300 {
            let units = try encoder.encode(SyntheticVideoSource.makeFrame(settings: picture, index: UInt64(n), epoch: epoch))
            XCTAssertEqual(units.count, 1)
            if units[0].isKeyFrame { keyFrames.append(n) }
            stream += units.flatMap { $0.parts.joined() }
        }
        XCTAssertEqual(keyFrames, [0, 60, 120, 180, 240], "an intra picture every 2 s")

        let decoded = try decode(stream)
        XCTAssertEqual(decoded.errors, "", "no decoder messages")
        let frameSize = PixelFormat.i420.frameSize(width: 352, height: 288)
        XCTAssertEqual(decoded.pictures.count, 300 * frameSize, "every picture decoded")

        var psnrs: [Double] = []
        for n in 0..<min(300, decoded.pictures.count / frameSize) {
            let source = SyntheticVideoSource.makeFrame(settings: picture, index: UInt64(n), epoch: epoch).bytes
            psnrs.append(Self.psnr(source, decoded.pictures, offset: n * frameSize, count: frameSize))
        }
        let meanPSNR = psnrs.reduce(0, +) / Double(max(1, psnrs.count))
        XCTAssertGreaterThanOrEqual(meanPSNR, 32, "mean PSNR (Y, U, V together)")
        // The encoder's reconstruction and ffmpeg's decode of the last picture agree closely:
        // the two IDCTs do not drift apart between intra pictures.
        let drift = Self.psnr(encoder.lastReconstruction, decoded.pictures, offset: 299 * frameSize, count: frameSize)
        XCTAssertGreaterThanOrEqual(drift, 50, "encoder and decoder reconstructions of picture 299")
        let kbps = Double(stream.count * 8) / 10 / 1000
        XCTAssertEqual(kbps, 384, accuracy: 384 * 0.15, "bitrate over 10 s")
        print("H.263 CIF 384k synthetic: PSNR \(String(format: "%.2f", meanPSNR)) dB (worst \(String(format: "%.2f", psnrs.min() ?? 0))), \(String(format: "%.1f", kbps)) kbit/s, encoder vs decoder \(String(format: "%.1f", drift)) dB")
    }

    /// Without stuffing (the default): on ffmpeg's busy `testsrc2` picture the rate control
    /// lands within ±15 % of 384 kbit/s over 10 s, and on the simple synthetic scene the
    /// bitrate is a ceiling — it spends less, never more.
    func testRateControlHoldsTheTargetOnABusyPicture() throws {
        let frameSize = PixelFormat.i420.frameSize(width: 352, height: 288)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-testsrc2-\(UUID().uuidString).yuv")
        defer { try? FileManager.default.removeItem(at: file) }
        let generated = try run("/usr/bin/ffmpeg", [
            "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=352x288:rate=30", "-frames:v", "300",
            "-f", "rawvideo", "-pix_fmt", "yuv420p", file.path,
        ])
        let source = try Data(contentsOf: file)
        XCTAssertEqual(source.count, 300 * frameSize, generated.err)
        let encoder = try H263Encoder(settings: H263Settings(width: 352, height: 288, frameRate: 30, bitrateKbps: 384))
        var bytes = 0
        for n in 0..<300 {
            let picture = [UInt8](source[(n * frameSize)..<((n + 1) * frameSize)])
            let frame = RawFrame(
                format: .i420, width: 352, height: 288, bytes: picture,
                instant: epoch + MediaDuration(nanoseconds: Int64(n) * 1_000_000_000 / 30), sequence: UInt64(n))
            bytes += try encoder.encode(frame).reduce(0) { $0 + $1.parts.reduce(0) { $0 + $1.count } }
        }
        let kbps = Double(bytes * 8) / 10 / 1000
        XCTAssertEqual(kbps, 384, accuracy: 384 * 0.15, "testsrc2 at CIF over 10 s, no stuffing")

        let simple = try H263Encoder(settings: H263Settings(width: 352, height: 288, frameRate: 30, bitrateKbps: 384))
        var simpleBytes = 0
        for n in 0..<300 {
            let frame = SyntheticVideoSource.makeFrame(settings: synthetic(width: 352, height: 288), index: UInt64(n), epoch: epoch)
            simpleBytes += try simple.encode(frame).reduce(0) { $0 + $1.parts.reduce(0) { $0 + $1.count } }
        }
        let simpleKbps = Double(simpleBytes * 8) / 10 / 1000
        XCTAssertLessThan(simpleKbps, 384 * 1.15, "the bitrate is a ceiling")
        print("H.263 CIF 384k rate control: testsrc2 \(String(format: "%.1f", kbps)) kbit/s; synthetic without stuffing \(String(format: "%.1f", simpleKbps)) kbit/s")
    }

    /// Sub-QCIF, QCIF, 4CIF in the plain header, 640x480 in PLUSPTYPE, and 1280x720 scaled
    /// to the nearest standard format: ffmpeg decodes each at the coded size, no message.
    func testStandardFormatsCustomSizeAndScaling() throws {
        let cases: [(source: (Int, Int), format: H263PictureFormat, frames: Int)] = [
            ((128, 96), .subQCIF, 20),
            ((176, 144), .qcif, 20),
            ((704, 576), .cif4, 6),
            ((640, 480), .custom(width: 640, height: 480), 8),
            ((1280, 720), H263PictureFormat.nearestStandard(width: 1280, height: 720), 4),
        ]
        for (size, format, frames) in cases {
            let picture = synthetic(width: size.0, height: size.1)
            let encoder = try H263Encoder(settings: H263Settings(
                width: size.0, height: size.1, format: format, frameRate: 30, bitrateKbps: 1000, keyFrameInterval: 5))
            var stream: [UInt8] = []
            for n in 0..<frames {
                let units = try encoder.encode(SyntheticVideoSource.makeFrame(settings: picture, index: UInt64(n), epoch: epoch))
                let header = try XCTUnwrap(units.first?.parts.first)
                XCTAssertEqual(Array(header.prefix(2)), [0, 0], "picture start code")
                XCTAssertEqual(header[2] & 0xFC, 0x80, "picture start code")
                // PTYPE bits 6–8 start at bit 35 of the picture: 22 PSC + 8 TR + 5.
                let sourceFormat = Self.bits(header, from: 35, count: 3)
                XCTAssertEqual(sourceFormat, Int(format.sourceFormatCode ?? 0b111), "\(format)")
                stream += units.flatMap { $0.parts.joined() }
            }
            let decoded = try decode(stream, probe: true)
            XCTAssertEqual(decoded.errors, "", "\(format)")
            XCTAssertEqual(decoded.pictures.count, frames * PixelFormat.i420.frameSize(width: format.width, height: format.height), "\(format)")
            XCTAssertEqual(decoded.size, "\(format.width)x\(format.height)")
        }
        XCTAssertEqual(H263PictureFormat.nearestStandard(width: 1280, height: 720), .cif4)
        XCTAssertEqual(H263PictureFormat.forSource(width: 1280, height: 720, allowCustom: true), .custom(width: 1280, height: 720))
        XCTAssertEqual(H263PictureFormat.forSource(width: 352, height: 288, allowCustom: true), .cif)
        XCTAssertEqual(H263PictureFormat.forSource(width: 642, height: 482, allowCustom: true), .custom(width: 640, height: 480))
        XCTAssertEqual(H263PictureFormat.forSource(width: 640, height: 480, allowCustom: false), .cif)
    }

    /// Key frames at the interval and on command; the bitrate follows `.setBitrate`.
    func testKeyFramesAndBitrateFollowCommands() throws {
        let picture = synthetic(width: 176, height: 144)
        let encoder = try H263Encoder(settings: H263Settings(width: 176, height: 144, frameRate: 30, bitrateKbps: 400, keyFrameInterval: 10))
        var keys: [Int] = []
        var bytes = [Int](repeating: 0, count: 120)
        for n in 0..<120 {
            if n == 17 { encoder.submit(.forceKeyFrame) }
            if n == 60 { encoder.submit(.setBitrate(kbps: 100)) }
            let unit = try XCTUnwrap(encoder.encode(SyntheticVideoSource.makeFrame(settings: picture, index: UInt64(n), epoch: epoch)).first)
            if unit.isKeyFrame { keys.append(n) }
            bytes[n] = unit.byteCount
            // PTYPE bit 9 (bit 38 of the picture): 0 intra, 1 inter.
            XCTAssertEqual(Self.bits(unit.parts[0], from: 38, count: 1), unit.isKeyFrame ? 0 : 1)
        }
        XCTAssertEqual(Array(keys.prefix(4)), [0, 10, 17, 27], "interval 10, forced at 17, interval counted from it")
        XCTAssertEqual(encoder.currentBitrateKbps, 100)
        let before = Double(bytes[30..<60].reduce(0, +)), after = Double(bytes[90..<120].reduce(0, +))
        XCTAssertLessThan(after, before * 0.6, "a quarter of the rate asked for: far fewer bytes")
        XCTAssertEqual(encoder.framesEncoded, 120)
    }

    /// The budget follows the capture instants, not the nominal rate: a source set for 30 fps
    /// that delivers 15 still gets its bitrate (±15 % over 4 s). Constant-rate mode, so the
    /// simple scene's shortfall does not hide the budget per picture.
    func testBitrateFollowsTheCaptureInstants() throws {
        let picture = synthetic(width: 176, height: 144)
        let encoder = try H263Encoder(settings: H263Settings(width: 176, height: 144, frameRate: 30, bitrateKbps: 200, constantBitrate: true))
        var bytes = 0
        for n in 0..<60 {
            var frame = SyntheticVideoSource.makeFrame(settings: picture, index: UInt64(n), epoch: epoch)
            frame.instant = epoch + MediaDuration(nanoseconds: Int64(n) * 1_000_000_000 / 15)
            bytes += try XCTUnwrap(encoder.encode(frame).first).byteCount
        }
        XCTAssertEqual(Double(bytes * 8) / 4 / 1000, 200, accuracy: 30, "kbit/s over 4 s at 15 pictures a second")
    }

    /// TR counts 1001/30000 s ticks from the first capture instant (§5.1.2), whatever the
    /// spacing of the pictures.
    func testTemporalReferenceComesFromCaptureInstants() throws {
        let encoder = try H263Encoder(settings: H263Settings(width: 128, height: 96, frameRate: 15, bitrateKbps: 64))
        let picture = synthetic(width: 128, height: 96)
        let offsets: [Int64] = [0, 66_733_333, 133_466_667, 400_400_000, 8_541_000_000]  // s: 0, 2/29.97, 4/29.97, 12/29.97, 256/29.97
        var references: [Int] = []
        for (n, offset) in offsets.enumerated() {
            var frame = SyntheticVideoSource.makeFrame(settings: picture, index: UInt64(n), epoch: epoch)
            frame.instant = epoch + MediaDuration(nanoseconds: offset)
            let header = try XCTUnwrap(encoder.encode(frame).first?.parts.first)
            references.append(Self.bits(header, from: 22, count: 8))
        }
        XCTAssertEqual(references, [0, 2, 4, 12, 0], "modulo 256")
    }

    /// The forward transform is 8 × the orthonormal DCT and the inverse undoes it, both
    /// within one unit of a double-precision reference on random blocks (seeded).
    func testTransformsMatchDoublePrecision() {
        let seed = TestSeed.value(default: 0x1234_5678)
        var state = seed
        func random(_ range: ClosedRange<Int32>) -> Int32 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return range.lowerBound + Int32(truncatingIfNeeded: (state >> 33) % UInt64(range.upperBound - range.lowerBound + 1))
        }
        let basis: [[Double]] = (0..<8).map { u in
            (0..<8).map { x -> Double in
                let scale: Double = u == 0 ? 0.5 / 2.0.squareRoot() : 0.5
                let angle = Double((2 * x + 1) * u) * Double.pi / 16
                return scale * cos(angle)
            }
        }
        let block = UnsafeMutablePointer<Int32>.allocate(capacity: 64)
        defer { block.deallocate() }
        var worstForward = 0.0, worstInverse = 0.0
        for _ in 0..<200 {
            let pixels = (0..<64).map { _ in random(-255...255) }
            block.update(from: pixels, count: 64)
            H263Transform.forward(block)
            for u in 0..<8 {
                for v in 0..<8 {
                    var sum = 0.0
                    for y in 0..<8 { for x in 0..<8 { sum += basis[v][y] * basis[u][x] * Double(pixels[y * 8 + x]) } }
                    worstForward = max(worstForward, abs(Double(block[v * 8 + u]) / 8 - sum))
                }
            }
            let coefficients = (0..<64).map { i in i == 0 ? random(-2048...2047) : (i < 20 ? random(-300...300) : random(-10...10)) }
            block.update(from: coefficients, count: 64)
            H263Transform.inverse(block)
            for y in 0..<8 {
                for x in 0..<8 {
                    var sum = 0.0
                    for v in 0..<8 { for u in 0..<8 { sum += basis[v][y] * basis[u][x] * Double(coefficients[v * 8 + u]) } }
                    worstInverse = max(worstInverse, abs(Double(block[y * 8 + x]) - sum))
                }
            }
        }
        XCTAssertLessThanOrEqual(worstForward, 1.0, TestSeed.describe(seed))
        XCTAssertLessThanOrEqual(worstInverse, 1.0, TestSeed.describe(seed))
    }

    /// Every code table is prefix-free (a decoder could not tell the codes apart otherwise),
    /// and TCOEF with ESCAPE is too.
    func testCodeTablesArePrefixFree() {
        func prefixFree(_ codes: [H263VLC.Code], _ name: String) {
            let strings = codes.map { code in
                String((0..<code.length).map { code.bits >> UInt32(code.length - 1 - $0) & 1 == 1 ? "1" : "0" })
            }
            for (i, a) in strings.enumerated() {
                for (j, b) in strings.enumerated() where i != j {
                    XCTAssertFalse(b.hasPrefix(a), "\(name): \(a) is a prefix of \(b)")
                }
            }
        }
        prefixFree(H263VLC.transformCoefficients.map(\.code) + [H263VLC.escape], "TCOEF")
        XCTAssertEqual(H263VLC.transformCoefficients.count, 102, "Table 16 has 102 events besides ESCAPE")
        prefixFree(H263VLC.cbpy, "CBPY")
        prefixFree(H263VLC.mcbpcIntraPicture, "MCBPC I")
        prefixFree(H263VLC.mcbpcInter + H263VLC.mcbpcIntraInPPicture, "MCBPC P")
        prefixFree(H263VLC.motionVectorMagnitude.map { $0.length == 1 ? $0 : H263VLC.Code($0.bits << 1, $0.length + 1) }
            + H263VLC.motionVectorMagnitude.dropFirst().map { H263VLC.Code($0.bits << 1 | 1, $0.length + 1) }, "MVD with signs")
    }

    // MARK: Helpers

    static func bits(_ bytes: [UInt8], from start: Int, count: Int) -> Int {
        (start..<(start + count)).reduce(0) { value, bit in (value << 1) | Int(bytes[bit / 8] >> UInt8(7 - bit % 8) & 1) }
    }

    static func psnr(_ source: [UInt8], _ decoded: Data, offset: Int, count: Int) -> Double {
        var squared = 0
        source.withUnsafeBufferPointer { a in
            decoded.withUnsafeBytes { raw in
                let b = raw.bindMemory(to: UInt8.self)
                for i in 0..<count {
                    let d = Int(a[i]) - Int(b[offset + i])
                    squared += d * d
                }
            }
        }
        let mse = Double(squared) / Double(count)
        return mse == 0 ? 99 : 10 * log10(255 * 255 / mse)
    }

    struct Decoded {
        var pictures: Data
        var errors: String
        var size: String
    }

    /// Decodes an H.263 elementary stream with ffmpeg to raw I420 (every picture, no rate
    /// conversion), and with `probe` asks ffprobe for the coded size.
    func decode(_ stream: [UInt8], probe: Bool = false) throws -> Decoded {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-h263-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("in.263")
        let output = directory.appendingPathComponent("out.yuv")
        try Data(stream).write(to: input)
        let decode = try run("/usr/bin/ffmpeg", [
            "-nostdin", "-v", "error", "-f", "h263", "-i", input.path,
            "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "yuv420p", output.path,
        ])
        var size = ""
        if probe {
            size = try run("/usr/bin/ffprobe", [
                "-v", "error", "-f", "h263", "-show_entries", "stream=width,height", "-of", "csv=p=0:s=x", input.path,
            ]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return Decoded(pictures: (try? Data(contentsOf: output)) ?? Data(), errors: decode.err, size: size)
    }

    private func run(_ path: String, _ arguments: [String]) throws -> (out: String, err: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }
}
