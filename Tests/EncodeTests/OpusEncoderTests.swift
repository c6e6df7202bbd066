import Foundation
import MediaCore
import TestSeeds
import XCTest

@testable import Encode

/// The Opus encoder's framing, instants and settings. Decoding what it makes (through an MP4
/// and ffmpeg) is in ContainerTests' OpusTrackTests.
final class OpusEncoderTests: XCTestCase {
    let epoch = MediaInstant(nanoseconds: 5_000_000_000)

    /// A 1 kHz tone at −12 dBFS, `count` samples at `rate` from sample `offset` on.
    static func tone(rate: Int, count: Int, offset: Int = 0, frequency: Double = 1000) -> [Int16] {
        (0..<count).map { n in Int16(8192 * sin(2 * .pi * frequency * Double(offset + n) / Double(rate))) }
    }

    /// The same samples in chunks of `sizes` (repeated), each chunk stamped with the capture
    /// instant of its first sample as a source would stamp it.
    func chunks(of samples: [Int16], rate: Int, sizes: [Int]) -> [PCMChunk] {
        var chunks: [PCMChunk] = []
        var position = 0
        var index = 0
        while position < samples.count {
            let end = min(position + sizes[index % sizes.count], samples.count)
            let instant = epoch + MediaDuration(nanoseconds: Int64(position) * 1_000_000_000 / Int64(rate))
            chunks.append(PCMChunk(samples: Array(samples[position..<end]), sampleRate: rate, channels: 1, instant: instant))
            position = end
            index += 1
        }
        return chunks
    }

    func encodeAll(_ chunks: [PCMChunk], encoder: OpusEncoder) throws -> [EncodedUnit] {
        try chunks.flatMap { try encoder.encode($0) }
    }

    /// A unit's instant is its decoded sound's: the frame's first input sample's instant less
    /// the encoder's delay (libopus' lookahead, the `dOps` PreSkip: 312 samples at 48 kHz).
    static func delay(_ encoder: OpusEncoder) -> MediaDuration {
        MediaDuration(nanoseconds: Int64(encoder.preSkip) * 1_000_000_000 / 48_000)
    }

    func testTheDelayIsLibopusLookahead() throws {
        for rate in OpusEncoder.supportedSampleRates { XCTAssertEqual(try OpusEncoder(sampleRate: rate).preSkip, 312, "\(rate) Hz") }
    }

    /// 20 ms chunks at 16 kHz: one unit per chunk, 960 samples at 48 kHz each, the chunk's
    /// instant less the delay, one part whose TOC byte says one 20 ms frame, mono (RFC 6716 §3.1).
    func testTwentyMillisecondChunksGiveOneUnitEach() throws {
        let encoder = try OpusEncoder(sampleRate: 16_000)
        let input = chunks(of: Self.tone(rate: 16_000, count: 16_000), rate: 16_000, sizes: [320])
        XCTAssertEqual(input.count, 50)
        for chunk in input {
            let units = try encoder.encode(chunk)
            XCTAssertEqual(units.count, 1)
            XCTAssertEqual(units.first?.instant, chunk.instant - Self.delay(encoder))
        }
        XCTAssertEqual(encoder.framesEncoded, 50)
        XCTAssertEqual(encoder.bufferedSampleCount, 0)

        let units = try encodeAll(chunks(of: Self.tone(rate: 16_000, count: 3200), rate: 16_000, sizes: [320]), encoder: try OpusEncoder(sampleRate: 16_000))
        for unit in units {
            XCTAssertEqual(unit.codec, .opus)
            XCTAssertEqual(unit.sampleCount, 960)
            XCTAssertTrue(unit.isKeyFrame)
            XCTAssertEqual(unit.parts.count, 1)
            let toc = try XCTUnwrap(unit.parts.first?.first)
            XCTAssertEqual(toc & 0x03, 0, "code 0: one frame")
            XCTAssertEqual(toc & 0x04, 0, "s = 0: mono")
            // Table 2: SILK/hybrid configs ending in 1 (mod 4, mod 2 for hybrid) or CELT ending in 3 are 20 ms.
            let config = toc >> 3
            let twentyMilliseconds = config < 12 ? config % 4 == 1 : config < 16 ? config % 2 == 1 : config % 4 == 3
            XCTAssertTrue(twentyMilliseconds, "TOC config \(config) is a 20 ms frame")
            XCTAssertLessThanOrEqual(unit.byteCount, 1276)
        }
    }

    /// Chunks of 7 ms, 33 ms and odd sample counts carry the same samples as 20 ms chunks:
    /// the same number of frames, the same packets byte for byte, and instants 20 ms apart
    /// from the first sample's, exactly.
    func testChunksOfAnySizeGiveTheSameFramesAndContinuousInstants() throws {
        let rate = 16_000
        let samples = Self.tone(rate: rate, count: 2 * rate)
        let reference = try encodeAll(chunks(of: samples, rate: rate, sizes: [320]), encoder: try OpusEncoder(sampleRate: rate))
        XCTAssertEqual(reference.count, 100)
        let seed = TestSeed.value(default: 0x0_9005)
        var random = SeededRandom(seed: seed)
        let randomSizes = (0..<50).map { _ in Int.random(in: 1...1200, using: &random) }
        for (sizes, name) in [([112, 528], "7 ms and 33 ms"), ([7], "7 samples"), ([4000], "250 ms"), (randomSizes, "random sizes; \(TestSeed.describe(seed))")] {
            let encoder = try OpusEncoder(sampleRate: rate)
            let units = try encodeAll(chunks(of: samples, rate: rate, sizes: sizes), encoder: encoder)
            XCTAssertEqual(units.count, reference.count, name)
            XCTAssertEqual(units.map(\.parts), reference.map(\.parts), "same packets: \(name)")
            XCTAssertEqual(units.map(\.instant), (0..<Int64(units.count)).map { epoch + .milliseconds(20 * $0) - Self.delay(encoder) }, name)
            XCTAssertEqual(encoder.bufferedSampleCount, 0, name)
        }
        // A tail shorter than a frame waits for the next chunk.
        let encoder = try OpusEncoder(sampleRate: rate)
        XCTAssertEqual(try encoder.encode(PCMChunk(samples: Array(samples[0..<500]), sampleRate: rate, channels: 1, instant: epoch)).count, 1)
        XCTAssertEqual(encoder.bufferedSampleCount, 180)
        let next = try encoder.encode(PCMChunk(samples: Array(samples[500..<640]), sampleRate: rate, channels: 1, instant: epoch + .microseconds(31_250)))
        XCTAssertEqual(next.map(\.instant), [epoch + .milliseconds(20) - Self.delay(encoder)], "the frame's first sample came with the first chunk")
    }

    /// A frame's instant is its first sample's, from the chunk that sample came in: after a
    /// gap in the source (chunks dropped), the next frame that starts in the new chunk carries
    /// the new chunk's time, not a count of samples since the start.
    func testInstantsFollowTheChunksAcrossAGap() throws {
        let encoder = try OpusEncoder(sampleRate: 8000)
        let tone = Self.tone(rate: 8000, count: 400)
        // 400 samples: frames at 0 and 20 ms; 80 samples left over from 40 ms.
        let delay = Self.delay(encoder)
        XCTAssertEqual(try encoder.encode(PCMChunk(samples: tone, sampleRate: 8000, channels: 1, instant: epoch)).map(\.instant),
                       [epoch - delay, epoch + .milliseconds(20) - delay])
        // The next chunk comes 100 ms later than the samples imply; the leftover's frame keeps
        // its instant (40 ms), the frame after it starts 80 samples (10 ms) into the new chunk.
        let late = epoch + .milliseconds(150)
        XCTAssertEqual(try encoder.encode(PCMChunk(samples: tone, sampleRate: 8000, channels: 1, instant: late)).map(\.instant),
                       [epoch + .milliseconds(40) - delay, late + .milliseconds(10) - delay, late + .milliseconds(30) - delay])
    }

    /// Several channels are averaged into one, as G.711 does: a stereo chunk whose channels
    /// are (s + 1, s − 1) encodes exactly as the mono samples s.
    func testSeveralChannelsAreMixedDownToMono() throws {
        let mono = Self.tone(rate: 48_000, count: 4800)
        let stereo = mono.flatMap { [$0 &+ 1, $0 &- 1] }
        let fromMono = try OpusEncoder(sampleRate: 48_000).encode(PCMChunk(samples: mono, sampleRate: 48_000, channels: 1, instant: epoch))
        let fromStereo = try OpusEncoder(sampleRate: 48_000).encode(PCMChunk(samples: stereo, sampleRate: 48_000, channels: 2, instant: epoch))
        XCTAssertEqual(fromStereo.count, 5)
        XCTAssertEqual(fromStereo.map(\.parts), fromMono.map(\.parts))
    }

    /// The rates Opus takes natively, each with 960 samples per unit and the same 6.5 ms
    /// pre-skip at 48 kHz (libopus's lookahead: 2.5 ms of delay compensation plus 4 ms,
    /// 312 samples); others are refused by name, as are chunks at another rate.
    func testSampleRates() throws {
        for rate in [8000, 12_000, 16_000, 24_000, 48_000] {
            let encoder = try OpusEncoder(sampleRate: rate)
            XCTAssertEqual(encoder.preSkip, 312, "\(rate) Hz")
            let units = try encoder.encode(PCMChunk(samples: Self.tone(rate: rate, count: rate / 10), sampleRate: rate, channels: 1, instant: epoch))
            XCTAssertEqual(units.count, 5, "\(rate) Hz: 100 ms")
            XCTAssertTrue(units.allSatisfy { $0.sampleCount == 960 }, "\(rate) Hz")
        }
        XCTAssertThrowsError(try OpusEncoder(sampleRate: 44_100)) { error in
            XCTAssertEqual(error as? EncodeError, .unsupportedSampleRate(44_100, supported: [8000, 12_000, 16_000, 24_000, 48_000]))
            XCTAssertEqual("\(error)", "44100 Hz cannot be encoded; the encoder takes 8000, 12000, 16000, 24000, 48000 Hz")
        }
        let encoder = try OpusEncoder(sampleRate: 16_000)
        XCTAssertThrowsError(try encoder.encode(PCMChunk(samples: [0, 0], sampleRate: 8000, channels: 1, instant: epoch))) { error in
            XCTAssertEqual(error as? EncodeError, .sampleRateMismatch(expected: 16_000, got: 8000))
        }
    }

    /// The bitrate is the rate's default or what is asked, within Opus's 6–510 kbit/s, and
    /// libopus steers to it: over two seconds of noise the packets average the bitrate's share
    /// of 20 ms (constrained VBR, within a quarter).
    func testBitrate() throws {
        XCTAssertEqual(try OpusEncoder(sampleRate: 16_000).bitrateKbps, 32)
        XCTAssertEqual(try OpusEncoder(sampleRate: 8000).bitrateKbps, 16)
        XCTAssertEqual(try OpusEncoder(sampleRate: 48_000).bitrateKbps, 64)
        XCTAssertThrowsError(try OpusEncoder(sampleRate: 16_000, bitrateKbps: 5))
        XCTAssertThrowsError(try OpusEncoder(sampleRate: 16_000, bitrateKbps: 511))

        let seed = TestSeed.value(default: 0x0_9006)
        var random = SeededRandom(seed: seed)
        let noise = (0..<32_000).map { _ in Int16.random(in: -6000...6000, using: &random) }
        let encoder = try OpusEncoder(sampleRate: 16_000, bitrateKbps: 16)
        let low = try encoder.encode(PCMChunk(samples: noise, sampleRate: 16_000, channels: 1, instant: epoch))
        try encoder.setBitrate(kbps: 48)
        XCTAssertEqual(encoder.bitrateKbps, 48)
        let high = try encoder.encode(PCMChunk(samples: noise, sampleRate: 16_000, channels: 1, instant: epoch + .seconds(2)))
        XCTAssertThrowsError(try encoder.setBitrate(kbps: 0))
        XCTAssertEqual(encoder.bitrateKbps, 48, "a refused bitrate changes nothing")
        for (units, kbps) in [(low, 16), (high, 48)] {
            // Skip the first frames, while the rate control settles.
            let steady = units.dropFirst(10)
            let average = Double(steady.reduce(0) { $0 + $1.byteCount }) / Double(steady.count)
            XCTAssertEqual(average, Double(kbps * 1000 / 8 / 50), accuracy: Double(kbps * 1000 / 8 / 50) / 4, "\(kbps) kbit/s; \(TestSeed.describe(seed))")
        }
    }
}
