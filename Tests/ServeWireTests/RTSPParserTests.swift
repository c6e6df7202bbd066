import NIOCore
import XCTest
@testable import ServeWire
import TestSeeds

final class RTSPParserTests: XCTestCase {
    /// Named request vectors. The ffmpeg and GStreamer ones were captured from the real clients
    /// (ffprobe 5.1.9 / Lavf59.27.100 and gst-launch-1.0 1.22.0 rtspsrc, Debian 12) against a
    /// recording stub server; the VLC one follows live555's RTSPClient request layout.
    static let vectors: [(name: String, text: String, request: RTSPRequest)] = [
        (
            "RFC 2326 §10.2 DESCRIBE",
            "DESCRIBE rtsp://server.example.com/fizzle/foo RTSP/1.0\r\n"
                + "CSeq: 312\r\n"
                + "Accept: application/sdp, application/rtsl, application/mheg\r\n"
                + "\r\n",
            RTSPRequest(method: "DESCRIBE", uri: "rtsp://server.example.com/fizzle/foo", headers: [
                ("CSeq", "312"), ("Accept", "application/sdp, application/rtsl, application/mheg"),
            ])
        ),
        (
            "RFC 2326 §10.9 SET_PARAMETER with body",
            "SET_PARAMETER rtsp://example.com/fizzle/foo RTSP/1.0\r\n"
                + "CSeq: 421\r\n"
                + "Content-length: 20\r\n"
                + "Content-type: text/parameters\r\n"
                + "\r\n"
                + "barparam: barstuff\r\n",
            RTSPRequest(
                method: "SET_PARAMETER", uri: "rtsp://example.com/fizzle/foo",
                headers: [("CSeq", "421"), ("Content-length", "20"), ("Content-type", "text/parameters")],
                body: ByteBuffer(string: "barparam: barstuff\r\n")
            )
        ),
        (
            "ffmpeg 5 SETUP UDP",
            "SETUP rtsp://127.0.0.1:18554/cam/trackID=0 RTSP/1.0\r\n"
                + "Transport: RTP/AVP/UDP;unicast;client_port=5348-5349\r\n"
                + "CSeq: 3\r\n"
                + "User-Agent: Lavf59.27.100\r\n"
                + "\r\n",
            RTSPRequest(method: "SETUP", uri: "rtsp://127.0.0.1:18554/cam/trackID=0", headers: [
                ("Transport", "RTP/AVP/UDP;unicast;client_port=5348-5349"), ("CSeq", "3"),
                ("User-Agent", "Lavf59.27.100"),
            ])
        ),
        (
            "ffmpeg 5 PLAY",
            "PLAY rtsp://127.0.0.1:18554/cam/ RTSP/1.0\r\n"
                + "Range: npt=0.000-\r\n"
                + "CSeq: 4\r\n"
                + "User-Agent: Lavf59.27.100\r\n"
                + "Session: 12345678\r\n"
                + "\r\n",
            RTSPRequest(method: "PLAY", uri: "rtsp://127.0.0.1:18554/cam/", headers: [
                ("Range", "npt=0.000-"), ("CSeq", "4"), ("User-Agent", "Lavf59.27.100"), ("Session", "12345678"),
            ])
        ),
        (
            "GStreamer rtspsrc OPTIONS (repeated User-Agent)",
            "OPTIONS rtsp://127.0.0.1:18555/cam RTSP/1.0\r\n"
                + "CSeq: 1\r\n"
                + "User-Agent: GStreamer/1.22.0\r\n"
                + "User-Agent: RealMedia Player Version 6.0.9.1235 (linux-2.0-libc6-i386-gcc2.95)\r\n"
                + "ClientChallenge: 9e26d33f2984236010ef6253fb1887f7\r\n"
                + "CompanyID: KnKV4M4I/B2FjJ1TToLycw==\r\n"
                + "GUID: 00000000-0000-0000-0000-000000000000\r\n"
                + "RegionData: 0\r\n"
                + "PlayerStarttime: [28/03/2003:22:50:23 00:00]\r\n"
                + "ClientID: Linux_2.4_6.0.9.1235_play32_RN01_EN_586\r\n"
                + "Date: Wed, 25 Nov 2026 02:25:46 GMT\r\n"
                + "\r\n",
            RTSPRequest(method: "OPTIONS", uri: "rtsp://127.0.0.1:18555/cam", headers: [
                ("CSeq", "1"), ("User-Agent", "GStreamer/1.22.0"),
                ("User-Agent", "RealMedia Player Version 6.0.9.1235 (linux-2.0-libc6-i386-gcc2.95)"),
                ("ClientChallenge", "9e26d33f2984236010ef6253fb1887f7"), ("CompanyID", "KnKV4M4I/B2FjJ1TToLycw=="),
                ("GUID", "00000000-0000-0000-0000-000000000000"), ("RegionData", "0"),
                ("PlayerStarttime", "[28/03/2003:22:50:23 00:00]"),
                ("ClientID", "Linux_2.4_6.0.9.1235_play32_RN01_EN_586"), ("Date", "Wed, 25 Nov 2026 02:25:46 GMT"),
            ])
        ),
        (
            "GStreamer rtspsrc SETUP",
            "SETUP rtsp://127.0.0.1:18555/cam/trackID=0 RTSP/1.0\r\n"
                + "CSeq: 3\r\n"
                + "User-Agent: GStreamer/1.22.0\r\n"
                + "Transport: RTP/AVP;unicast;client_port=33890-33891\r\n"
                + "Date: Wed, 25 Nov 2026 02:25:46 GMT\r\n"
                + "\r\n",
            RTSPRequest(method: "SETUP", uri: "rtsp://127.0.0.1:18555/cam/trackID=0", headers: [
                ("CSeq", "3"), ("User-Agent", "GStreamer/1.22.0"),
                ("Transport", "RTP/AVP;unicast;client_port=33890-33891"), ("Date", "Wed, 25 Nov 2026 02:25:46 GMT"),
            ])
        ),
        (
            "VLC 3.0 SETUP interleaved",
            "SETUP rtsp://192.168.1.10:8554/cam/trackID=0 RTSP/1.0\r\n"
                + "CSeq: 4\r\n"
                + "User-Agent: LibVLC/3.0.18 (LIVE555 Streaming Media v2022.07.14)\r\n"
                + "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n"
                + "\r\n",
            RTSPRequest(method: "SETUP", uri: "rtsp://192.168.1.10:8554/cam/trackID=0", headers: [
                ("CSeq", "4"), ("User-Agent", "LibVLC/3.0.18 (LIVE555 Streaming Media v2022.07.14)"),
                ("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1"),
            ])
        ),
        (
            "bare LF line endings, leading CRLF, folded header, no space after colon",
            "\r\nGET_PARAMETER rtsp://cam/ RTSP/1.0\n"
                + "CSeq:7\n"
                + "Session: 12345678;timeout=60\n"
                + "X-Note: first\n"
                + "  second\n"
                + "\n",
            RTSPRequest(method: "GET_PARAMETER", uri: "rtsp://cam/", headers: [
                ("CSeq", "7"), ("Session", "12345678;timeout=60"), ("X-Note", "first second"),
            ])
        ),
    ]

    func testVectorsDripFed() throws {
        for vector in Self.vectors {
            var parser = RTSPParser()
            var buffer = ByteBuffer()
            let bytes = Array(vector.text.utf8)
            for (index, byte) in bytes.enumerated() {
                buffer.writeInteger(byte)
                let before = buffer
                let result = try parser.next(&buffer)
                if index < bytes.count - 1 {
                    XCTAssertNil(result, "\(vector.name): complete after \(index + 1) of \(bytes.count) bytes")
                    XCTAssertEqual(buffer, before, vector.name)
                    XCTAssertEqual(buffer.readerIndex, 0, vector.name)
                } else {
                    XCTAssertEqual(result, .request(vector.request), vector.name)
                    XCTAssertEqual(buffer.readableBytes, 0, vector.name)
                }
            }
        }
    }

    func testVectorsCoalescedWithInterleavedFrames() throws {
        var buffer = ByteBuffer()
        var expected: [RTSPInbound] = []
        for (index, vector) in Self.vectors.enumerated() {
            buffer.writeString(vector.text)
            expected.append(.request(vector.request))
            // An RTCP receiver report on channel 1 after each request, as TCP clients send.
            let frame = InterleavedFrame(channel: 1, payload: ByteBuffer(bytes: [0x80, 0xC9, 0x00, 0x01, 0, 0, 0, UInt8(index)]))
            frame.write(into: &buffer)
            expected.append(.interleaved(frame))
        }
        var parser = RTSPParser()
        var results: [RTSPInbound] = []
        while let inbound = try parser.next(&buffer) {
            results.append(inbound)
        }
        XCTAssertEqual(results, expected)
        XCTAssertEqual(buffer.readableBytes, 0)
    }

    func testRequestAccessors() throws {
        let request = Self.vectors.last!.request
        XCTAssertEqual(request.cseq, "7")
        XCTAssertEqual(request.session, "12345678")
        XCTAssertEqual(Self.vectors[0].request.session, nil)
        XCTAssertEqual(request.headers["cseq"], "7", "lookup ignores case")
    }

    func testRequestWriteParsesBack() throws {
        for vector in Self.vectors {
            var buffer = ByteBuffer()
            vector.request.write(into: &buffer)
            var parser = RTSPParser()
            guard case .request(let parsed) = try parser.next(&buffer) else { return XCTFail(vector.name) }
            XCTAssertEqual(parsed.method, vector.request.method)
            XCTAssertEqual(parsed.body, vector.request.body, vector.name)
            XCTAssertEqual(parsed.cseq, vector.request.cseq, vector.name)
        }
    }

    func testInterleavedFrameDripFed() throws {
        let bytes: [UInt8] = [
            0x24,  // '$'
            0x00,  // channel 0
            0x00, 0x03,  // length 3
            0xAA, 0xBB, 0xCC,  // payload
        ]
        var parser = RTSPParser()
        var buffer = ByteBuffer()
        for (index, byte) in bytes.enumerated() {
            buffer.writeInteger(byte)
            let result = try parser.next(&buffer)
            if index < bytes.count - 1 {
                XCTAssertNil(result)
                XCTAssertEqual(buffer.readerIndex, 0)
            } else {
                XCTAssertEqual(result, .interleaved(InterleavedFrame(channel: 0, payload: ByteBuffer(bytes: [0xAA, 0xBB, 0xCC]))))
            }
        }
    }

    func testErrors() {
        let vectors: [(name: String, text: String, error: RTSPParseError, status: Int)] = [
            ("two-part request line", "OPTIONS RTSP/1.0\r\n\r\n", .malformedRequestLine, 400),
            ("separator in method", "OPT(IONS * RTSP/1.0\r\n\r\n", .malformedRequestLine, 400),
            ("version without slash", "OPTIONS * RTSP1.0\r\n\r\n", .malformedRequestLine, 400),
            ("HTTP request from a browser", "GET / HTTP/1.1\r\nHost: cam\r\n\r\n", .unsupportedVersion, 505),
            ("RTSP 2.0", "OPTIONS * RTSP/2.0\r\nCSeq: 1\r\n\r\n", .unsupportedVersion, 505),
            ("TLS ClientHello", "\u{16}\u{03}\u{01}\u{02}\u{00}", .malformedRequestLine, 400),
            ("NUL in request line", "OPTIONS *\u{0} RTSP/1.0\r\n\r\n", .malformedRequestLine, 400),
            ("CR not followed by LF", "OPTIONS * RTSP/1.0\rCSeq: 1\r\n\r\n", .malformedRequestLine, 400),
            ("header without colon", "OPTIONS * RTSP/1.0\r\nCSeq 1\r\n\r\n", .malformedHeader, 400),
            ("empty header name", "OPTIONS * RTSP/1.0\r\n: 1\r\n\r\n", .malformedHeader, 400),
            ("space inside header name", "OPTIONS * RTSP/1.0\r\nC Seq: 1\r\n\r\n", .malformedHeader, 400),
            ("fold before any header", "OPTIONS * RTSP/1.0\r\n  folded\r\n\r\n", .malformedHeader, 400),
            ("control byte in header", "OPTIONS * RTSP/1.0\r\nCSeq: 1\u{1}\r\n\r\n", .malformedHeader, 400),
            ("negative Content-Length", "ANNOUNCE * RTSP/1.0\r\nContent-Length: -1\r\n\r\n", .badContentLength, 400),
            ("non-numeric Content-Length", "ANNOUNCE * RTSP/1.0\r\nContent-Length: ten\r\n\r\n", .badContentLength, 400),
            ("empty Content-Length", "ANNOUNCE * RTSP/1.0\r\nContent-Length:\r\n\r\n", .badContentLength, 400),
            ("conflicting Content-Length", "ANNOUNCE * RTSP/1.0\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
             .badContentLength, 400),
            ("Content-Length beyond Int", "ANNOUNCE * RTSP/1.0\r\nContent-Length: 99999999999999999999\r\n\r\n",
             .bodyTooLarge, 413),
        ]
        for vector in vectors {
            var parser = RTSPParser()
            var buffer = ByteBuffer(string: vector.text)
            let before = buffer
            XCTAssertThrowsError(try parser.next(&buffer), vector.name) { error in
                XCTAssertEqual(error as? RTSPParseError, vector.error, vector.name)
                XCTAssertEqual((error as? RTSPParseError)?.status.code, vector.status, vector.name)
            }
            XCTAssertEqual(buffer, before, "\(vector.name): buffer untouched on throw")
        }
    }

    func testGarbageNeverCrashesOrConsumes() {
        let seed = TestSeed.value(default: 0xBAD)
        var generator = SeededRandom(seed: seed)
        for round in 0..<300 {
            let count = Int.random(in: 1...200, using: &generator)
            var buffer = ByteBuffer(bytes: (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) })
            let before = buffer
            var parser = RTSPParser()
            while true {
                let snapshot = buffer
                guard let result = try? parser.next(&buffer) else {
                    XCTAssertEqual(buffer, snapshot, "round \(round), \(TestSeed.describe(seed))")
                    break
                }
                // Only an interleaved frame can come out of random bytes.
                guard case .interleaved = result else { return XCTFail("random bytes parsed as a request: \(before); round \(round), \(TestSeed.describe(seed))") }
            }
        }
    }

    // MARK: Limits, exactly at the bound and one over.

    private func parse(_ text: String) throws(RTSPParseError) -> RTSPInbound? {
        var parser = RTSPParser()
        var buffer = ByteBuffer(string: text)
        return try parser.next(&buffer)
    }

    private func assertThrows(_ text: String, _ expected: RTSPParseError, _ message: String) {
        XCTAssertThrowsError(try parse(text), message) { XCTAssertEqual($0 as? RTSPParseError, expected, message) }
    }

    func testRequestLineLengthLimit() throws {
        func requestLine(length: Int) -> String {
            let fixed = "OPTIONS rtsp://cam/ RTSP/1.0".utf8.count
            return "OPTIONS rtsp://cam/" + String(repeating: "a", count: length - fixed) + " RTSP/1.0"
        }
        XCTAssertEqual(requestLine(length: RTSPParser.maxRequestLineLength).utf8.count, 4096)
        XCTAssertNotNil(try parse(requestLine(length: RTSPParser.maxRequestLineLength) + "\r\nCSeq: 1\r\n\r\n"))
        assertThrows(requestLine(length: RTSPParser.maxRequestLineLength + 1) + "\r\n\r\n", .requestLineTooLong, "one over")
        // Refused before its end arrives, once it can no longer fit.
        assertThrows(requestLine(length: RTSPParser.maxRequestLineLength + 1), .requestLineTooLong, "incomplete, one over")
        XCTAssertNil(try parse(requestLine(length: RTSPParser.maxRequestLineLength) + "\r"), "at the bound, CR pending")
        XCTAssertEqual(RTSPParseError.requestLineTooLong.status, .requestURITooLarge)
    }

    func testHeaderCountLimit() throws {
        func text(headers: Int) -> String {
            "OPTIONS * RTSP/1.0\r\n" + (0..<headers).map { "X-\($0): v\r\n" }.joined() + "\r\n"
        }
        guard case .request(let request) = try parse(text(headers: RTSPParser.maxHeaderCount)) else { return XCTFail() }
        XCTAssertEqual(request.headers.count, 64)
        assertThrows(text(headers: RTSPParser.maxHeaderCount + 1), .tooManyHeaders, "65 headers")
    }

    func testHeaderSectionLimit() throws {
        // The section counts from the end of the request line through the blank line's CRLF.
        func request(sectionBytes: Int) -> String {
            let overhead = "X-Pad: \r\n\r\n".utf8.count
            return "OPTIONS * RTSP/1.0\r\nX-Pad: " + String(repeating: "p", count: sectionBytes - overhead) + "\r\n\r\n"
        }
        XCTAssertNotNil(try parse(request(sectionBytes: RTSPParser.maxHeaderSectionBytes)))
        assertThrows(request(sectionBytes: RTSPParser.maxHeaderSectionBytes + 1), .headerSectionTooLarge, "one over")
        let endless = "OPTIONS * RTSP/1.0\r\nX-Pad: " + String(repeating: "p", count: RTSPParser.maxHeaderSectionBytes)
        assertThrows(endless, .headerSectionTooLarge, "incomplete header line past the bound")
    }

    func testBodyLimit() throws {
        let atBound = RTSPParser.maxBodyBytes
        let text = "ANNOUNCE * RTSP/1.0\r\nContent-Length: \(atBound)\r\n\r\n" + String(repeating: "b", count: atBound)
        guard case .request(let request) = try parse(text) else { return XCTFail() }
        XCTAssertEqual(request.body.readableBytes, atBound)
        // One over is refused as soon as the head is complete, without waiting for the body.
        assertThrows("ANNOUNCE * RTSP/1.0\r\nContent-Length: \(atBound + 1)\r\n\r\n", .bodyTooLarge, "one over")
        XCTAssertNil(try parse("ANNOUNCE * RTSP/1.0\r\nContent-Length: 5\r\n\r\nabcd"), "body incomplete")
    }

    func testLeadingEmptyLineLimit() throws {
        let atBound = String(repeating: "\r\n", count: RTSPParser.maxLeadingEmptyLineBytes / 2)
        XCTAssertNotNil(try parse(atBound + "OPTIONS * RTSP/1.0\r\n\r\n"))
        XCTAssertNil(try parse(atBound), "only empty lines: wait")
        assertThrows(atBound + "\n", .malformedRequestLine, "one over")
    }

    func testParserRecoversAfterCallerStartsOver() throws {
        var parser = RTSPParser()
        var partial = ByteBuffer(string: "OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n")
        XCTAssertNil(try parser.next(&partial))
        // A different, shorter buffer: the parser notices and starts over.
        var fresh = ByteBuffer(string: "PLAY * RTSP/1.0\r\n\r\n")
        guard case .request(let request) = try parser.next(&fresh) else { return XCTFail() }
        XCTAssertEqual(request.method, "PLAY")
    }
}
