import XCTest
@testable import ServeWire

/// Independent acceptance: a real offering peer — aiortc 1.16 and Debian's headless Chromium
/// — applies our answer to its own offer with `setRemoteDescription`
/// (`Scripts/testkit/webrtc_sdp_check.py`) and must take it without error, ending with its
/// transceivers receiving the codec we chose.
final class WHEPInteropTests: XCTestCase {
    func exchange(_ mode: String, _ tracks: [WebRTCLocalTrack], file: StaticString = #filePath, line: UInt = #line) throws -> [[String: Any]] {
        let outcome = try WebRTCPeer.exchange(mode) { offer in
            try WebRTCNegotiation.answer(WebRTCOffer.parse(offer), tracks: tracks, local: WHEPStream.endpoint).sdp.serialized()
        }
        XCTAssertEqual(outcome.status, 0, "\(mode): \(outcome.report) \(outcome.stderr.suffix(1500))\n\(outcome.answer)", file: file, line: line)
        XCTAssertEqual(outcome.report["ok"] as? Bool, true, "\(mode) refused the answer: \(outcome.report)\n\(outcome.answer)", file: file, line: line)
        XCTAssertEqual(outcome.report["signalingState"] as? String, "stable", file: file, line: line)
        return outcome.report["transceivers"] as? [[String: Any]] ?? []
    }

    /// aiortc reports the codecs it negotiated (the chosen one first); Chromium's receiver
    /// parameters list every codec it offered, so there the direction and mid are the proof.
    func assertReceives(_ transceivers: [[String: Any]], video: String, audio: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(transceivers.count, 2, "\(transceivers)", file: file, line: line)
        guard transceivers.count == 2 else { return }
        XCTAssertEqual(transceivers.map { $0["direction"] as? String }, ["recvonly", "recvonly"], file: file, line: line)
        XCTAssertEqual(transceivers.map { $0["mid"] as? String }, ["0", "1"], file: file, line: line)
        guard transceivers[0]["peer"] as? String != "chromium" else { return }
        let videoCodecs = transceivers[0]["codecs"] as? [String] ?? []
        let audioCodecs = transceivers[1]["codecs"] as? [String] ?? []
        XCTAssertTrue(videoCodecs.first?.contains(video) ?? false, "video codecs \(videoCodecs)", file: file, line: line)
        XCTAssertFalse(videoCodecs.contains { $0.contains("rtx") || $0.contains("VP8") }, "\(videoCodecs)", file: file, line: line)
        XCTAssertTrue(audioCodecs.first?.contains(audio) ?? false, "audio codecs \(audioCodecs)", file: file, line: line)
    }

    func testAiortcAcceptsConstrainedBaselineAndPCMU() throws {
        assertReceives(try exchange("aiortc", [WHEPStream.constrainedBaseline, WHEPStream.pcmu]), video: "video/H264", audio: "audio/PCMU")
    }

    func testAiortcAcceptsConstrainedBaselineAndOpus() throws {
        assertReceives(try exchange("aiortc", [WHEPStream.constrainedBaseline, WHEPStream.opus]), video: "video/H264", audio: "audio/opus")
    }

    func testChromiumAcceptsConstrainedBaselineAndOpus() throws {
        assertReceives(try exchange("chromium", [WHEPStream.constrainedBaseline, WHEPStream.opus]), video: "video/H264", audio: "audio/opus")
    }

    func testChromiumAcceptsConstrainedBaselineAndPCMA() throws {
        assertReceives(try exchange("chromium", [WHEPStream.constrainedBaseline, WHEPStream.pcma]), video: "video/H264", audio: "audio/PCMA")
    }

    /// A stream without video: the offerer-tagged video section is rejected (port 0, out of
    /// the group) and the audio carries the BUNDLE transport alone (RFC 8843 §7.3.3).
    /// Chromium only: aiortc 1.16 does not honour port 0 in an answer — it looks for a common
    /// codec in the rejected section and fails ("Failed to set remote video description send
    /// parameters"), whatever the answer's other lines say.
    func testChromiumAcceptsARejectedVideoSection() throws {
        for mode in ["chromium"] {
            let outcome = try WebRTCPeer.exchange(mode) { offer in
                try WebRTCNegotiation.answer(WebRTCOffer.parse(offer), tracks: [WHEPStream.opus], local: WHEPStream.endpoint).sdp.serialized()
            }
            XCTAssertEqual(outcome.report["ok"] as? Bool, true, "\(mode) refused: \(outcome.report)\n\(outcome.answer)")
            XCTAssertTrue(outcome.answer.contains("a=group:BUNDLE 1\r\n"))
            let transceivers = outcome.report["transceivers"] as? [[String: Any]] ?? []
            // Chromium drops the stopped video transceiver; aiortc keeps it, not receiving.
            XCTAssertEqual(transceivers.filter { $0["direction"] as? String == "recvonly" }.map { $0["mid"] as? String }, ["1"], "\(mode): \(transceivers)")
        }
    }

    /// The harness bites: each peer refuses an answer broken where it checks — aiortc one
    /// without `a=rtcp-mux` (RFC 5761; it does not check fingerprints), Chromium one without
    /// `a=fingerprint` (RFC 8122).
    func testPeersRefuseABrokenAnswer() throws {
        for (mode, removed, words) in [("aiortc", "a=rtcp-mux", "RTCP mux"), ("chromium", "a=fingerprint", "fingerprint")] {
            let outcome = try WebRTCPeer.exchange(mode) { offer in
                let answer = try WebRTCNegotiation.answer(
                    WebRTCOffer.parse(offer), tracks: [WHEPStream.constrainedBaseline, WHEPStream.opus], local: WHEPStream.endpoint)
                return WHEPStream.mutate(answer.sdp.serialized()) { $0.hasPrefix(removed) ? nil : $0 }
            }
            XCTAssertEqual(outcome.report["ok"] as? Bool, false, "\(mode): \(outcome.report)")
            XCTAssertNotEqual(outcome.status, 0, mode)
            XCTAssertTrue((outcome.report["error"] as? String ?? "").contains(words), "\(mode): \(outcome.report)")
        }
    }
}
