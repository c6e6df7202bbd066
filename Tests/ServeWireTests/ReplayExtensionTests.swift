import NIOCore
import XCTest
@testable import ServeWire

/// ONVIF Streaming Specification §6.3's replay extension, against the extension words of a
/// camera's packet published as a test vector (Managed Media Aggregation's RTP tests):
/// profile 0xABAC, 3 words, NTP D4BB8A43 FE7AC81E, flags 0, CSeq 0xD3. The fixed header and
/// payload around them are written here.
final class ReplayExtensionTests: XCTestCase {
    static let captured: [UInt8] = [
        0x90, 0x60, 0x00, 0x01, 0x00, 0x00, 0x0B, 0xB8, 0x12, 0x34, 0x56, 0x78,
        0xAB, 0xAC, 0x00, 0x03, 0xD4, 0xBB, 0x8A, 0x43, 0xFE, 0x7A, 0xC8, 0x1E, 0x00, 0xD3, 0x00, 0x00,
        0x65, 0x88, 0x84,
    ]

    func testCapturedVector() throws {
        let parsed = try XCTUnwrap(ReplayExtension(packet: ByteBuffer(bytes: Self.captured)))
        XCTAssertEqual(parsed.ntp.seconds, 0xD4BB_8A43)
        XCTAssertEqual(parsed.ntp.fraction, 0xFE7A_C81E)
        XCTAssertFalse(parsed.cleanPoint || parsed.endOfSection || parsed.discontinuity || parsed.terminal)
        XCTAssertEqual(parsed.cseq, 0xD3)
        XCTAssertEqual(try RTPPacket(parsing: ByteBuffer(bytes: Self.captured)).payload, ByteBuffer(bytes: [0x65, 0x88, 0x84]))
    }

    func testInsertedIntoAPacketReadsBackAndKeepsThePayload() throws {
        var packet = ByteBuffer()
        RTPHeader(marker: true, payloadType: 96, sequenceNumber: 1, timestamp: 3000, ssrc: 0x1234_5678).write(into: &packet)
        packet.writeBytes([0x65, 0x88, 0x84])
        let replay = ReplayExtension(
            ntp: NTPTimestamp(seconds: 0xD4BB_8A43, fraction: 0xFE7A_C81E), cleanPoint: true, endOfSection: false, discontinuity: true, cseq: 0xD3)
        let extended = try XCTUnwrap(replay.inserted(into: packet, headroom: 4, allocator: ByteBufferAllocator()))
        XCTAssertEqual(extended.readerIndex, 4, "room for an interleaved header in front")
        XCTAssertEqual(ReplayExtension(packet: extended), replay)
        var expected = Self.captured
        expected[1] = 0xE0  // marker and PT 96, as written here
        expected[24] = 0xA0  // C and D
        XCTAssertEqual(Array(extended.readableBytesView), expected)
        let parsed = try RTPPacket(parsing: extended)
        XCTAssertEqual(parsed.header.timestamp, 3000)
        XCTAssertEqual(parsed.payload, ByteBuffer(bytes: [0x65, 0x88, 0x84]))
        XCTAssertNil(ReplayExtension(packet: packet), "no extension on the plain packet")
    }
}
