import NIOCore
import XCTest

@testable import ServeWire
import TestSeeds

/// Byte-exact vectors for both H.263 payload formats, shared by packetizer and depacketizer,
/// and seeded round trips.
final class H263PacketizerTests: XCTestCase {
    // MARK: Vectors

    /// A sub-QCIF intra picture header, TR 0, PQUANT 10 (ITU-T H.263 §5.1), then two bytes of
    /// macroblock data: the first GOB segment of a picture.
    static let subQCIFIntraGOB0: [UInt8] = [
        0x00, 0x00,  // PSC: 16 zeros …
        0x80,        // … 1 00000, TR bits 1–2 = 00
        0x02,        // TR bits 3–8 = 000000, PTYPE 1–2 = 1 0
        0x04,        // PTYPE 3–5 = 000, source format 001 (sub-QCIF), 9 = 0 (intra), 10 = 0
        0x0A,        // PTYPE 11–13 = 000, PQUANT = 01010
        0x3F, 0xAB,  // CPM 0, PEI 0, macroblock data
    ]

    /// The GOB 1 segment: GBSC, GN 1, GFID 0, GQUANT 10 (§5.2), then macroblock data.
    static let gob1: [UInt8] = [
        0x00, 0x00,  // GBSC: 16 zeros …
        0x84,        // … 1, GN = 00001, GFID = 00
        0x53,        // GQUANT = 01010, macroblock data 011
        0xC0, 0xFF, 0x11,
    ]

    /// The GOB 2 segment.
    static let gob2: [UInt8] = [
        0x00, 0x00,  // GBSC
        0x88,        // 1, GN = 00010, GFID = 00
        0x50, 0x77,  // GQUANT = 01010, data
    ]

    /// A CIF inter picture header with TR 5.
    static let cifInterGOB0: [UInt8] = [
        0x00, 0x00, 0x80,  // PSC, TR bits 1–2 = 00
        0x16,              // TR bits 3–8 = 000101 (TR 5), PTYPE 1–2 = 1 0
        0x0E,              // PTYPE 3–5 = 000, source format 011 (CIF), 9 = 1 (inter), 10 = 0
        0x0A, 0x12,        // PTYPE 11–13 = 000, PQUANT 10, CPM 0, PEI 0, data
    ]

    func rtpHeader(marker: Bool, payloadType: UInt8, sequence: UInt16, timestamp: UInt32, ssrc: UInt32) -> [UInt8] {
        [0x80, (marker ? 0x80 : 0) | payloadType, UInt8(sequence >> 8), UInt8(sequence & 0xFF),
         UInt8(timestamp >> 24), UInt8(timestamp >> 16 & 0xFF), UInt8(timestamp >> 8 & 0xFF), UInt8(timestamp & 0xFF),
         UInt8(ssrc >> 24), UInt8(ssrc >> 16 & 0xFF), UInt8(ssrc >> 8 & 0xFF), UInt8(ssrc & 0xFF)]
    }

    // MARK: RFC 4629

    /// "RFC 4629 §6.1.1 picture start, GOBs packed whole": MTU 12 + 2 + 13 fits the picture
    /// header segment (6 bytes without its start code's zeros) and GOB 1 (7) in one packet;
    /// GOB 2 starts the next, again with P=1.
    func testRFC4629PacksWholeGOBsWithPictureAndGOBStarts() throws {
        var packetizer = H263RFC4629Packetizer(payloadType: 96, ssrc: 0x1234_5678, initialSequenceNumber: 7, mtu: 12 + 2 + 13)
        var packets: [ByteBuffer] = []
        packetizer.packetize(parts: [Self.subQCIFIntraGOB0, Self.gob1, Self.gob2], timestamp: 90_000, into: &packets)
        XCTAssertEqual(packets.count, 2)
        XCTAssertEqual(Array(packets[0].readableBytesView), rtpHeader(marker: false, payloadType: 96, sequence: 7, timestamp: 90_000, ssrc: 0x1234_5678) + [
            0x04, 0x00,  // RR = 0, P = 1 (starts at a start code), V = 0, PLEN = 0, PEBIT = 0
            0x80, 0x02, 0x04, 0x0A, 0x3F, 0xAB,  // the picture header segment without PSC's two zero bytes
            0x00, 0x00, 0x84, 0x53, 0xC0, 0xFF, 0x11,  // GOB 1 whole, its start code kept
        ])
        XCTAssertEqual(Array(packets[1].readableBytesView), rtpHeader(marker: true, payloadType: 96, sequence: 8, timestamp: 90_000, ssrc: 0x1234_5678) + [
            0x04, 0x00,  // P = 1: begins at GOB 2's start code
            0x88, 0x50, 0x77,  // GOB 2 without its two zero bytes; marker: the picture's last packet
        ])
        XCTAssertEqual(packetizer.packetCount, 2)
        XCTAssertEqual(packetizer.octetCount, UInt32(2 + 13 + 2 + 3))

        var depacketizer = H263Depacketizer(format: .rfc4629)
        XCTAssertNil(try depacketizer.push(RTPPacket(parsing: packets[0])))
        XCTAssertEqual(try depacketizer.push(RTPPacket(parsing: packets[1])), Self.subQCIFIntraGOB0 + Self.gob1 + Self.gob2)
    }

    /// "RFC 4629 §6.2 follow-on packets": a GOB larger than a packet continues with P=0.
    func testRFC4629SplitsALargeGOBIntoFollowOnPackets() throws {
        var packetizer = H263RFC4629Packetizer(payloadType: 96, ssrc: 1, initialSequenceNumber: 0xFFFF, mtu: 12 + 2 + 4, headroom: 4)
        var packets: [ByteBuffer] = []
        packetizer.packetize(parts: [Self.cifInterGOB0], timestamp: 0, into: &packets)
        let payloads = packets.map { Array($0.readableBytesView.dropFirst(12)) }
        XCTAssertEqual(payloads, [
            [0x04, 0x00, 0x80, 0x16, 0x0E, 0x0A],  // P = 1, PSC's zeros left out, 4 bytes of the segment
            [0x00, 0x00, 0x12],                    // P = 0: a follow-on packet, the segment's last byte
        ])
        XCTAssertTrue(packets.allSatisfy { $0.readerIndex == 4 }, "headroom for the interleaved header")
        XCTAssertEqual(packets.map { $0.getInteger(at: $0.readerIndex + 2, as: UInt16.self)! }, [0xFFFF, 0], "sequence wraps")
        XCTAssertEqual(packets.map { $0.getInteger(at: $0.readerIndex + 1, as: UInt8.self)! & 0x80 }, [0, 0x80], "marker on the last")
        var depacketizer = H263Depacketizer(format: .rfc4629)
        var pictures: [[UInt8]] = []
        for packet in packets {
            if let picture = try depacketizer.push(RTPPacket(parsing: packet)) { pictures.append(picture) }
        }
        XCTAssertEqual(pictures, [Self.cifInterGOB0])
    }

    // MARK: RFC 2190

    /// "RFC 2190 §5.1 mode A, sub-QCIF intra": every packet starts at the picture or a GOB
    /// start and carries the 4-byte mode A header built from the picture header.
    func testRFC2190ModeAHeadersAtPictureAndGOBStarts() throws {
        var packetizer = H263RFC2190Packetizer(ssrc: 0xDEAD_BEEF, initialSequenceNumber: 1000, mtu: 12 + 4 + 15)
        var packets: [ByteBuffer] = []
        packetizer.packetize(parts: [Self.subQCIFIntraGOB0, Self.gob1, Self.gob2], timestamp: 3000, into: &packets)
        XCTAssertEqual(packets.count, 2)
        XCTAssertEqual(Array(packets[0].readableBytesView), rtpHeader(marker: false, payloadType: 34, sequence: 1000, timestamp: 3000, ssrc: 0xDEAD_BEEF) + [
            0x00,  // F = 0 (mode A), P = 0, SBIT = 0, EBIT = 0
            0x20,  // SRC = 001 (sub-QCIF), I = 0 (intra), U = S = A = 0, R
            0x00,  // R, DBQ = 0, TRB = 0
            0x00,  // TR = 0
        ] + Self.subQCIFIntraGOB0 + Self.gob1)  // 8 + 7 bytes: the 15 a packet holds
        XCTAssertEqual(Array(packets[1].readableBytesView), rtpHeader(marker: true, payloadType: 34, sequence: 1001, timestamp: 3000, ssrc: 0xDEAD_BEEF) + [
            0x00, 0x20, 0x00, 0x00,  // the same mode A header for every packet of the picture
        ] + Self.gob2)  // begins at GOB 2's start code, which stays in the payload

        var depacketizer = H263Depacketizer(format: .rfc2190)
        XCTAssertNil(try depacketizer.push(RTPPacket(parsing: packets[0])))
        XCTAssertEqual(try depacketizer.push(RTPPacket(parsing: packets[1])), Self.subQCIFIntraGOB0 + Self.gob1 + Self.gob2)
    }

    /// "RFC 2190 §5.1 mode A, CIF inter TR 5": SRC = 011, I = 1, TR = 5.
    func testRFC2190ModeAHeaderOfAnInterPicture() {
        XCTAssertEqual(H263RFC2190Packetizer.modeAHeader(H263PictureHeader(Self.cifInterGOB0)!), [
            0x00,  // F, P, SBIT, EBIT
            0x70,  // SRC = 011 (CIF), I = 1 (inter), U = S = A = 0
            0x00,  // R, DBQ, TRB
            0x05,  // TR = 5
        ])
    }

    /// "MS-H26XPF §4.5 mode A, CIF, EBIT 2": a receiver joins the last byte of a packet whose
    /// EBIT is 2 with the next packet's first byte (SBIT 6).
    func testRFC2190DepacketizerJoinsBitsAcrossPackets() throws {
        var depacketizer = H263Depacketizer(format: .rfc2190)
        let first = RTPPacket(
            header: RTPHeader(marker: false, payloadType: 34, sequenceNumber: 1, timestamp: 9, ssrc: 1),
            payload: ByteBuffer(bytes: [0x02, 0x60, 0x00, 0x02,  // F 0, P 0, SBIT 0, EBIT 2 | SRC 3, I 0 | 0 | TR 2
                                        0x00, 0x00, 0x80, 0xFC]))  // data; the last 2 bits of 0xFC are not its own
        let second = RTPPacket(
            header: RTPHeader(marker: true, payloadType: 34, sequenceNumber: 2, timestamp: 9, ssrc: 1),
            payload: ByteBuffer(bytes: [0x30, 0x60, 0x00, 0x02,  // SBIT 6, EBIT 0
                                        0xFE, 0x55]))           // 6 ignored high bits, then 2 bits (10) for the last byte
        XCTAssertNil(try depacketizer.push(first))
        XCTAssertEqual(try depacketizer.push(second), [0x00, 0x00, 0x80, 0xFE, 0x55])
    }

    func testDepacketizersRefuseMalformedInput() {
        var modeB = H263Depacketizer(format: .rfc2190)
        let packet = RTPPacket(
            header: RTPHeader(marker: true, payloadType: 34, sequenceNumber: 1, timestamp: 0, ssrc: 1),
            payload: ByteBuffer(bytes: [0x80, 0, 0, 0, 0, 0, 0, 0, 1]))
        XCTAssertThrowsError(try modeB.push(packet)) { XCTAssertEqual($0 as? H263DepacketizerError, .unsupportedMode) }
        var followOn = H263Depacketizer(format: .rfc4629)
        let orphan = RTPPacket(
            header: RTPHeader(marker: true, payloadType: 96, sequenceNumber: 1, timestamp: 0, ssrc: 1),
            payload: ByteBuffer(bytes: [0x00, 0x00, 0x12]))
        XCTAssertThrowsError(try followOn.push(orphan)) { XCTAssertEqual($0 as? H263DepacketizerError, .followOnWithoutStart) }
    }

    // MARK: Picture header and SDP

    /// An H.263+ picture header with PLUSPTYPE and a 640x480 custom format, P-picture, TR 9.
    func testPictureHeaderReadsExtendedPTYPE() throws {
        var bits = "0000000000000000" + "100000" + "00001001"   // PSC, TR 9
        bits += "10" + "000" + "111"                              // PTYPE 1–8: extended
        bits += "001" + "110" + "00000000000" + "1000"            // UFEP 001, OPPTYPE: custom, options off
        bits += "001" + "000" + "001"                             // MPPTYPE: P-picture
        bits += String(repeating: "0", count: 8 - bits.count % 8)
        let bytes = stride(from: 0, to: bits.count, by: 8).map { i -> UInt8 in
            let start = bits.index(bits.startIndex, offsetBy: i)
            return UInt8(bits[start..<bits.index(start, offsetBy: 8)], radix: 2)!
        }
        let header = try XCTUnwrap(H263PictureHeader(bytes))
        XCTAssertEqual(header.temporalReference, 9)
        XCTAssertEqual(header.sourceFormat, 7)
        XCTAssertTrue(header.isInter)
        XCTAssertNil(H263PictureHeader(Self.gob1 + [0, 0, 0, 0, 0, 0]), "a GOB start is not a picture start")
    }

    func testSDPNamesAndFormatParameters() {
        XCTAssertEqual(H263Format.Payload.rfc4629.encodingName, "H263-1998")
        XCTAssertEqual(H263Format.Payload.rfc4629Profile2000.encodingName, "H263-2000")
        XCTAssertEqual(H263Format.Payload.rfc2190.encodingName, "H263")
        XCTAssertEqual(H263Format.Payload.rfc2190.staticPayloadType, 34)
        XCTAssertNil(H263Format.Payload.rfc4629.staticPayloadType)
        XCTAssertEqual(H263Format.fmtp(payload: .rfc4629, width: 352, height: 288, bitrateKbps: 384), "CIF=1")
        XCTAssertEqual(H263Format.fmtp(payload: .rfc4629, width: 640, height: 480, bitrateKbps: 384), "CUSTOM=640,480,1")
        XCTAssertEqual(H263Format.fmtp(payload: .rfc2190, width: 176, height: 144, bitrateKbps: 64), "QCIF=1")
        XCTAssertEqual(H263Format.fmtp(payload: .rfc4629Profile2000, width: 352, height: 288, bitrateKbps: 384), "profile=0;level=30")
    }

    // MARK: Round trips

    /// Seeded random pictures (3–20 segments of 3–3000 bytes, each starting with a start
    /// code) at random MTUs: both formats give back exactly the bytes they were given, every
    /// packet within the MTU (mode A: unless one segment alone is larger), marker only last.
    func testSeededRoundTripsThroughBothFormats() throws {
        let seed = TestSeed.value(default: 0xC0FF_EE00)
        var state = seed
        func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
        for round in 0..<200 {
            var parts = [Self.subQCIFIntraGOB0 + (0..<next(3000)).map { _ in UInt8(next(255) + 1) }]
            for _ in 0..<(2 + next(18)) { parts.append(Self.gob1 + (0..<next(1500)).map { _ in UInt8(next(255) + 1) }) }
            let mtu = 40 + next(1500)
            for format in [H263Depacketizer.Format.rfc4629, .rfc2190] {
                var packets: [ByteBuffer] = []
                if format == .rfc4629 {
                    var packetizer = H263RFC4629Packetizer(payloadType: 96, ssrc: 5, initialSequenceNumber: UInt16(round), mtu: mtu)
                    packetizer.packetize(parts: parts, timestamp: 1, into: &packets)
                    XCTAssertTrue(packets.allSatisfy { $0.readableBytes <= mtu })
                } else {
                    var packetizer = H263RFC2190Packetizer(ssrc: 5, initialSequenceNumber: UInt16(round), mtu: mtu)
                    packetizer.packetize(parts: parts, timestamp: 1, into: &packets)
                    let largest = parts.map(\.count).max()!
                    XCTAssertTrue(packets.allSatisfy { $0.readableBytes <= max(mtu, 12 + 4 + largest) })
                    XCTAssertTrue(packets.allSatisfy { $0.getBytes(at: 16, length: 2) == [0, 0] }, "each begins at a start code")
                }
                var depacketizer = H263Depacketizer(format: format)
                var pictures: [[UInt8]] = []
                for (i, packet) in packets.enumerated() {
                    XCTAssertEqual(packet.getInteger(at: 1, as: UInt8.self)! & 0x80 != 0, i == packets.count - 1)
                    if let picture = try depacketizer.push(RTPPacket(parsing: packet)) { pictures.append(picture) }
                }
                XCTAssertEqual(pictures, [parts.flatMap { $0 }], "round \(round) \(format) mtu \(mtu), \(TestSeed.describe(seed))")
            }
        }
    }
}
