import NIOCore
import XCTest
@testable import ServeWire

final class RTCPCompoundTests: XCTestCase {
    static let reportBlock = ReceptionReport(
        ssrc: 0x9ABC_DEF0, fractionLost: 0x40, cumulativeLost: -1, highestSequence: 0x0001_0010, jitter: 0x20,
        lastSenderReport: 0xB705_2000, delaySinceLastSenderReport: 0x0005_4000
    )
    static let reportBlockBytes: [UInt8] = [
        0x9A, 0xBC, 0xDE, 0xF0,  // SSRC_1
        0x40,  // fraction lost 64/256
        0xFF, 0xFF, 0xFF,  // cumulative lost −1 (24-bit two's complement)
        0x00, 0x01, 0x00, 0x10,  // extended highest sequence: cycle 1, seq 16
        0x00, 0x00, 0x00, 0x20,  // jitter
        0xB7, 0x05, 0x20, 0x00,  // LSR (RFC 3550 §6.4.1 example)
        0x00, 0x05, 0x40, 0x00,  // DLSR 5.25 s
    ]

    /// Byte vectors computed by hand from the RFC 3550 §6.4–6.6 layouts; shared by write and parse.
    static let vectors: [(name: String, packet: RTCPPacket, bytes: [UInt8])] = [
        (
            "RFC 3550 §6.4.1 SR with one report block",
            .senderReport(SenderReport(
                ssrc: 0x1234_5678, ntp: NTPTimestamp(seconds: 0xB44D_B705, fraction: 0x2000_0000),
                rtpTimestamp: 0x0001_5F90, packetCount: 100, octetCount: 12345, reports: [reportBlock]
            )),
            [
                0x81,  // V=2, P=0, RC=1
                0xC8,  // PT=200 SR
                0x00, 0x0C,  // length: 13 words − 1
                0x12, 0x34, 0x56, 0x78,  // SSRC of sender
                0xB4, 0x4D, 0xB7, 0x05,  // NTP seconds
                0x20, 0x00, 0x00, 0x00,  // NTP fraction (.125)
                0x00, 0x01, 0x5F, 0x90,  // RTP timestamp
                0x00, 0x00, 0x00, 0x64,  // packet count 100
                0x00, 0x00, 0x30, 0x39,  // octet count 12345
            ] + reportBlockBytes
        ),
        (
            "RFC 3550 §6.4.1 SR, no report blocks (Vigil's usual report)",
            .senderReport(SenderReport(
                ssrc: 1, ntp: NTPTimestamp(seconds: 2, fraction: 3), rtpTimestamp: 4, packetCount: 5, octetCount: 6
            )),
            [
                0x80, 0xC8, 0x00, 0x06,  // V=2, RC=0, PT=200, length 6
                0x00, 0x00, 0x00, 0x01,  // SSRC
                0x00, 0x00, 0x00, 0x02,  // NTP seconds
                0x00, 0x00, 0x00, 0x03,  // NTP fraction
                0x00, 0x00, 0x00, 0x04,  // RTP timestamp
                0x00, 0x00, 0x00, 0x05,  // packet count
                0x00, 0x00, 0x00, 0x06,  // octet count
            ]
        ),
        (
            "RFC 3550 §6.4.2 RR with one report block",
            .receiverReport(ReceiverReport(ssrc: 0x0BAD_F00D, reports: [reportBlock])),
            [
                0x81,  // V=2, P=0, RC=1
                0xC9,  // PT=201 RR
                0x00, 0x07,  // length: 8 words − 1
                0x0B, 0xAD, 0xF0, 0x0D,  // SSRC of packet sender
            ] + reportBlockBytes
        ),
        (
            "RFC 3550 §6.5.1 SDES CNAME, 9 characters → one null octet",
            .sourceDescription(.cname(ssrc: 0x1234_5678, "vigil@cam")),
            [
                0x81,  // V=2, P=0, SC=1
                0xCA,  // PT=202 SDES
                0x00, 0x04,  // length: 5 words − 1
                0x12, 0x34, 0x56, 0x78,  // SSRC
                0x01, 0x09,  // CNAME, 9 octets
                0x76, 0x69, 0x67, 0x69, 0x6C, 0x40, 0x63, 0x61, 0x6D,  // "vigil@cam"
                0x00,  // end of list, pads to 32 bits
            ]
        ),
        (
            "RFC 3550 §6.5 SDES CNAME, 10 characters → four null octets",
            .sourceDescription(.cname(ssrc: 1, "vigil@cams")),
            [
                0x81, 0xCA, 0x00, 0x05,  // V=2, SC=1, PT=202, length 5
                0x00, 0x00, 0x00, 0x01,  // SSRC
                0x01, 0x0A,  // CNAME, 10 octets
                0x76, 0x69, 0x67, 0x69, 0x6C, 0x40, 0x63, 0x61, 0x6D, 0x73,  // "vigil@cams"
                0x00, 0x00, 0x00, 0x00,  // end of list + padding to the next boundary
            ]
        ),
        (
            "RFC 3550 §6.6 BYE with reason",
            .goodbye(Goodbye(ssrcs: [0x1234_5678], reason: "bye")),
            [
                0x81,  // V=2, P=0, SC=1
                0xCB,  // PT=203 BYE
                0x00, 0x02,  // length: 3 words − 1
                0x12, 0x34, 0x56, 0x78,  // SSRC
                0x03, 0x62, 0x79, 0x65,  // reason: length 3, "bye" (already aligned)
            ]
        ),
        (
            "RFC 3550 §6.6 BYE of two sources, no reason",
            .goodbye(Goodbye(ssrcs: [1, 2], reason: nil)),
            [
                0x82, 0xCB, 0x00, 0x02,  // V=2, SC=2, PT=203, length 2
                0x00, 0x00, 0x00, 0x01,  // SSRC 1
                0x00, 0x00, 0x00, 0x02,  // SSRC 2
            ]
        ),
        (
            "RFC 4585 §6.3.1 PLI kept as other",
            .other(packetType: 206, count: 1, body: ByteBuffer(bytes: [0, 0, 0, 1, 0x12, 0x34, 0x56, 0x78])),
            [
                0x81,  // V=2, P=0, FMT=1 (PLI)
                0xCE,  // PT=206 PSFB
                0x00, 0x02,  // length 2
                0x00, 0x00, 0x00, 0x01,  // SSRC of packet sender
                0x12, 0x34, 0x56, 0x78,  // SSRC of media source
            ]
        ),
    ]

    func testVectorsWriteAndParse() throws {
        for vector in Self.vectors {
            var buffer = ByteBuffer()
            RTCPCompound.write([vector.packet], into: &buffer)
            XCTAssertEqual(buffer.bytes, vector.bytes, vector.name)
            XCTAssertEqual(try RTCPCompound.parse(ByteBuffer(bytes: vector.bytes)), [vector.packet], vector.name)
        }
    }

    func testCompoundRoundTrip() throws {
        let packets = Self.vectors.map(\.packet)
        var buffer = ByteBuffer()
        RTCPCompound.write(packets, into: &buffer)
        XCTAssertEqual(buffer.bytes, Self.vectors.flatMap(\.bytes))
        XCTAssertEqual(try RTCPCompound.parse(buffer), packets)
    }

    func testMoreThan31ReportBlocksSplitIntoExtraRR() throws {
        let reports = (0..<33).map { index in
            ReceptionReport(ssrc: UInt32(index), fractionLost: 0, cumulativeLost: 0, highestSequence: 0, jitter: 0,
                            lastSenderReport: 0, delaySinceLastSenderReport: 0)
        }
        var buffer = ByteBuffer()
        RTCPCompound.write([.receiverReport(ReceiverReport(ssrc: 9, reports: reports))], into: &buffer)
        XCTAssertEqual(try RTCPCompound.parse(buffer), [
            .receiverReport(ReceiverReport(ssrc: 9, reports: Array(reports.prefix(31)))),
            .receiverReport(ReceiverReport(ssrc: 9, reports: Array(reports.suffix(2)))),
        ])
    }

    func testCumulativeLossIsClampedTo24Bits() throws {
        var block = Self.reportBlock
        block.cumulativeLost = 10_000_000
        var buffer = ByteBuffer()
        RTCPCompound.write([.receiverReport(ReceiverReport(ssrc: 1, reports: [block]))], into: &buffer)
        guard case .receiverReport(let parsed) = try RTCPCompound.parse(buffer).first else { return XCTFail() }
        XCTAssertEqual(parsed.reports.first?.cumulativeLost, 0x7F_FFFF)
    }

    func testPaddingOnLastPacket() throws {
        let bytes: [UInt8] = [
            0xA0, 0xC9, 0x00, 0x02,  // V=2, P=1, RC=0, PT=201, length 2
            0x00, 0x00, 0x00, 0x07,  // SSRC
            0x00, 0x00, 0x00, 0x04,  // 4 octets of padding, count included
        ]
        XCTAssertEqual(try RTCPCompound.parse(ByteBuffer(bytes: bytes)), [.receiverReport(ReceiverReport(ssrc: 7, reports: []))])
    }

    /// A lone BYE or feedback packet is accepted (documented leniency; RFC 5506 reduced-size RTCP).
    func testCompoundNotStartingWithReportIsAccepted() throws {
        let bye = Self.vectors[5].bytes
        XCTAssertEqual(try RTCPCompound.parse(ByteBuffer(bytes: bye)).count, 1)
    }

    func testRejectsBadVersionLengthsAndTruncation() {
        let rr: [UInt8] = [0x80, 0xC9, 0x00, 0x01, 0x00, 0x00, 0x00, 0x07]
        let vectors: [(name: String, bytes: [UInt8], error: RTCPParseError)] = [
            ("empty datagram", [], .empty),
            ("3 bytes", [0x80, 0xC9, 0x00], .truncated),
            ("version 1", [0x40] + rr.dropFirst(), .badVersion),
            ("version 0 in second packet", rr + [0x00] + rr.dropFirst(), .badVersion),
            ("length runs past the datagram", [0x80, 0xC9, 0x00, 0x02] + rr.dropFirst(4), .truncated),
            ("trailing bytes after the last packet", rr + [0x80, 0xC9], .truncated),
            ("padding on a packet that is not last", [0xA0] + rr.dropFirst() + rr, .badPadding),
            ("padding count zero", [0xA0, 0xC9, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00], .badPadding),
            ("padding count beyond body", [0xA0, 0xC9, 0x00, 0x01, 0x00, 0x00, 0x00, 0x09], .badPadding),
            ("RR announcing a block it lacks", [0x81] + rr.dropFirst(), .malformed(packetType: 201)),
            ("SR shorter than its sender info", [0x80, 0xC8, 0x00, 0x01, 0, 0, 0, 1], .malformed(packetType: 200)),
            ("SDES item runs past the packet", [0x81, 0xCA, 0x00, 0x02, 0, 0, 0, 1, 0x01, 0x09, 0x76, 0x69],
             .malformed(packetType: 202)),
            ("BYE announcing two sources with one", [0x82, 0xCB, 0x00, 0x01, 0, 0, 0, 1], .malformed(packetType: 203)),
        ]
        for vector in vectors {
            XCTAssertThrowsError(try RTCPCompound.parse(ByteBuffer(bytes: vector.bytes)), vector.name) { error in
                XCTAssertEqual(error as? RTCPParseError, vector.error, vector.name)
            }
        }
    }

    func testLongTextIsCutAtCharacterBoundary() throws {
        let name = String(repeating: "é", count: 200)  // 400 UTF-8 bytes
        var buffer = ByteBuffer()
        RTCPCompound.write([.sourceDescription(.cname(ssrc: 1, name))], into: &buffer)
        guard case .sourceDescription(let parsed) = try RTCPCompound.parse(buffer).first else { return XCTFail() }
        XCTAssertEqual(parsed.chunks.first?.items.first?.text, String(repeating: "é", count: 127))
    }
}
