import XCTest
@testable import ServeWire

/// `WebRTCOffer.parse` on offers real WHEP clients made (WHEPFixtures).
final class WHEPOfferTests: XCTestCase {
    func testAiortcOffer() throws {
        let offer = try WebRTCOffer.parse(WHEPFixtures.aiortcOffer)
        XCTAssertEqual(offer.iceUfrag, "XrRV")
        XCTAssertEqual(offer.icePassword, "IBWuJBAyUvNuRYSN6z8T1q")
        XCTAssertEqual(offer.fingerprints.count, 3)
        XCTAssertEqual(offer.fingerprint, "sha-256 83:FF:35:E7:84:AD:C0:A1:68:43:15:38:E5:D7:61:C8:CC:4F:C8:65:BC:23:A6:15:34:FF:54:71:CB:8A:20:AC")
        XCTAssertEqual(offer.setup, "actpass")
        XCTAssertEqual(offer.bundle, ["0", "1"])
        XCTAssertFalse(offer.trickle)
        XCTAssertEqual(offer.sections.map(\.mid), ["0", "1"])
        XCTAssertEqual(offer.sections.map(\.kind), ["video", "audio"])
        XCTAssertEqual(offer.sections.map(\.direction), ["recvonly", "recvonly"])
        XCTAssertEqual(offer.sections.map(\.rtcpMux), [true, true])
        XCTAssertEqual(offer.sections.map(\.rtcpReducedSize), [false, false])
        XCTAssertEqual(offer.sections.map(\.port), [38080, 43952])

        let video = offer.sections[0]
        XCTAssertEqual(video.formats.map(\.payloadType), [97, 98, 99, 100, 101, 102])
        XCTAssertEqual(video.formats.map(\.encoding), ["VP8", "rtx", "H264", "rtx", "H264", "rtx"])
        let h264 = video.formats[4]
        XCTAssertEqual(h264.clockRate, 90000)
        XCTAssertEqual(h264.fmtp, ["level-asymmetry-allowed": "1", "packetization-mode": "1", "profile-level-id": "42e01f"])
        XCTAssertEqual(h264.feedback, ["nack", "nack pli", "goog-remb"])
        XCTAssertEqual(video.formats[5].fmtp, ["apt": "101"])

        let audio = offer.sections[1]
        XCTAssertEqual(audio.formats.map(\.payloadType), [96, 9, 0, 8])
        XCTAssertEqual(audio.formats[0].encoding, "opus")
        XCTAssertEqual(audio.formats[0].clockRate, 48000)
        XCTAssertEqual(audio.formats[0].channels, 2)
        XCTAssertEqual(audio.formats[2].encoding, "PCMU")
        XCTAssertNil(audio.formats[2].channels)
    }

    func testChromiumOffer() throws {
        let offer = try WebRTCOffer.parse(WHEPFixtures.chromiumOffer)
        XCTAssertEqual(offer.iceUfrag, "WFdI")
        XCTAssertEqual(offer.icePassword, "9l1euctFx6ToXU3bJi/8lV4B")
        XCTAssertEqual(offer.fingerprints.count, 1)
        XCTAssertTrue(offer.fingerprint.hasPrefix("sha-256 "))
        XCTAssertEqual(offer.setup, "actpass")
        XCTAssertTrue(offer.trickle)
        XCTAssertEqual(offer.sections.map(\.port), [9, 9])
        XCTAssertEqual(offer.sections.map(\.rtcpReducedSize), [true, true])
        XCTAssertEqual(offer.sections[0].formats.count, 34)
        let h264 = offer.sections[0].formats.filter { $0.encoding == "H264" }
        XCTAssertEqual(h264.map(\.payloadType), [102, 104, 108, 114, 116, 39, 41, 43])
        XCTAssertEqual(h264.map { $0.fmtp["profile-level-id"]! }, ["42001f", "42001f", "42e01f", "42e01f", "4d001f", "4d001f", "f4001f", "f4001f"])
        XCTAssertEqual(h264.map { $0.fmtp["packetization-mode"]! }, ["1", "0", "1", "0", "1", "0", "1", "0"])
        XCTAssertEqual(h264[2].feedback, ["goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"])
        let opus = try XCTUnwrap(offer.sections[1].formats.first)
        XCTAssertEqual([opus.payloadType], [111])
        XCTAssertEqual(opus.fmtp, ["minptime": "10", "useinbandfec": "1"])
    }

    /// The same offers with LF line endings parse the same.
    func testLFLineEndings() throws {
        for fixture in [WHEPFixtures.aiortcOffer, WHEPFixtures.chromiumOffer] {
            let crlf = try WebRTCOffer.parse(fixture)
            let lf = try WebRTCOffer.parse(fixture.replacingOccurrences(of: "\r\n", with: "\n"))
            XCTAssertEqual(lf.session, crlf.session)
            XCTAssertEqual(lf.iceUfrag, crlf.iceUfrag)
        }
    }

    /// Credentials and fingerprint at session level (RFC 8839 §5.4, RFC 8122 §5 allow it), as
    /// Firefox and some WHEP players write them; setup absent means RFC 4145's "active".
    func testSessionLevelTransportAttributes() throws {
        var moved: [String] = []
        let body = WHEPStream.mutate(WHEPFixtures.aiortcOffer) { line in
            if line.hasPrefix("a=ice-") || line.hasPrefix("a=fingerprint") {
                if !moved.contains(line) { moved.append(line) }
                return nil
            }
            return line.hasPrefix("a=setup") ? nil : line
        }
        let text = body.replacingOccurrences(of: "a=group:BUNDLE 0 1\r\n", with: "a=group:BUNDLE 0 1\r\n" + moved.map { $0 + "\r\n" }.joined())
        let offer = try WebRTCOffer.parse(text)
        XCTAssertEqual(offer.iceUfrag, "XrRV")
        XCTAssertEqual(offer.fingerprints.count, 3)
        XCTAssertEqual(offer.setup, "active")
    }
}
