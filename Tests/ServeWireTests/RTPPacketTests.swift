import NIOCore
import XCTest
@testable import ServeWire

final class RTPPacketTests: XCTestCase {
    /// RFC 3550 §5.1 fixed header, shared by write and parse.
    let headerVectors: [(name: String, header: RTPHeader, bytes: [UInt8])] = [
        (
            "RFC 3550 §5.1 header, marker set, PT 96",
            RTPHeader(marker: true, payloadType: 96, sequenceNumber: 0x1234, timestamp: 0x0001_5F90, ssrc: 0x1A2B_3C4D),
            [
                0x80,  // V=2, P=0, X=0, CC=0
                0xE0,  // M=1, PT=96
                0x12, 0x34,  // sequence number
                0x00, 0x01, 0x5F, 0x90,  // timestamp 90000
                0x1A, 0x2B, 0x3C, 0x4D,  // SSRC
            ]
        ),
        (
            "RFC 3551 PCMU header, no marker, PT 0",
            RTPHeader(marker: false, payloadType: 0, sequenceNumber: 0xFFFF, timestamp: 0xFFFF_FFFF, ssrc: 1),
            [
                0x80,  // V=2, P=0, X=0, CC=0
                0x00,  // M=0, PT=0
                0xFF, 0xFF,  // sequence number
                0xFF, 0xFF, 0xFF, 0xFF,  // timestamp
                0x00, 0x00, 0x00, 0x01,  // SSRC
            ]
        ),
    ]

    func testHeaderWriteAndParse() throws {
        for vector in headerVectors {
            var buffer = ByteBuffer()
            vector.header.write(into: &buffer)
            XCTAssertEqual(buffer.bytes, vector.bytes, vector.name)
            XCTAssertEqual(buffer.readableBytes, RTPHeader.size)

            let packet = try RTPPacket(parsing: ByteBuffer(bytes: vector.bytes + [0xAB, 0xCD]))
            XCTAssertEqual(packet.header, vector.header, vector.name)
            XCTAssertEqual(packet.payload.bytes, [0xAB, 0xCD], vector.name)

            var written = ByteBuffer()
            RTPPacket(header: vector.header, payload: ByteBuffer(bytes: [0xAB, 0xCD])).write(into: &written)
            XCTAssertEqual(written.bytes, vector.bytes + [0xAB, 0xCD], vector.name)
        }
    }

    func testParseSkipsCSRCsExtensionAndPadding() throws {
        let bytes: [UInt8] = [
            0xB2,  // V=2, P=1, X=1, CC=2
            0x08,  // M=0, PT=8
            0x00, 0x07,  // sequence number 7
            0x00, 0x00, 0x00, 0xA0,  // timestamp 160
            0xDE, 0xAD, 0xBE, 0xEF,  // SSRC
            0x00, 0x00, 0x00, 0x01,  // CSRC 1
            0x00, 0x00, 0x00, 0x02,  // CSRC 2
            0xBE, 0xDE, 0x00, 0x01,  // extension: profile 0xBEDE, length 1 word
            0x10, 0xAA, 0x00, 0x00,  // extension data
            0xD5, 0xD5, 0xD5,  // payload
            0x00, 0x00, 0x03,  // padding: 3 octets, count included
        ]
        let packet = try RTPPacket(parsing: ByteBuffer(bytes: bytes))
        XCTAssertEqual(
            packet.header, RTPHeader(marker: false, payloadType: 8, sequenceNumber: 7, timestamp: 160, ssrc: 0xDEAD_BEEF)
        )
        XCTAssertEqual(packet.payload.bytes, [0xD5, 0xD5, 0xD5])
    }

    func testParseErrors() {
        let header: [UInt8] = [0x80, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]
        let vectors: [(name: String, bytes: [UInt8], error: RTPParseError)] = [
            ("empty datagram", [], .tooShort),
            ("11 bytes", Array(header.prefix(11)), .tooShort),
            ("version 1", [0x40] + header.dropFirst(), .badVersion),
            ("RTCP-looking version 3", [0xC0] + header.dropFirst(), .badVersion),
            ("CC=1 with no CSRC", [0x81] + header.dropFirst(), .tooShort),
            ("X set, no extension header", [0x90] + header.dropFirst(), .badExtension),
            ("X set, extension longer than packet", [0x90] + header.dropFirst() + [0xBE, 0xDE, 0x00, 0x02, 1, 2, 3, 4],
             .badExtension),
            ("P set, count 0", [0xA0] + header.dropFirst() + [0x11, 0x00], .badPadding),
            ("P set, count beyond payload", [0xA0] + header.dropFirst() + [0x11, 0x03], .badPadding),
            ("P set, no payload", [0xA0] + header.dropFirst(), .badPadding),
        ]
        for vector in vectors {
            XCTAssertThrowsError(try RTPPacket(parsing: ByteBuffer(bytes: vector.bytes)), vector.name) { error in
                XCTAssertEqual(error as? RTPParseError, vector.error, vector.name)
            }
        }
    }

    func testPaddingMayConsumeWholePayload() throws {
        let bytes: [UInt8] = [0xA0, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0x00, 0x02]
        XCTAssertEqual(try RTPPacket(parsing: ByteBuffer(bytes: bytes)).payload.readableBytes, 0)
    }
}
