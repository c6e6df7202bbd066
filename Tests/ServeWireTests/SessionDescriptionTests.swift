import XCTest
@testable import ServeWire

final class SessionDescriptionTests: XCTestCase {
    /// What Vigil answers to DESCRIBE for a camera with H.264 video and PCMU audio.
    static let camera = SessionDescription(
        origin: SDPOrigin(sessionID: 3_924_000_000, sessionVersion: 1, address: "192.0.2.10"),
        sessionName: "Vigil camera",
        connection: SDPConnection(address: "0.0.0.0"),
        attributes: [SDPAttribute(name: "tool", value: "vigil"), SDPAttribute(name: "control", value: "*")],
        media: [
            MediaDescription(
                media: "video", formats: ["96"], bandwidths: [SDPBandwidth(type: "AS", value: 2000)],
                attributes: [
                    SDPAttribute(name: "rtpmap", value: "96 \(H264FormatParameters.rtpmap)"),
                    SDPAttribute(
                        name: "fmtp", value: "96 " + H264FormatParameters.fmtp(sps: X264Baseline.sps, pps: X264Baseline.pps)
                    ),
                    SDPAttribute(name: "control", value: "trackID=0"),
                ]
            ),
            MediaDescription(
                media: "audio", formats: ["0"],
                attributes: [
                    SDPAttribute(name: "rtpmap", value: "0 PCMU/8000"), SDPAttribute(name: "recvonly"),
                    SDPAttribute(name: "control", value: "trackID=1"),
                ]
            ),
        ]
    )

    static let cameraText = "v=0\r\n"
        + "o=- 3924000000 1 IN IP4 192.0.2.10\r\n"
        + "s=Vigil camera\r\n"
        + "c=IN IP4 0.0.0.0\r\n"
        + "t=0 0\r\n"
        + "a=tool:vigil\r\n"
        + "a=control:*\r\n"
        + "m=video 0 RTP/AVP 96\r\n"
        + "b=AS:2000\r\n"
        + "a=rtpmap:96 H264/90000\r\n"
        + "a=fmtp:96 packetization-mode=1;profile-level-id=42c01e;sprop-parameter-sets=Z0LAHtkAoD2wEQAAAwABAAADADIPFi5I,aMuDyyA=\r\n"
        + "a=control:trackID=0\r\n"
        + "m=audio 0 RTP/AVP 0\r\n"
        + "a=rtpmap:0 PCMU/8000\r\n"
        + "a=recvonly\r\n"
        + "a=control:trackID=1\r\n"

    func testBuildByteExact() {
        XCTAssertEqual(Self.camera.serialized(), Self.cameraText)
    }

    func testParseRoundTrip() throws {
        let parsed = try SessionDescription.parse(Self.cameraText)
        XCTAssertEqual(parsed, Self.camera)
        XCTAssertEqual(parsed.serialized(), Self.cameraText)
        XCTAssertEqual(parsed.attribute("control"), "*")
        XCTAssertEqual(parsed.media[0].attribute("control"), "trackID=0")
        XCTAssertEqual(parsed.media[1].attribute("recvonly"), "")
        XCTAssertNil(parsed.media[1].attribute("sendonly"))
        XCTAssertEqual(parsed.media[0].rtpmap(for: "96"), "H264/90000")
        let fmtp = try XCTUnwrap(parsed.media[0].fmtp(for: "96"))
        XCTAssertEqual(H264FormatParameters.parameterSets(fromFmtp: fmtp), [X264Baseline.sps, X264Baseline.pps])
    }

    /// RFC 4566 §5 example, LF line endings, with e= p= r= lines the parser skips.
    func testParseRFC4566Example() throws {
        let text = """
            v=0
            o=jdoe 2890844526 2890842807 IN IP4 10.47.16.5
            s=SDP Seminar
            i=A Seminar on the session description protocol
            u=http://www.example.com/seminars/sdp.pdf
            e=j.doe@example.com (Jane Doe)
            c=IN IP4 224.2.17.12/127
            t=2873397496 2873404696
            a=recvonly
            m=audio 49170 RTP/AVP 0
            m=video 51372 RTP/AVP 99
            a=rtpmap:99 h263-1998/90000

            """
        let parsed = try SessionDescription.parse(text)
        XCTAssertEqual(parsed.origin, SDPOrigin(username: "jdoe", sessionID: 2_890_844_526, sessionVersion: 2_890_842_807,
                                                address: "10.47.16.5"))
        XCTAssertEqual(parsed.information, "A Seminar on the session description protocol")
        XCTAssertEqual(parsed.uri, "http://www.example.com/seminars/sdp.pdf")
        XCTAssertEqual(parsed.connection?.address, "224.2.17.12/127")
        XCTAssertEqual(parsed.timing, SDPTiming(start: 2_873_397_496, stop: 2_873_404_696))
        XCTAssertEqual(parsed.media.map(\.port), [49170, 51372])
        XCTAssertEqual(parsed.media[1].rtpmap(for: "99"), "h263-1998/90000")
    }

    func testParseErrors() {
        let vectors: [(String, SDPParseError)] = [
            ("", .missingVersion),
            ("v=1\r\n", .missingVersion),
            ("o=- 1 1 IN IP4 x\r\nv=0\r\n", .missingVersion),
            ("v=0\r\ns=x\r\n", .missingRequiredField("o")),
            ("v=0\r\no=- 1 1 IN IP4 x\r\n", .missingRequiredField("s")),
            ("v=0\r\no=- one 1 IN IP4 x\r\ns=x\r\n", .malformedLine(2)),
            ("v=0\r\no=- 1 1 IN IP4 x\r\ns=x\r\nm=video\r\n", .malformedLine(4)),
            ("v=0\r\no=- 1 1 IN IP4 x\r\ns=x\r\nnonsense\r\n", .malformedLine(4)),
            ("v=0\r\no=- 1 1 IN IP4 x\r\ns=x\r\nt=0\r\n", .malformedLine(4)),
        ]
        for (text, error) in vectors {
            XCTAssertThrowsError(try SessionDescription.parse(text), text) { XCTAssertEqual($0 as? SDPParseError, error, text) }
        }
    }
}
