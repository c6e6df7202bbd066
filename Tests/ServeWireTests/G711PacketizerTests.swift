import MediaCore
import NIOCore
import XCTest
@testable import ServeWire

final class G711PacketizerTests: XCTestCase {
    func testTwentyMillisecondPCMUFrames() {
        var packetizer = G711Packetizer(payloadType: 0, ssrc: 0xCAFE_BABE, initialSequenceNumber: 100)
        var packets: [ByteBuffer] = []
        let frame = [UInt8](repeating: 0xFF, count: 160)  // 20 ms of µ-law silence at 8 kHz
        packetizer.packetize(parts: [frame], timestamp: 8000, into: &packets)
        packetizer.packetize(parts: [frame], timestamp: 8160, into: &packets)
        XCTAssertEqual(packets.count, 2)
        XCTAssertEqual(Array(packets[0].bytes.prefix(12)), [
            0x80,  // V=2
            0x00,  // M=0 (no silence suppression, RFC 3551 §4.1), PT=0 PCMU
            0x00, 0x64,  // sequence 100
            0x00, 0x00, 0x1F, 0x40,  // timestamp 8000
            0xCA, 0xFE, 0xBA, 0xBE,  // SSRC
        ])
        XCTAssertEqual(packets.map(\.readableBytes), [172, 172])
        XCTAssertEqual(packets.map { $0.getInteger(at: 4, as: UInt32.self)! }, [8000, 8160])
        XCTAssertEqual(packetizer.packetCount, 2)
        XCTAssertEqual(packetizer.octetCount, 320)
    }

    func testPCMAPayloadTypeAndOversizedPartSplit() {
        var packetizer = G711Packetizer(payloadType: 8, ssrc: 1, initialSequenceNumber: 65535, headroom: 4)
        var packets: [ByteBuffer] = []
        let part = (0..<3000).map { UInt8(truncatingIfNeeded: $0) }
        packetizer.packetize(parts: [part, [1, 2, 3]], timestamp: 0xFFFF_FF00, into: &packets)
        XCTAssertEqual(packets.map(\.readableBytes), [1400, 1400, 12 + 224, 12 + 3])
        XCTAssertTrue(packets.allSatisfy { $0.readerIndex == 4 && $0.bytes[1] == 8 })
        XCTAssertEqual(packets.map { $0.getInteger(at: $0.readerIndex + 2, as: UInt16.self)! }, [65535, 0, 1, 2])
        XCTAssertEqual(
            packets.map { $0.getInteger(at: $0.readerIndex + 4, as: UInt32.self)! },
            [0xFFFF_FF00, 0xFFFF_FF00 &+ 1388, 0xFFFF_FF00 &+ 2776, 0xFFFF_FF00 &+ 3000]
        )
        XCTAssertEqual(packets.flatMap { $0.bytes.dropFirst(12) }, part + [1, 2, 3])
        XCTAssertEqual(packetizer.octetCount, 3003)
    }

    func testStereoSplitsOnSampleFrames() {
        var packetizer = G711Packetizer(payloadType: 97, ssrc: 1, initialSequenceNumber: 0, channels: 2, mtu: 12 + 101)
        var packets: [ByteBuffer] = []
        packetizer.packetize(parts: [Array(repeating: 0xD5, count: 300)], timestamp: 0, into: &packets)
        XCTAssertEqual(packets.map { $0.readableBytes - 12 }, [100, 100, 100])
        XCTAssertEqual(packets.map { $0.getInteger(at: 4, as: UInt32.self)! }, [0, 50, 100])
    }

    func testSDPHelpers() {
        XCTAssertEqual(G711Format.staticPayloadType(for: .pcmu, sampleRate: 8000), 0)
        XCTAssertEqual(G711Format.staticPayloadType(for: .pcma, sampleRate: 8000), 8)
        XCTAssertNil(G711Format.staticPayloadType(for: .pcmu, sampleRate: 16000))
        XCTAssertNil(G711Format.staticPayloadType(for: .h264, sampleRate: 8000))
        XCTAssertEqual(G711Format.rtpmap(for: .pcma, sampleRate: 8000), "PCMA/8000")
        XCTAssertEqual(G711Format.rtpmap(for: .pcmu, sampleRate: 16000, channels: 2), "PCMU/16000/2")
    }
}
