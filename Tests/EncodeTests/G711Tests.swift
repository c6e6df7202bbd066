import Foundation
import MediaCore
import XCTest

@testable import Encode

final class G711Tests: XCTestCase {
    /// Fixed points of G.711: silence, full scale, and the decoded extremes.
    func testKnownValues() {
        let muLaw: [(Int16, UInt8)] = [(0, 0xFF), (32767, 0x80), (-32768, 0x00), (-32767, 0x00)]
        for (sample, byte) in muLaw {
            XCTAssertEqual(G711.muLaw(sample), byte, "µ-law of \(sample)")
        }
        let aLaw: [(Int16, UInt8)] = [(0, 0xD5), (32767, 0xAA), (-32768, 0x2A)]
        for (sample, byte) in aLaw {
            XCTAssertEqual(G711.aLaw(sample), byte, "A-law of \(sample)")
        }
        XCTAssertEqual(G711.decodeMuLaw(0xFF), 0)
        XCTAssertEqual(G711.decodeMuLaw(0x80), 32124)
        XCTAssertEqual(G711.decodeMuLaw(0x00), -32124)
        XCTAssertEqual(G711.decodeALaw(0xD5), 8)
        XCTAssertEqual(G711.decodeALaw(0xAA), 32256)
        XCTAssertEqual(G711.decodeALaw(0x2A), -32256)
    }

    /// All 256 codes of each law decode exactly as ffmpeg's decoder decodes them.
    func testEveryCodeDecodesAsFFmpegDecodesIt() throws {
        let codes = (0...255).map { UInt8($0) }
        XCTAssertEqual(try ffmpegDecode(codes, format: "mulaw"), codes.map(G711.decodeMuLaw))
        XCTAssertEqual(try ffmpegDecode(codes, format: "alaw"), codes.map(G711.decodeALaw))
    }

    /// Every 16-bit input comes back within one quantization step of its segment, or at full
    /// scale when it lies beyond the largest code.
    func testRoundTripOfEverySampleStaysWithinTheStep() {
        for value in Int32(Int16.min)...Int32(Int16.max) {
            let sample = Int16(value)
            let muCode = G711.muLaw(sample)
            let mu = Int32(G711.decodeMuLaw(muCode))
            let muStep: Int32 = 1 << ((Int32(~muCode & 0xFF) >> 4 & 7) + 3)
            let muLimit = max(muStep, abs(value) - 32124)
            XCTAssertLessThanOrEqual(abs(mu - value), muLimit, "µ-law \(value) → \(mu)")
            let aCode = G711.aLaw(sample)
            let a = Int32(G711.decodeALaw(aCode))
            let segment = (Int32(aCode ^ 0x55) & 0x70) >> 4
            let aStep: Int32 = segment < 2 ? 16 : 1 << (segment + 3)
            let aLimit = max(aStep, abs(value) - 32256)
            XCTAssertLessThanOrEqual(abs(a - value), aLimit, "A-law \(value) → \(a)")
        }
    }

    /// A real decoder (ffmpeg's pcm_mulaw / pcm_alaw) turns our bytes back into the sine.
    func testFFmpegDecodesWhatWeEncode() throws {
        let rate = 8000
        let samples = (0..<rate).map { Int16(12_000 * sin(2 * Double.pi * 440 * Double($0) / Double(rate))) }
        let chunk = PCMChunk(samples: samples, sampleRate: rate, channels: 1, instant: MediaInstant(nanoseconds: 5))
        for (law, format) in [(G711Encoder.Law.muLaw, "mulaw"), (.aLaw, "alaw")] {
            let unit = G711Encoder(law: law).encode(chunk)
            XCTAssertEqual(unit.sampleCount, rate)
            XCTAssertEqual(unit.instant, chunk.instant)
            let decoded = try ffmpegDecode(unit.parts[0], format: format)
            XCTAssertEqual(decoded.count, samples.count, format)
            var signal = 0.0
            var noise = 0.0
            for (a, b) in zip(samples, decoded) {
                signal += Double(a) * Double(a)
                noise += (Double(a) - Double(b)) * (Double(a) - Double(b))
            }
            let snr = 10 * log10(signal / max(noise, 1))
            XCTAssertGreaterThan(snr, 30, "\(format) SNR \(snr) dB")
        }
    }

    func testStereoIsMixedDownToMono() {
        let chunk = PCMChunk(samples: [1000, 3000, -2000, -4000], sampleRate: 8000, channels: 2, instant: MediaInstant(nanoseconds: 0))
        let unit = G711Encoder(law: .muLaw).encode(chunk)
        XCTAssertEqual(unit.parts[0], [G711.muLaw(2000), G711.muLaw(-3000)])
    }

    private func ffmpegDecode(_ bytes: [UInt8], format: String) throws -> [Int16] {
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("g711-\(UUID().uuidString)")
        try Data(bytes).write(to: input)
        defer { try? FileManager.default.removeItem(at: input) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        process.arguments = ["-nostdin", "-v", "error", "-f", format, "-ar", "8000", "-ac", "1", "-i", input.path, "-f", "s16le", "-"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        return data.withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
    }
}
