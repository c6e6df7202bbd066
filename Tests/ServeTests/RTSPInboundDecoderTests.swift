import NIOCore
import NIOEmbedded
import NIOTestUtils
import ServeWire
import XCTest

@testable import Serve

/// `RTSPInboundDecoder` under `ByteToMessageDecoderVerifier`: every vector drip-fed a byte at
/// a time, each in one write, and all of them coalesced in one buffer, in shuffled orders;
/// the channel must end with nothing left over.
final class RTSPInboundDecoderTests: XCTestCase {
    /// Named input bytes and what they decode to. Requests, interleaved frames (§10.12), and
    /// both in one write, as a client playing over TCP sends them.
    static let vectors: [(name: String, bytes: [UInt8], decoded: [RTSPInbound])] = [
        (
            "RFC 2326 §10.1 OPTIONS",
            Array(
                ("OPTIONS * RTSP/1.0\r\n"
                    + "CSeq: 1\r\n"
                    + "Require: implicit-play\r\n"
                    + "Proxy-Require: gzipped-messages\r\n"
                    + "\r\n").utf8),
            [
                .request(RTSPRequest(method: "OPTIONS", uri: "*", headers: [
                    ("CSeq", "1"), ("Require", "implicit-play"), ("Proxy-Require", "gzipped-messages"),
                ])),
            ]
        ),
        (
            "RFC 2326 §10.9 SET_PARAMETER with a body",
            Array(
                ("SET_PARAMETER rtsp://example.com/fizzle/foo RTSP/1.0\r\n"
                    + "CSeq: 421\r\n"
                    + "Content-length: 20\r\n"
                    + "Content-type: text/parameters\r\n"
                    + "\r\n"
                    + "barparam: barstuff\r\n").utf8),
            [
                .request(RTSPRequest(
                    method: "SET_PARAMETER", uri: "rtsp://example.com/fizzle/foo",
                    headers: [("CSeq", "421"), ("Content-length", "20"), ("Content-type", "text/parameters")],
                    body: ByteBuffer(string: "barparam: barstuff\r\n"))),
            ]
        ),
        (
            "RFC 2326 §4 robustness: a leading CRLF, then bare LF line ends",
            Array(("\r\nTEARDOWN rtsp://192.0.2.10:8554/live/ RTSP/1.0\nCSeq: 9\nSession: 12345678\n\n").utf8),
            [
                .request(RTSPRequest(method: "TEARDOWN", uri: "rtsp://192.0.2.10:8554/live/", headers: [
                    ("CSeq", "9"), ("Session", "12345678"),
                ])),
            ]
        ),
        (
            "RFC 2326 §10.12 interleaved RTCP receiver report on channel 1",
            [
                0x24, 0x01, 0x00, 0x08,  // '$', channel 1, length 8
                0x80, 0xC9, 0x00, 0x01,  // V=2, RC=0; PT=201 (RR); length 1 (8 bytes)
                0x00, 0x00, 0x51, 0x50,  // SSRC of the viewer
            ],
            [.interleaved(InterleavedFrame(channel: 1, payload: ByteBuffer(bytes: [0x80, 0xC9, 0x00, 0x01, 0x00, 0x00, 0x51, 0x50])))]
        ),
        (
            "interleaved frame whose payload looks like RTSP text",
            [0x24, 0x03, 0x00, 0x08] + Array("RTSP\r\n\r\n".utf8),  // '$', channel 3, length 8
            [.interleaved(InterleavedFrame(channel: 3, payload: ByteBuffer(string: "RTSP\r\n\r\n")))]
        ),
        (
            "empty interleaved frame on channel 255",
            [0x24, 0xFF, 0x00, 0x00],  // '$', channel 255, length 0
            [.interleaved(InterleavedFrame(channel: 255, payload: ByteBuffer()))]
        ),
        (
            "GET_PARAMETER keep-alive and an RTCP frame in one write, as a playing client sends them",
            Array(("GET_PARAMETER rtsp://192.0.2.10:8554/live/ RTSP/1.0\r\nCSeq: 7\r\nSession: 12345678\r\n\r\n").utf8)
                + [
                    0x24, 0x01, 0x00, 0x08,  // '$', channel 1, length 8
                    0x80, 0xC9, 0x00, 0x01,  // RR, no report blocks
                    0x00, 0x00, 0x51, 0x50,  // SSRC of the viewer
                ],
            [
                .request(RTSPRequest(method: "GET_PARAMETER", uri: "rtsp://192.0.2.10:8554/live/", headers: [
                    ("CSeq", "7"), ("Session", "12345678"),
                ])),
                .interleaved(InterleavedFrame(channel: 1, payload: ByteBuffer(bytes: [0x80, 0xC9, 0x00, 0x01, 0x00, 0x00, 0x51, 0x50]))),
            ]
        ),
    ]

    func testDecoderSurvivesDripFedAndCoalescedInput() throws {
        let pairs = Self.vectors.map { (ByteBuffer(bytes: $0.bytes), $0.decoded) }
        XCTAssertNoThrow(try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) { RTSPInboundDecoder() })
    }

    /// Each vector alone, so that a failure names the vector.
    func testEachVectorDecodesAlone() throws {
        for vector in Self.vectors {
            XCTAssertNoThrow(
                try ByteToMessageDecoderVerifier.verifyDecoder(
                    inputOutputPairs: [(ByteBuffer(bytes: vector.bytes), vector.decoded)]) { RTSPInboundDecoder() },
                vector.name)
        }
    }

    /// Malformed bytes are an error down the pipeline (the connection handler answers it and
    /// closes), never a request.
    func testMalformedRequestLineIsAnErrorNotAMessage() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(RTSPInboundDecoder()))
        XCTAssertThrowsError(try channel.writeInbound(ByteBuffer(string: "HELLO\r\n\r\n"))) { error in
            XCTAssertEqual(error as? RTSPParseError, .malformedRequestLine)
        }
        XCTAssertNil(try channel.readInbound(as: RTSPInbound.self))
        _ = try? channel.finish()
    }
}
