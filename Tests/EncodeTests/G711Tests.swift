import Foundation
import MediaCore
import XCTest

@testable import Encode

final class G711Tests: XCTestCase {
    /// Entries read off ITU-T G.711 Table 1a (A-law, 13-bit scale, × 8 for 16 bits) and
    /// Table 2a (µ-law, 14-bit scale, × 4): decision interval → reconstructed value, and the
    /// octet on the line. Each is checked against Vigil and against the audioop vectors below,
    /// so that the vectors are themselves tied to the Recommendation.
    func testEntriesOfTheG711Tables() {
        // (16-bit sample, octet, decoded 16-bit value, table entry)
        let muLaw: [(Int16, UInt8, Int16, String)] = [
            (0, 0xFF, 0, "Table 2a: 0…1 → 0"),
            (4 * 33, 0xEF, 4 * 33, "Table 2a: 31…35 → 33, first step of the second segment"),
            (4 * 8031, 0x80, 4 * 8031, "Table 2a: 7903…8159 → 8031, positive full scale"),
            (-4 * 8031, 0x00, -4 * 8031, "Table 2a: negative full scale"),
        ]
        for (sample, octet, decoded, entry) in muLaw {
            XCTAssertEqual(G711.muLaw(sample), octet, "µ-law of \(sample): \(entry)")
            XCTAssertEqual(G711.decodeMuLaw(octet), decoded, "µ-law 0x\(String(octet, radix: 16)): \(entry)")
            XCTAssertEqual(Self.muLawVectors.first { $0.0 == sample }?.1, octet, "audioop agrees: \(entry)")
            XCTAssertEqual(Self.muLawDecoded[Int(octet)], decoded, "audioop agrees: \(entry)")
        }
        let aLaw: [(Int16, UInt8, Int16, String)] = [
            (0, 0xD5, 8 * 1, "Table 1a: 0…2 → 1"),
            (8 * 33, 0xC5, 8 * 33, "Table 1a: 32…34 → 33, first step of the second segment"),
            (8 * 4032, 0xAA, 8 * 4032, "Table 1a: 3968…4096 → 4032, positive full scale"),
            (-8 * 4032, 0x2A, -8 * 4032, "Table 1a: negative full scale"),
        ]
        for (sample, octet, decoded, entry) in aLaw {
            XCTAssertEqual(G711.aLaw(sample), octet, "A-law of \(sample): \(entry)")
            XCTAssertEqual(G711.decodeALaw(octet), decoded, "A-law 0x\(String(octet, radix: 16)): \(entry)")
            XCTAssertEqual(Self.aLawVectors.first { $0.0 == sample }?.1, octet, "audioop agrees: \(entry)")
            XCTAssertEqual(Self.aLawDecoded[Int(octet)], decoded, "audioop agrees: \(entry)")
        }
    }

    /// Encoding and decoding agree with an independent G.711, CPython's `audioop` (see the
    /// vectors for how they were made), directly and through `G711Encoder`.
    func testVectorsFromAudioop() {
        for (sample, octet) in Self.muLawVectors {
            XCTAssertEqual(G711.muLaw(sample), octet, "µ-law of \(sample): audioop gives 0x\(String(octet, radix: 16))")
        }
        for (sample, octet) in Self.aLawVectors {
            XCTAssertEqual(G711.aLaw(sample), octet, "A-law of \(sample): audioop gives 0x\(String(octet, radix: 16))")
        }
        for code in 0...255 {
            XCTAssertEqual(G711.decodeMuLaw(UInt8(code)), Self.muLawDecoded[code], "µ-law code \(code)")
            XCTAssertEqual(G711.decodeALaw(UInt8(code)), Self.aLawDecoded[code], "A-law code \(code)")
        }
        for (law, vectors) in [(G711Encoder.Law.muLaw, Self.muLawVectors), (.aLaw, Self.aLawVectors)] {
            let chunk = PCMChunk(samples: vectors.map(\.0), sampleRate: 8000, channels: 1, instant: MediaInstant(nanoseconds: 0))
            XCTAssertEqual(G711Encoder(law: law).encode(chunk).parts, [vectors.map(\.1)], "\(law) through the encoder")
        }
    }

    /// µ-law is sign and magnitude: a negative sample gets its magnitude's octet with the sign
    /// bit cleared. This pins the negative samples off the 14-bit grid, where the audioop
    /// vectors stop (see `muLawVectors`).
    func testMuLawNegativesMirrorTheirMagnitude() {
        let unlike = (Int16(1)...Int16.max).filter { G711.muLaw(-$0) != G711.muLaw($0) & 0x7F }
        XCTAssertEqual(unlike.prefix(5), [], "\(unlike.count) samples whose negative is not the mirror")
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

    /// (1000 + 3000) / 2 = 2000 and (−2000 − 4000) / 2 = −3000; their µ-law octets are
    /// audioop's: `audioop.lin2ulaw(struct.pack("<2h", 2000, -3000), 2).hex()` is "bf37".
    func testStereoIsMixedDownToMono() {
        let chunk = PCMChunk(samples: [1000, 3000, -2000, -4000], sampleRate: 8000, channels: 2, instant: MediaInstant(nanoseconds: 0))
        let unit = G711Encoder(law: .muLaw).encode(chunk)
        XCTAssertEqual(unit.parts[0], [0xBF, 0x37])
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

// MARK: - Vectors from CPython's audioop
//
// Made with Python 3.11.7's `audioop` (CPython's C port of Sun's public-domain g711.c; the
// module is deprecated in 3.11 and gone in 3.13), not with Vigil. For each table, with
// SAMPLES the first column:
//
//     python3 -W ignore -c 'import audioop, struct
//     print([hex(audioop.lin2ulaw(struct.pack("<h", s), 2)[0]) for s in SAMPLES])'
//
// (`lin2alaw` for the A-law table), and for the decoded codes:
//
//     python3 -W ignore -c 'import audioop, struct
//     print(struct.unpack("<256h", audioop.ulaw2lin(bytes(range(256)), 2)))'
//
// (`alaw2lin` for A-law). Samples: zero, each segment start (a decision value of Tables 1a
// and 2a, scaled to 16 bits) and its neighbours on both sides, the top decision value, full
// scale and the clip, both signs.
extension G711Tests {
    /// µ-law negatives are on the 14-bit grid (multiples of 4) but for the clip. G.711 µ-law
    /// works on 14-bit magnitudes and leaves open how the two bits below are dropped. For
    /// positive samples every way drops them alike; for negative ones audioop floors
    /// (−31611 → −7903: the top octet) where Vigil drops them from the magnitude (31611 → 7902:
    /// one below), so the two part on the 3 samples just past each of the 127 negative decision
    /// values — 381 samples, all within 3 of a decision value. Vigil's way puts the
    /// Recommendation's decision values × 4 on both signs; `testMuLawNegativesMirrorTheirMagnitude`
    /// pins it.
    static let muLawVectors: [(Int16, UInt8)] = [
        (0, 0xFF), (1, 0xFF), (2, 0xFF), (3, 0xFF), (4, 0xFE), (5, 0xFE), (8, 0xFE), (12, 0xFD),  // zero and the first steps: decision values 1, 3 × 4
        (120, 0xF0), (123, 0xF0), (124, 0xEF), (125, 0xEF), (128, 0xEF), (132, 0xEF),  // segment start, decision value 31 × 4, its first reconstruction value 33 × 4
        (376, 0xE0), (379, 0xE0), (380, 0xDF), (381, 0xDF), (384, 0xDF),  // segment start, decision value 95 × 4
        (888, 0xD0), (891, 0xD0), (892, 0xCF), (893, 0xCF), (896, 0xCF),  // segment start, decision value 223 × 4
        (1912, 0xC0), (1915, 0xC0), (1916, 0xBF), (1917, 0xBF), (1920, 0xBF),  // segment start, decision value 479 × 4
        (3960, 0xB0), (3963, 0xB0), (3964, 0xAF), (3965, 0xAF), (3968, 0xAF),  // segment start, decision value 991 × 4
        (8056, 0xA0), (8059, 0xA0), (8060, 0x9F), (8061, 0x9F), (8064, 0x9F),  // segment start, decision value 2015 × 4
        (16248, 0x90), (16251, 0x90), (16252, 0x8F), (16253, 0x8F), (16256, 0x8F),  // segment start, decision value 4063 × 4
        (31608, 0x81), (31611, 0x81), (31612, 0x80), (32124, 0x80), (32635, 0x80), (32636, 0x80), (32767, 0x80),  // last decision value 7903 × 4, top 8031 × 4, clip
        (-4, 0x7E), (-8, 0x7E), (-12, 0x7D),  // negatives, on the 14-bit grid
        (-120, 0x70), (-124, 0x6F), (-128, 0x6F),  // −31 × 4
        (-376, 0x60), (-380, 0x5F), (-384, 0x5F),  // −95 × 4
        (-888, 0x50), (-892, 0x4F), (-896, 0x4F),  // −223 × 4
        (-1912, 0x40), (-1916, 0x3F), (-1920, 0x3F),  // −479 × 4
        (-3960, 0x30), (-3964, 0x2F), (-3968, 0x2F),  // −991 × 4
        (-8056, 0x20), (-8060, 0x1F), (-8064, 0x1F),  // −2015 × 4
        (-16248, 0x10), (-16252, 0x0F), (-16256, 0x0F),  // −4063 × 4
        (-31608, 0x01), (-31612, 0x00), (-32124, 0x00), (-32636, 0x00), (-32767, 0x00), (-32768, 0x00),  // negative top and clip
    ]

    static let aLawVectors: [(Int16, UInt8)] = [
        (0, 0xD5), (1, 0xD5), (7, 0xD5), (8, 0xD5), (15, 0xD5), (16, 0xD4), (17, 0xD4),  // zero: 0…15 is the first step, decision value 2 × 8
        (248, 0xDA), (255, 0xDA), (256, 0xC5), (263, 0xC5), (264, 0xC5),  // segment start, decision value 32 × 8
        (504, 0xCA), (511, 0xCA), (512, 0xF5), (519, 0xF5), (520, 0xF5),  // segment start, decision value 64 × 8
        (1016, 0xFA), (1023, 0xFA), (1024, 0xE5), (1031, 0xE5), (1032, 0xE5),  // segment start, decision value 128 × 8
        (2040, 0xEA), (2047, 0xEA), (2048, 0x95), (2055, 0x95), (2056, 0x95),  // segment start, decision value 256 × 8
        (4088, 0x9A), (4095, 0x9A), (4096, 0x85), (4103, 0x85), (4104, 0x85),  // segment start, decision value 512 × 8
        (8184, 0x8A), (8191, 0x8A), (8192, 0xB5), (8199, 0xB5), (8200, 0xB5),  // segment start, decision value 1024 × 8
        (16376, 0xBA), (16383, 0xBA), (16384, 0xA5), (16391, 0xA5), (16392, 0xA5),  // segment start, decision value 2048 × 8
        (31743, 0xAB), (31744, 0xAA), (32255, 0xAA), (32256, 0xAA), (32767, 0xAA),  // last decision value 3968 × 8, top 4032 × 8, clip
        (-1, 0x55), (-8, 0x55), (-16, 0x55), (-17, 0x54),  // negatives in one's complement: −1…−16 is the first step, −(d × 8) − 1 starts a segment
        (-248, 0x5A), (-256, 0x5A), (-257, 0x45), (-264, 0x45), (-265, 0x45),  // −32 × 8
        (-504, 0x4A), (-512, 0x4A), (-513, 0x75), (-520, 0x75), (-521, 0x75),  // −64 × 8
        (-1016, 0x7A), (-1024, 0x7A), (-1025, 0x65), (-1032, 0x65), (-1033, 0x65),  // −128 × 8
        (-2040, 0x6A), (-2048, 0x6A), (-2049, 0x15), (-2056, 0x15), (-2057, 0x15),  // −256 × 8
        (-4088, 0x1A), (-4096, 0x1A), (-4097, 0x05), (-4104, 0x05), (-4105, 0x05),  // −512 × 8
        (-8184, 0x0A), (-8192, 0x0A), (-8193, 0x35), (-8200, 0x35), (-8201, 0x35),  // −1024 × 8
        (-16376, 0x3A), (-16384, 0x3A), (-16385, 0x25), (-16392, 0x25), (-16393, 0x25),  // −2048 × 8
        (-31744, 0x2B), (-31745, 0x2A), (-32256, 0x2A), (-32767, 0x2A), (-32768, 0x2A),  // negative top and clip
    ]

    /// `audioop.ulaw2lin` of codes 0…255.
    static let muLawDecoded: [Int16] = [
        -32124, -31100, -30076, -29052, -28028, -27004, -25980, -24956, -23932, -22908, -21884, -20860, -19836, -18812, -17788, -16764,  // 0x00–0x0F
        -15996, -15484, -14972, -14460, -13948, -13436, -12924, -12412, -11900, -11388, -10876, -10364, -9852, -9340, -8828, -8316,  // 0x10–0x1F
        -7932, -7676, -7420, -7164, -6908, -6652, -6396, -6140, -5884, -5628, -5372, -5116, -4860, -4604, -4348, -4092,  // 0x20–0x2F
        -3900, -3772, -3644, -3516, -3388, -3260, -3132, -3004, -2876, -2748, -2620, -2492, -2364, -2236, -2108, -1980,  // 0x30–0x3F
        -1884, -1820, -1756, -1692, -1628, -1564, -1500, -1436, -1372, -1308, -1244, -1180, -1116, -1052, -988, -924,  // 0x40–0x4F
        -876, -844, -812, -780, -748, -716, -684, -652, -620, -588, -556, -524, -492, -460, -428, -396,  // 0x50–0x5F
        -372, -356, -340, -324, -308, -292, -276, -260, -244, -228, -212, -196, -180, -164, -148, -132,  // 0x60–0x6F
        -120, -112, -104, -96, -88, -80, -72, -64, -56, -48, -40, -32, -24, -16, -8, 0,  // 0x70–0x7F
        32124, 31100, 30076, 29052, 28028, 27004, 25980, 24956, 23932, 22908, 21884, 20860, 19836, 18812, 17788, 16764,  // 0x80–0x8F
        15996, 15484, 14972, 14460, 13948, 13436, 12924, 12412, 11900, 11388, 10876, 10364, 9852, 9340, 8828, 8316,  // 0x90–0x9F
        7932, 7676, 7420, 7164, 6908, 6652, 6396, 6140, 5884, 5628, 5372, 5116, 4860, 4604, 4348, 4092,  // 0xA0–0xAF
        3900, 3772, 3644, 3516, 3388, 3260, 3132, 3004, 2876, 2748, 2620, 2492, 2364, 2236, 2108, 1980,  // 0xB0–0xBF
        1884, 1820, 1756, 1692, 1628, 1564, 1500, 1436, 1372, 1308, 1244, 1180, 1116, 1052, 988, 924,  // 0xC0–0xCF
        876, 844, 812, 780, 748, 716, 684, 652, 620, 588, 556, 524, 492, 460, 428, 396,  // 0xD0–0xDF
        372, 356, 340, 324, 308, 292, 276, 260, 244, 228, 212, 196, 180, 164, 148, 132,  // 0xE0–0xEF
        120, 112, 104, 96, 88, 80, 72, 64, 56, 48, 40, 32, 24, 16, 8, 0,  // 0xF0–0xFF
    ]

    /// `audioop.alaw2lin` of codes 0…255.
    static let aLawDecoded: [Int16] = [
        -5504, -5248, -6016, -5760, -4480, -4224, -4992, -4736, -7552, -7296, -8064, -7808, -6528, -6272, -7040, -6784,  // 0x00–0x0F
        -2752, -2624, -3008, -2880, -2240, -2112, -2496, -2368, -3776, -3648, -4032, -3904, -3264, -3136, -3520, -3392,  // 0x10–0x1F
        -22016, -20992, -24064, -23040, -17920, -16896, -19968, -18944, -30208, -29184, -32256, -31232, -26112, -25088, -28160, -27136,  // 0x20–0x2F
        -11008, -10496, -12032, -11520, -8960, -8448, -9984, -9472, -15104, -14592, -16128, -15616, -13056, -12544, -14080, -13568,  // 0x30–0x3F
        -344, -328, -376, -360, -280, -264, -312, -296, -472, -456, -504, -488, -408, -392, -440, -424,  // 0x40–0x4F
        -88, -72, -120, -104, -24, -8, -56, -40, -216, -200, -248, -232, -152, -136, -184, -168,  // 0x50–0x5F
        -1376, -1312, -1504, -1440, -1120, -1056, -1248, -1184, -1888, -1824, -2016, -1952, -1632, -1568, -1760, -1696,  // 0x60–0x6F
        -688, -656, -752, -720, -560, -528, -624, -592, -944, -912, -1008, -976, -816, -784, -880, -848,  // 0x70–0x7F
        5504, 5248, 6016, 5760, 4480, 4224, 4992, 4736, 7552, 7296, 8064, 7808, 6528, 6272, 7040, 6784,  // 0x80–0x8F
        2752, 2624, 3008, 2880, 2240, 2112, 2496, 2368, 3776, 3648, 4032, 3904, 3264, 3136, 3520, 3392,  // 0x90–0x9F
        22016, 20992, 24064, 23040, 17920, 16896, 19968, 18944, 30208, 29184, 32256, 31232, 26112, 25088, 28160, 27136,  // 0xA0–0xAF
        11008, 10496, 12032, 11520, 8960, 8448, 9984, 9472, 15104, 14592, 16128, 15616, 13056, 12544, 14080, 13568,  // 0xB0–0xBF
        344, 328, 376, 360, 280, 264, 312, 296, 472, 456, 504, 488, 408, 392, 440, 424,  // 0xC0–0xCF
        88, 72, 120, 104, 24, 8, 56, 40, 216, 200, 248, 232, 152, 136, 184, 168,  // 0xD0–0xDF
        1376, 1312, 1504, 1440, 1120, 1056, 1248, 1184, 1888, 1824, 2016, 1952, 1632, 1568, 1760, 1696,  // 0xE0–0xEF
        688, 656, 752, 720, 560, 528, 624, 592, 944, 912, 1008, 976, 816, 784, 880, 848,  // 0xF0–0xFF
    ]
}
