import NIOCore
import XCTest
@testable import ServeWire

final class H264DepacketizerTests: XCTestCase {
    func packet(_ bytes: [UInt8]) throws -> RTPPacket {
        try RTPPacket(parsing: ByteBuffer(bytes: bytes))
    }

    func testVectorsDepacketize() throws {
        for vector in H264PacketizerTests.vectors {
            var depacketizer = H264Depacketizer()
            var output: [[UInt8]]?
            for bytes in vector.packets {
                output = try depacketizer.push(packet(bytes))
            }
            XCTAssertEqual(output, vector.accessUnit, vector.name)
        }
    }

    func fragmentedIDR() -> [ByteBuffer] {
        var packetizer = H264Packetizer(payloadType: 96, ssrc: 1, initialSequenceNumber: 10)
        var packets: [ByteBuffer] = []
        packetizer.packetize(parts: [[0x65] + Array(repeating: 9, count: 4999)], timestamp: 0, into: &packets)
        packetizer.packetize(parts: [[0x41, 1, 2, 3]], timestamp: 3000, into: &packets)
        return packets  // 4 FU-A (seq 10–13), then a single NAL unit (seq 14)
    }

    func testMissingFUFragmentDropsTheAccessUnit() throws {
        var packets = fragmentedIDR()
        packets.remove(at: 1)
        var depacketizer = H264Depacketizer()
        XCTAssertNil(try depacketizer.push(RTPPacket(parsing: packets[0])))
        XCTAssertThrowsError(try depacketizer.push(RTPPacket(parsing: packets[1]))) { error in
            XCTAssertEqual(error as? H264DepacketizerError, .sequenceGap(expected: 11, received: 12))
        }
        // The rest of the damaged unit is dropped silently, through its marker.
        XCTAssertNil(try depacketizer.push(RTPPacket(parsing: packets[2])))
        // The next access unit comes through.
        XCTAssertEqual(try depacketizer.push(RTPPacket(parsing: packets[3])), [[0x41, 1, 2, 3]])
        XCTAssertEqual(depacketizer.droppedAccessUnits, 1)
    }

    func testMalformedPayloads() throws {
        let header: [UInt8] = [0x80, 0xE0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]  // marker set
        let vectors: [(name: String, payload: [UInt8], error: H264DepacketizerError)] = [
            ("empty payload", [], .emptyPayload),
            ("NAL type 0", [0x00, 1], .unsupportedPacketType(0)),
            ("STAP-B is not mode 1", [0x19, 0, 0], .unsupportedPacketType(25)),
            ("FU-B is not mode 1", [0x1D, 0x85, 0], .unsupportedPacketType(29)),
            ("STAP-A with no units", [0x78], .malformedAggregation),
            ("STAP-A unit runs past the end", [0x78, 0x00, 0x05, 0x67, 0x42], .malformedAggregation),
            ("STAP-A unit of size 0", [0x78, 0x00, 0x00], .malformedAggregation),
            ("FU-A without FU header", [0x7C], .malformedFragment),
            ("FU-A with S and E", [0x7C, 0xC5, 1], .malformedFragment),
            ("FU-A end without start", [0x7C, 0x45, 1], .fragmentWithoutStart),
        ]
        for vector in vectors {
            var depacketizer = H264Depacketizer()
            XCTAssertThrowsError(try depacketizer.push(packet(header + vector.payload)), vector.name) { error in
                XCTAssertEqual(error as? H264DepacketizerError, vector.error, vector.name)
            }
        }
    }

    func testFragmentTypeMismatchAndUnterminatedFragment() throws {
        var depacketizer = H264Depacketizer()
        let start: [UInt8] = [0x80, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0x7C, 0x85, 1]
        let wrongType: [UInt8] = [0x80, 0x60, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0x7C, 0x41, 2]
        XCTAssertNil(try depacketizer.push(packet(start)))
        XCTAssertThrowsError(try depacketizer.push(packet(wrongType))) {
            XCTAssertEqual($0 as? H264DepacketizerError, .fragmentTypeMismatch)
        }

        var second = H264Depacketizer()
        let single: [UInt8] = [0x80, 0xE0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0x41, 2]
        XCTAssertNil(try second.push(packet(start)))
        XCTAssertThrowsError(try second.push(packet(single))) {
            XCTAssertEqual($0 as? H264DepacketizerError, .unterminatedFragment)
        }
    }

    func testTimestampChangeWithoutMarker() throws {
        var depacketizer = H264Depacketizer()
        XCTAssertNil(try depacketizer.push(packet([0x80, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0x41, 1])))
        XCTAssertThrowsError(try depacketizer.push(packet([0x80, 0xE0, 0, 2, 0, 0, 0x0B, 0xB8, 0, 0, 0, 1, 0x41, 2]))) {
            XCTAssertEqual($0 as? H264DepacketizerError, .missingMarker)
        }
        XCTAssertEqual(try depacketizer.push(packet([0x80, 0xE0, 0, 3, 0, 0, 0x17, 0x70, 0, 0, 0, 1, 0x41, 3])), [[0x41, 3]])
    }
}
