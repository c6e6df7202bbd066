import NIOCore
import XCTest
@testable import ServeWire
import TestSeeds

final class H264PacketizerTests: XCTestCase {
    let ssrc: UInt32 = 0x1A2B_3C4D

    func packetize(
        _ parts: [[UInt8]], timestamp: UInt32 = 90000, mtu: Int = 1400, headroom: Int = 0, sequence: UInt16 = 1000
    ) -> (packets: [ByteBuffer], packetizer: H264Packetizer) {
        var packetizer = H264Packetizer(
            payloadType: 96, ssrc: ssrc, initialSequenceNumber: sequence, mtu: mtu, headroom: headroom
        )
        var packets: [ByteBuffer] = []
        packetizer.packetize(parts: parts, timestamp: timestamp, into: &packets)
        return (packets, packetizer)
    }

    /// Byte-exact packets, shared with the depacketizer tests.
    static let vectors: [(name: String, accessUnit: [[UInt8]], packets: [[UInt8]])] = [
        (
            "RFC 6184 §5.6 single NAL unit packet",
            [[0x65, 0x88, 0x84, 0x00, 0x33]],
            [[
                0x80, 0xE0,  // V=2; M=1, PT=96
                0x03, 0xE8,  // sequence 1000
                0x00, 0x01, 0x5F, 0x90,  // timestamp 90000
                0x1A, 0x2B, 0x3C, 0x4D,  // SSRC
                0x65, 0x88, 0x84, 0x00, 0x33,  // the NAL unit itself (IDR, NRI=3)
            ]]
        ),
        (
            "RFC 6184 §5.7.1 STAP-A of x264 SPS + PPS + SEI",
            [X264Baseline.sps, X264Baseline.pps, [0x06, 0x05, 0x01, 0x80]],
            [[
                0x80, 0xE0,  // V=2; M=1 (last packet of the access unit), PT=96
                0x03, 0xE8,  // sequence 1000
                0x00, 0x01, 0x5F, 0x90,  // timestamp 90000
                0x1A, 0x2B, 0x3C, 0x4D,  // SSRC
                0x78,  // STAP-A header: F=0, NRI=3 (max of units), type 24
                0x00, 0x18,  // NALU 1 size 24
            ] + X264Baseline.sps + [
                0x00, 0x05,  // NALU 2 size 5
            ] + X264Baseline.pps + [
                0x00, 0x04,  // NALU 3 size 4
                0x06, 0x05, 0x01, 0x80,  // SEI (NRI=0)
            ]]
        ),
    ]

    func testVectors() {
        for vector in Self.vectors {
            let (packets, _) = packetize(vector.accessUnit)
            XCTAssertEqual(packets.map(\.bytes), vector.packets, vector.name)
        }
    }

    /// "x264 IDR split at MTU": a 5000-byte IDR NAL unit (header 0x65) at MTU 1400.
    func testFUASplitOfLargeIDR() {
        let idr: [UInt8] = [0x65] + (1..<5000).map { UInt8(truncatingIfNeeded: $0) }
        let (packets, packetizer) = packetize([X264Baseline.sps, X264Baseline.pps, idr])

        XCTAssertEqual(packets.count, 5, "STAP-A(SPS, PPS) + 4 FU-A")
        XCTAssertEqual(packets.map(\.readableBytes), [12 + 1 + 2 + 24 + 2 + 5, 1400, 1400, 1400, 12 + 2 + 841])
        XCTAssertTrue(packets.allSatisfy { $0.readableBytes <= 1400 })

        let fragments = packets.dropFirst().map { $0.bytes }
        // FU indicator: F=0, NRI=3 from the IDR header, type 28.
        XCTAssertEqual(fragments.map { $0[12] }, [0x7C, 0x7C, 0x7C, 0x7C])
        // FU header: S on the first, E on the last, type 5 on all.
        XCTAssertEqual(fragments.map { $0[13] }, [0x85, 0x05, 0x05, 0x45])
        // Markers: only on the last packet of the access unit.
        XCTAssertEqual(packets.map { $0.bytes[1] & 0x80 != 0 }, [false, false, false, false, true])
        // Fragments concatenate to the NAL unit without its header.
        XCTAssertEqual(fragments.flatMap { $0.dropFirst(14) }, Array(idr.dropFirst()))
        // Sequence numbers advance by one; the timestamp is shared.
        XCTAssertEqual(packets.map { $0.getInteger(at: 2, as: UInt16.self)! }, [1000, 1001, 1002, 1003, 1004])
        XCTAssertTrue(packets.allSatisfy { $0.getInteger(at: 4, as: UInt32.self) == 90000 })
        XCTAssertEqual(packetizer.nextSequenceNumber, 1005)
    }

    func testNRIOfFUIndicatorFollowsNALHeader() {
        // A non-reference slice (NRI=0, type 1) split into FU-A keeps NRI=0.
        let slice: [UInt8] = [0x01] + Array(repeating: 0xAA, count: 600)
        let (packets, _) = packetize([slice], mtu: 300)
        XCTAssertTrue(packets.allSatisfy { $0.bytes[12] == 0x1C })
        XCTAssertEqual(packets.first?.bytes[13], 0x81)
        XCTAssertEqual(packets.last?.bytes[13], 0x41)
    }

    func testLargeNALBetweenSmallOnesAndMarker() {
        let big: [UInt8] = [0x65] + Array(repeating: 1, count: 3000)
        let (packets, _) = packetize([[0x06, 1], big, [0x01, 2, 3]])
        // SEI alone (next unit does not fit), FU-A ×3, then the small slice as a single NAL unit.
        XCTAssertEqual(packets.map { $0.bytes[12] & 0x1F }, [6, 28, 28, 28, 1])
        XCTAssertEqual(packets.map { $0.bytes[1] & 0x80 != 0 }, [false, false, false, false, true])
    }

    func testHeadroomIsReservedBeforeEachPacket() {
        let (packets, _) = packetize([X264Baseline.sps, X264Baseline.pps, [0x65] + Array(repeating: 7, count: 4000)],
                                     headroom: InterleavedFrame.headerSize)
        let (plain, _) = packetize([X264Baseline.sps, X264Baseline.pps, [0x65] + Array(repeating: 7, count: 4000)])
        for (packet, reference) in zip(packets, plain) {
            XCTAssertEqual(packet.readerIndex, 4)
            XCTAssertEqual(packet.bytes, reference.bytes, "readable bytes are exactly the RTP packet")
            var framed = packet
            XCTAssertTrue(InterleavedFrame.prependHeader(channel: 0, to: &framed))
            XCTAssertEqual(framed.bytes, [0x24, 0x00] + withUnsafeBytes(of: UInt16(packet.readableBytes).bigEndian, Array.init)
                + reference.bytes)
        }
        var noRoom = plain[0]
        XCTAssertFalse(InterleavedFrame.prependHeader(channel: 0, to: &noRoom))
        XCTAssertEqual(noRoom, plain[0])
    }

    func testSequenceNumbersWrap() {
        var packetizer = H264Packetizer(payloadType: 96, ssrc: ssrc, initialSequenceNumber: 65534)
        var packets: [ByteBuffer] = []
        for frame in 0..<4 {
            packetizer.packetize(parts: [[0x41, UInt8(frame)]], timestamp: UInt32(frame) * 3000, into: &packets)
        }
        XCTAssertEqual(packets.map { $0.getInteger(at: 2, as: UInt16.self)! }, [65534, 65535, 0, 1])
        XCTAssertEqual(packetizer.nextSequenceNumber, 2)
    }

    func testCountsForSenderReport() {
        let idr: [UInt8] = [0x65] + Array(repeating: 0, count: 4999)
        let (packets, packetizer) = packetize([X264Baseline.sps, X264Baseline.pps, idr])
        XCTAssertEqual(packetizer.packetCount, 5)
        XCTAssertEqual(packetizer.octetCount, UInt32(packets.reduce(0) { $0 + $1.readableBytes - RTPHeader.size }))
        XCTAssertEqual(packetizer.payloadType, 96)
        XCTAssertEqual(packetizer.ssrc, ssrc)
    }

    func testEmptyPartsAreSkipped() {
        let (packets, packetizer) = packetize([[], [0x41, 1], []])
        XCTAssertEqual(packets.map(\.bytes), [[0x80, 0xE0, 0x03, 0xE8, 0, 1, 0x5F, 0x90, 0x1A, 0x2B, 0x3C, 0x4D, 0x41, 1]])
        XCTAssertEqual(packetizer.packetCount, 1)
    }

    /// Seeded random access units: packetize → parse → depacketize gives back the input.
    func testSeededRandomRoundTrip() throws {
        let seed = TestSeed.value(default: 0x5EED_264)
        var generator = SeededRandom(seed: seed)
        for mtu in [1400, 256] {
            var packetizer = H264Packetizer(
                payloadType: 96, ssrc: ssrc, initialSequenceNumber: 65000, mtu: mtu, headroom: 4
            )
            var depacketizer = H264Depacketizer()
            for frame in 0..<200 {
                let accessUnit = randomAccessUnit(using: &generator)
                var packets: [ByteBuffer] = []
                packetizer.packetize(parts: accessUnit, timestamp: UInt32(frame) * 3000, into: &packets)
                XCTAssertTrue(packets.allSatisfy { $0.readableBytes <= mtu }, "frame \(frame) mtu \(mtu), \(TestSeed.describe(seed))")
                var result: [[UInt8]]?
                for (index, buffer) in packets.enumerated() {
                    let output = try depacketizer.push(try RTPPacket(parsing: buffer))
                    XCTAssertEqual(output != nil, index == packets.count - 1, "frame \(frame) mtu \(mtu), \(TestSeed.describe(seed))")
                    result = output ?? result
                }
                XCTAssertEqual(result, accessUnit, "frame \(frame) mtu \(mtu), \(TestSeed.describe(seed))")
            }
            XCTAssertEqual(depacketizer.droppedAccessUnits, 0)
        }
    }

    private func randomAccessUnit(using generator: inout SeededRandom) -> [[UInt8]] {
        let count = Int.random(in: 1...6, using: &generator)
        return (0..<count).map { _ in
            let size: Int
            switch Int.random(in: 0..<10, using: &generator) {
            case 0..<4: size = Int.random(in: 1...40, using: &generator)
            case 4..<8: size = Int.random(in: 41...1500, using: &generator)
            default: size = Int.random(in: 1500...6000, using: &generator)
            }
            let nri = UInt8.random(in: 0...3, using: &generator) << 5
            let type = UInt8.random(in: 1...23, using: &generator)
            return [nri | type] + (1..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
        }
    }
}
