import NIOCore
import ServeWire
import XCTest

final class FeedbackMessageTests: XCTestCase {
    /// Byte vectors laid out by hand from RFC 4585 §6.1/§6.2.1/§6.3.1 and RFC 5104 §4.3.1.
    let vectors: [(String, [UInt8], FeedbackMessage)] = [
        ("RFC 4585 §6.3.1 PLI", [
            0x81, 206, 0x00, 0x02,  // V=2, FMT=1, PT=206 PSFB, length 2
            0x11, 0x11, 0x11, 0x11,  // sender SSRC
            0x22, 0x22, 0x22, 0x22,  // media source SSRC
        ], .pictureLossIndication(sender: 0x1111_1111, mediaSource: 0x2222_2222)),
        ("RFC 5104 §4.3.1 FIR", [
            0x84, 206, 0x00, 0x04,  // V=2, FMT=4, PT=206, length 4
            0x11, 0x11, 0x11, 0x11,  // sender SSRC
            0x00, 0x00, 0x00, 0x00,  // media source: 0 for FIR
            0x22, 0x22, 0x22, 0x22,  // FCI: SSRC
            0x07, 0x00, 0x00, 0x00,  // Seq nr 7, reserved
        ], .fullIntraRequest(sender: 0x1111_1111, requests: [.init(ssrc: 0x2222_2222, sequenceNumber: 7)])),
        ("RFC 4585 §6.2.1 generic NACK, PID 1000 with BLP 0x0005", [
            0x81, 205, 0x00, 0x03,  // V=2, FMT=1, PT=205 RTPFB, length 3
            0x11, 0x11, 0x11, 0x11,  // sender SSRC
            0x22, 0x22, 0x22, 0x22,  // media source SSRC
            0x03, 0xE8, 0x00, 0x05,  // PID 1000, BLP bits 0 and 2: 1001, 1003
        ], .genericNACK(sender: 0x1111_1111, mediaSource: 0x2222_2222, lost: [1000, 1001, 1003])),
    ]

    func testVectorsBothWays() throws {
        for (name, bytes, message) in vectors {
            let parsed = try RTCPCompound.parse(ByteBuffer(bytes: bytes))
            XCTAssertEqual(parsed.count, 1, name)
            XCTAssertEqual(parsed.first.flatMap(FeedbackMessage.init), message, name)
            var written = ByteBuffer()
            RTCPCompound.write([message.packet], into: &written)
            XCTAssertEqual(Array(written.readableBytesView), bytes, name)
        }
    }

    /// REMB as aiortc 1.16 writes it (`RtcpPsfbPacket(fmt=15, fci=pack_remb_fci(…))`, an
    /// independent implementation): 1 500 000 bit/s is exponent 3, mantissa 187 500; 123 456 789
    /// does not fit 18 bits and is carried as 241 126 · 2^9 = 123 456 512.
    func testREMBAsAiortcWritesIt() throws {
        let cases: [(String, UInt64, [UInt32])] = [
            ("8fce0005000051500000000052454d42010edc6c11111111", 1_500_000, [0x1111_1111]),
            ("8fce0006000051500000000052454d420227ade61111111122222222", 123_456_512, [0x1111_1111, 0x2222_2222]),
        ]
        for (hex, bits, ssrcs) in cases {
            let bytes = stride(from: 0, to: hex.count, by: 2).map {
                UInt8(hex[hex.index(hex.startIndex, offsetBy: $0)..<hex.index(hex.startIndex, offsetBy: $0 + 2)], radix: 16)!
            }
            let parsed = try RTCPCompound.parse(ByteBuffer(bytes: bytes))
            let message = FeedbackMessage.receiverEstimatedMaximumBitrate(sender: 0x5150, bitsPerSecond: bits, ssrcs: ssrcs)
            XCTAssertEqual(parsed.first.flatMap(FeedbackMessage.init), message, hex)
            var written = ByteBuffer()
            RTCPCompound.write([message.packet], into: &written)
            XCTAssertEqual(Array(written.readableBytesView), bytes, hex)
        }
    }

    /// Transport-wide feedback laid out by hand from draft-holmer-rmcat-transport-wide-cc-
    /// extensions-01 §3.1: the header fields are read; chunks and deltas are skipped.
    func testTransportWideFeedbackHeaderIsRead() throws {
        let bytes: [UInt8] = [
            0x8F, 205, 0x00, 0x05,  // V=2, FMT=15, PT=205 RTPFB, length 5
            0x11, 0x11, 0x11, 0x11,  // sender SSRC
            0x22, 0x22, 0x22, 0x22,  // media source SSRC
            0x01, 0x02, 0x00, 0x03,  // base sequence 258, packet status count 3
            0xFF, 0xFF, 0xFE, 0x07,  // reference time −2 (×64 ms), feedback packet count 7
            0x20, 0x03, 0x04, 0x00,  // run-length chunk: 3 × "received, small delta"; a delta; padding
        ]
        let parsed = try RTCPCompound.parse(ByteBuffer(bytes: bytes))
        XCTAssertEqual(
            parsed.first.flatMap(FeedbackMessage.init),
            .transportWideFeedback(
                sender: 0x1111_1111, mediaSource: 0x2222_2222, baseSequence: 258, statusCount: 3, referenceTime: -2, feedbackCount: 7))
        // Feedback that is neither asks for no key frame.
        XCTAssertFalse(parsed.first.flatMap(FeedbackMessage.init)!.asksForKeyFrame(of: 0x2222_2222))
    }

    func testNACKWrapsAndPacksIntoSeveralEntries() throws {
        let lost: [UInt16] = [65534, 65535, 0, 5, 40]
        let message = FeedbackMessage.genericNACK(sender: 1, mediaSource: 2, lost: lost)
        var buffer = ByteBuffer()
        RTCPCompound.write([message.packet], into: &buffer)
        let back = try XCTUnwrap(try RTCPCompound.parse(buffer).first.flatMap(FeedbackMessage.init))
        guard case .genericNACK(_, _, let got) = back else { return XCTFail() }
        XCTAssertEqual(Set(got), Set(lost))
        XCTAssertEqual(buffer.readableBytes, 12 + 4 * 2, "65534 covers 65535…5 (wrapping); 40 needs its own entry")
    }

    func testKeyFrameRequestsNameTheirSource() {
        XCTAssertTrue(FeedbackMessage.pictureLossIndication(sender: 1, mediaSource: 9).asksForKeyFrame(of: 9))
        XCTAssertFalse(FeedbackMessage.pictureLossIndication(sender: 1, mediaSource: 9).asksForKeyFrame(of: 8))
        XCTAssertTrue(FeedbackMessage.fullIntraRequest(sender: 1, requests: [.init(ssrc: 9, sequenceNumber: 0)]).asksForKeyFrame(of: 9))
        XCTAssertFalse(FeedbackMessage.genericNACK(sender: 1, mediaSource: 9, lost: [1]).asksForKeyFrame(of: 9))
    }

    func testOtherAndMalformedFeedbackIsIgnored() {
        XCTAssertNil(FeedbackMessage(.other(packetType: 206, count: 15, body: ByteBuffer(bytes: [0, 0, 0, 1, 0, 0, 0, 2]))), "AFB/REMB")
        XCTAssertNil(FeedbackMessage(.other(packetType: 205, count: 1, body: ByteBuffer(bytes: [0, 0, 0, 1]))), "truncated")
        XCTAssertNil(FeedbackMessage(.other(packetType: 205, count: 1, body: ByteBuffer(bytes: [0, 0, 0, 1, 0, 0, 0, 2]))), "NACK without FCI")
    }
}
