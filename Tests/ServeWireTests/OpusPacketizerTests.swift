import MediaCore
import NIOCore
import TestSeeds
import XCTest
@testable import ServeWire

final class OpusPacketizerTests: XCTestCase {
    /// RFC 7587 §4.1–4.2: one Opus packet is one RTP payload, unchanged; the marker bit is 0
    /// (no DTX, RFC 3551 §4.1); the timestamp advances by 960 per 20 ms frame at 48 kHz, whatever
    /// rate the encoder ran at.
    func testOnePacketPerRTPPacketAt48kHz() {
        var packetizer = OpusPacketizer(payloadType: 111, ssrc: 0xCAFE_BABE, initialSequenceNumber: 100)
        var packets: [ByteBuffer] = []
        // TOC 0x48: config 9 (SILK-only WB, 20 ms), s=0 mono, c=0 one frame; then frame bytes.
        let frame: [UInt8] = [0x48, 0x01, 0x02, 0x03, 0x04]
        packetizer.packetize(parts: [frame], timestamp: 48_000, into: &packets)
        packetizer.packetize(parts: [frame], timestamp: 48_960, into: &packets)
        XCTAssertEqual(packets.count, 2)
        XCTAssertEqual(packets[0].bytes, [
            0x80,  // V=2, P=0, X=0, CC=0
            0x6F,  // M=0, PT=111
            0x00, 0x64,  // sequence 100
            0x00, 0x00, 0xBB, 0x80,  // timestamp 48000
            0xCA, 0xFE, 0xBA, 0xBE,  // SSRC
            0x48, 0x01, 0x02, 0x03, 0x04,  // the Opus packet, TOC first
        ])
        XCTAssertEqual(packets.map { $0.getInteger(at: 2, as: UInt16.self)! }, [100, 101])
        XCTAssertEqual(packets.map { $0.getInteger(at: 4, as: UInt32.self)! }, [48_000, 48_960])
        XCTAssertEqual(packetizer.packetCount, 2)
        XCTAssertEqual(packetizer.octetCount, 10)
        for packet in packets {
            let parsed = try? RTPPacket(parsing: packet)
            XCTAssertEqual(parsed?.header.marker, false)
            XCTAssertEqual(parsed.map { Array($0.payload.readableBytesView) }, frame)
        }
    }

    /// Several parts in one unit: each is its own RTP packet, starting where the one before
    /// ended by the duration its TOC announces (RFC 6716 §3.1–3.2), across the 32-bit wrap.
    func testLaterPartsStartWhereTheOneBeforeEnded() {
        var packetizer = OpusPacketizer(payloadType: 96, ssrc: 1, initialSequenceNumber: 65535, headroom: 4)
        var packets: [ByteBuffer] = []
        let parts: [[UInt8]] = [
            [0x48, 0xAA],  // config 9 SILK WB 20 ms, code 0: 960
            [0x83, 0x04, 0xBB, 0xCC],  // config 16 CELT NB 2.5 ms, code 3, M=4: 480
            [0x71, 0xDD],  // config 14 Hybrid FB 10 ms, code 1 (two frames of equal size): 960
            [0xF8, 0xEE],  // config 31 CELT FB 20 ms, code 0: 960
        ]
        packetizer.packetize(parts: parts, timestamp: 0xFFFF_FE00, into: &packets)
        XCTAssertTrue(packets.allSatisfy { $0.readerIndex == 4 && $0.bytes[1] == 96 })
        XCTAssertEqual(packets.map { $0.getInteger(at: $0.readerIndex + 2, as: UInt16.self)! }, [65535, 0, 1, 2])
        XCTAssertEqual(
            packets.map { $0.getInteger(at: $0.readerIndex + 4, as: UInt32.self)! },
            [0xFFFF_FE00, 0xFFFF_FE00 &+ 960, 0xFFFF_FE00 &+ 1440, 0xFFFF_FE00 &+ 2400])
        XCTAssertEqual(packets.map { Array($0.bytes.dropFirst(12)) }, parts)
    }

    /// RFC 7587 has no fragmentation: a packet beyond the MTU goes whole; an empty part is no
    /// Opus packet (RFC 6716 §3.4 R1) and sends nothing.
    func testNoFragmentationAndNoEmptyPackets() {
        var packetizer = OpusPacketizer(payloadType: 96, ssrc: 1, initialSequenceNumber: 0, mtu: 12 + 100)
        var packets: [ByteBuffer] = []
        let large = [0xF8] + [UInt8](repeating: 0x55, count: 299)
        packetizer.packetize(parts: [[], large], timestamp: 0, into: &packets)
        XCTAssertEqual(packets.map(\.readableBytes), [12 + 300])
        XCTAssertEqual(packetizer.packetCount, 1)
    }

    /// RFC 6716 §3.1 Table 2, row by row: configurations and their frame sizes (ms → samples at
    /// 48 kHz: 2.5 → 120, 5 → 240, 10 → 480, 20 → 960, 40 → 1920, 60 → 2880).
    func testFrameSizesOfTable2() {
        let rows: [(configs: ClosedRange<UInt8>, sizes: [Int], row: String)] = [
            (0...3, [480, 960, 1920, 2880], "SILK-only NB"),
            (4...7, [480, 960, 1920, 2880], "SILK-only MB"),
            (8...11, [480, 960, 1920, 2880], "SILK-only WB"),
            (12...13, [480, 960], "Hybrid SWB"),
            (14...15, [480, 960], "Hybrid FB"),
            (16...19, [120, 240, 480, 960], "CELT-only NB"),
            (20...23, [120, 240, 480, 960], "CELT-only WB"),
            (24...27, [120, 240, 480, 960], "CELT-only SWB"),
            (28...31, [120, 240, 480, 960], "CELT-only FB"),
        ]
        XCTAssertEqual(rows.reduce(0) { $0 + $1.configs.count }, 32, "every configuration once")
        for (configs, sizes, row) in rows {
            XCTAssertEqual(configs.map { OpusPacket.frameDuration(config: $0) }, sizes, row)
        }
    }

    /// RFC 6716 §3.2: frame count codes 0–3, and what is no packet.
    func testFrameCountsAndDurations() {
        let vectors: [(packet: [UInt8], frames: Int?, duration: Int?, name: String)] = [
            ([0xF8], 1, 960, "§3.2.2 code 0, CELT FB 20 ms (TOC only: a zero-length frame)"),
            ([0xF9, 0x00, 0x00], 2, 1920, "§3.2.3 code 1, two 20 ms frames"),
            ([0x1A, 0x01, 0x00, 0x00], 2, 5760, "§3.2.4 code 2, config 3 SILK NB 60 ms, two frames"),
            ([0x1B, 0x02], 2, 5760, "§3.2.5 code 3, M=2 of 60 ms: 120 ms, the most a packet holds"),
            ([0x1B, 0x03], 3, nil, "§3.2.5 R5: M=3 of 60 ms is 180 ms, over 120 ms"),
            ([0x83, 0xC0], nil, nil, "§3.2.5 R5: code 3 with M=0 (VBR and padding flags set)"),
            ([0x83], nil, nil, "code 3 without its frame count byte"),
            ([0x83, 0xC8], 8, 960, "§3.2.5 code 3, VBR and padding flags set, M=8 of 2.5 ms"),
            ([], nil, nil, "§3.4 R1: empty"),
        ]
        for (packet, frames, duration, name) in vectors {
            XCTAssertEqual(OpusPacket.frameCount(packet), frames, name)
            XCTAssertEqual(OpusPacket.duration(of: packet), duration, name)
        }
    }

    /// RFC 7587 §7: rtpmap "opus/48000/2" for mono too; sprop-stereo=0 for a mono sender.
    func testSDPHelpers() {
        XCTAssertEqual(OpusFormat.rtpmap, "opus/48000/2")
        XCTAssertEqual(OpusFormat.clockRate, 48_000)
        XCTAssertEqual(OpusFormat.formatParameters(stereo: false), "sprop-stereo=0")
        XCTAssertEqual(OpusFormat.formatParameters(stereo: true), "sprop-stereo=1")
    }
}

/// Seeded fuzzing of the TOC reader (RFC 6716 §3.1–3.2): no crash on any bytes, and every
/// duration it reports is a whole number of frames of the TOC's configuration within 120 ms.
final class OpusPacketFuzzTests: XCTestCase {
    func testAnyBytesGiveNoneOrALegalDuration() {
        let seed = TestSeed.value(default: 0x0705_0C)
        var random = SeededRandom(seed: seed)
        for index in 0..<50_000 {
            let bytes = (0..<Int.random(in: 0...4, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            guard let duration = OpusPacket.duration(of: bytes) else { continue }
            let frame = OpusPacket.frameDuration(config: bytes[0] >> 3)
            XCTAssertEqual(duration % frame, 0, "case \(index) \(bytes), \(TestSeed.describe(seed))")
            XCTAssertTrue((120...OpusPacket.maximumDuration).contains(duration), "case \(index) \(bytes)")
        }
    }
}
