import NIOCore
import XCTest
@testable import ServeWire

final class RTSPResponseTests: XCTestCase {
    static let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=cam\r\nt=0 0\r\n"

    static let vectors: [(name: String, response: RTSPResponse, text: String)] = [
        (
            "RFC 2326 §10.1 OPTIONS reply",
            RTSPResponse(status: .ok, headers: ["CSeq": "1", "Public": "DESCRIBE, SETUP, TEARDOWN, PLAY, PAUSE"]),
            "RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: DESCRIBE, SETUP, TEARDOWN, PLAY, PAUSE\r\n\r\n"
        ),
        (
            "DESCRIBE reply with SDP body",
            RTSPResponse(
                status: .ok, headers: ["CSeq": "2", "Content-Base": "rtsp://cam/", "Content-Type": "application/sdp"],
                body: ByteBuffer(string: sdp)
            ),
            "RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Base: rtsp://cam/\r\nContent-Type: application/sdp\r\n"
                + "Content-Length: \(sdp.utf8.count)\r\n\r\n" + sdp
        ),
        (
            "VLC 3.0 SETUP interleaved reply",
            RTSPResponse(status: .ok, headers: [
                "CSeq": "4", "Transport": "RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=1A2B3C4D",
                "Session": "12345678;timeout=60",
            ]),
            "RTSP/1.0 200 OK\r\nCSeq: 4\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=1A2B3C4D\r\n"
                + "Session: 12345678;timeout=60\r\n\r\n"
        ),
        (
            "RFC 2326 §11.3.11 454",
            RTSPResponse(status: .sessionNotFound, headers: ["CSeq": "9"]),
            "RTSP/1.0 454 Session Not Found\r\nCSeq: 9\r\n\r\n"
        ),
    ]

    func testWriteByteExact() {
        for vector in Self.vectors {
            var buffer = ByteBuffer()
            vector.response.write(into: &buffer)
            XCTAssertEqual(String(buffer: buffer), vector.text, vector.name)
        }
    }

    func testWriteReplacesStaleContentLength() {
        var buffer = ByteBuffer()
        RTSPResponse(status: .ok, headers: ["CSeq": "1", "Content-Length": "999"]).write(into: &buffer)
        XCTAssertEqual(String(buffer: buffer), "RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n")
    }

    func testResponseParserDripFedAndCoalesced() throws {
        var all = ByteBuffer()
        var expected: [RTSPResponseOrInterleaved] = []
        for vector in Self.vectors {
            var parser = RTSPResponseParser()
            var buffer = ByteBuffer()
            let bytes = Array(vector.text.utf8)
            for (index, byte) in bytes.enumerated() {
                buffer.writeInteger(byte)
                let result = try parser.next(&buffer)
                if index < bytes.count - 1 {
                    XCTAssertNil(result, vector.name)
                    XCTAssertEqual(buffer.readerIndex, 0, vector.name)
                } else {
                    XCTAssertEqual(result, .response(responseAsParsed(vector.response)), vector.name)
                }
            }
            all.writeString(vector.text)
            expected.append(.response(responseAsParsed(vector.response)))
            let frame = InterleavedFrame(channel: 0, payload: ByteBuffer(bytes: [0x80, 0x60, 0, 1]))
            frame.write(into: &all)
            expected.append(.interleaved(frame))
        }
        var parser = RTSPResponseParser()
        var results: [RTSPResponseOrInterleaved] = []
        while let next = try parser.next(&all) { results.append(next) }
        XCTAssertEqual(results, expected)
    }

    /// Parsing adds the Content-Length that writing computed.
    private func responseAsParsed(_ response: RTSPResponse) -> RTSPResponse {
        var parsed = response
        if response.body.readableBytes > 0 {
            parsed.headers.add(name: "Content-Length", value: "\(response.body.readableBytes)")
        }
        return parsed
    }

    func testResponseParserErrors() {
        let vectors: [(String, RTSPResponseParseError)] = [
            ("HTTP/1.1 200 OK\r\n\r\n", .unsupportedVersion),
            ("RTSP/1.0 OK\r\n\r\n", .malformedStatusLine),
            ("RTSP/1.0 2000 OK\r\n\r\n", .malformedStatusLine),
            ("RTSP/1.0 200 OK\r\nCSeq\r\n\r\n", .malformedHeader),
        ]
        for (text, error) in vectors {
            var parser = RTSPResponseParser()
            var buffer = ByteBuffer(string: text)
            XCTAssertThrowsError(try parser.next(&buffer), text) { XCTAssertEqual($0 as? RTSPResponseParseError, error, text) }
        }
    }

    func testStatusTable() {
        XCTAssertEqual(RTSPStatus(code: 461), .unsupportedTransport)
        XCTAssertEqual(RTSPStatus(code: 599).reason, "Unknown")
        let mapping: [(RTSPParseError, Int)] = [
            (.malformedRequestLine, 400), (.malformedHeader, 400), (.requestLineTooLong, 414),
            (.headerSectionTooLarge, 400), (.tooManyHeaders, 400), (.badContentLength, 400), (.bodyTooLarge, 413),
            (.unsupportedVersion, 505),
        ]
        for (error, code) in mapping {
            XCTAssertEqual(error.status.code, code, "\(error)")
        }
    }
}
