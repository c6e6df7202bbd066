import NIOCore
import ServeWire
import XCTest

final class RetransmissionPacketizerTests: XCTestCase {
    /// RFC 4588 §4: the retransmission of a packet carries the original's timestamp and
    /// marker under its own payload type, SSRC and sequence number, and the original sequence
    /// number in front of the original payload.
    func testRFC4588Section4Layout() throws {
        let original = ByteBuffer(bytes: [
            0x80, 0xE0,              // V=2, M=1, PT=96
            0x12, 0x34,              // sequence 0x1234
            0x00, 0x01, 0x5F, 0x90,  // timestamp 90000
            0xCA, 0xFE, 0xBA, 0xBE,  // SSRC
            0x7C, 0x45, 0xAA, 0xBB,  // payload: an FU-A end fragment
        ])
        var packetizer = RetransmissionPacketizer(payloadType: 99, ssrc: 0x0102_0304, initialSequenceNumber: 0xFFFF)
        let first = try XCTUnwrap(packetizer.retransmission(of: original, allocator: ByteBufferAllocator()))
        XCTAssertEqual(Array(first.readableBytesView), [
            0x80, 0xE3,              // V=2, M=1 (the original's), PT=99
            0xFF, 0xFF,              // rtx sequence: its own
            0x00, 0x01, 0x5F, 0x90,  // the original timestamp
            0x01, 0x02, 0x03, 0x04,  // rtx SSRC
            0x12, 0x34,              // OSN
            0x7C, 0x45, 0xAA, 0xBB,  // the original payload
        ])
        let second = try XCTUnwrap(packetizer.retransmission(of: original, allocator: ByteBufferAllocator()))
        XCTAssertEqual(second.getInteger(at: 2, as: UInt16.self), 0x0000, "rtx sequence numbers wrap")
        XCTAssertEqual(packetizer.packetCount, 2)
        XCTAssertEqual(packetizer.octetCount, 12)

        // And back: the original packet, unchanged.
        let restored = try RetransmissionPacketizer.original(of: first, payloadType: 96, ssrc: 0xCAFE_BABE)
        var rewritten = ByteBuffer()
        restored.write(into: &rewritten)
        XCTAssertEqual(rewritten, original)
    }

    func testHeadroomIsLeftInFrontForTheInterleavedHeader() throws {
        let original = ByteBuffer(bytes: [0x80, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0x41])
        var packetizer = RetransmissionPacketizer(payloadType: 99, ssrc: 7, initialSequenceNumber: 0, headroom: 4)
        let packet = try XCTUnwrap(packetizer.retransmission(of: original, allocator: ByteBufferAllocator()))
        XCTAssertEqual(packet.readerIndex, 4)
        XCTAssertEqual(packet.readableBytes, 12 + 2 + 1)
    }

    func testAnUnparsablePacketIsNotRetransmitted() {
        var packetizer = RetransmissionPacketizer(payloadType: 99, ssrc: 7, initialSequenceNumber: 0)
        XCTAssertNil(packetizer.retransmission(of: ByteBuffer(bytes: [0x80, 0x60]), allocator: ByteBufferAllocator()))
        XCTAssertEqual(packetizer.packetCount, 0)
    }

    func testSDPParameters() {
        XCTAssertEqual(RetransmissionFormat.fmtp(associatedPayloadType: 96, rtxTimeMilliseconds: 1000), "apt=96;rtx-time=1000")
    }
}
