import XCTest
@testable import ServeWire

/// Each way an offer can be refused, made by mutating a real offer: the error names the
/// problem, and `isUnacceptable` tells 406 (nothing we send fits) from 400 (malformed).
final class WHEPErrorTests: XCTestCase {
    static let aiortc = WHEPFixtures.aiortcOffer
    static let chromium = WHEPFixtures.chromiumOffer

    /// (name, offer, tracks, expected error, words the description must contain).
    static var cases: [(String, String, [WebRTCLocalTrack], WebRTCNegotiationError, [String])] {
        let tracks = [WHEPStream.constrainedBaseline, WHEPStream.pcmu]
        let ufragless = WHEPStream.mutate(aiortc) { $0.hasPrefix("a=ice-ufrag") ? nil : $0 }
        return [
            ("garbage line", aiortc.replacingOccurrences(of: "s=-\r\n", with: "s=-\r\nhello\r\n"), tracks,
             .notSDP(line: 4, text: "hello", reason: "not <type>=<value> as RFC 4566 §5 defines it"), ["line 4", "\"hello\""]),
            ("HTML instead of SDP", "<html>nope</html>", tracks,
             .notSDP(line: 1, text: "<html>nope</html>", reason: "an SDP description begins with v=0"), ["v=0"]),
            ("no o= line", WHEPStream.mutate(aiortc) { $0.hasPrefix("o=") ? nil : $0 }, tracks,
             .notSDP(line: 0, text: "", reason: "there is no o= line"), ["no o= line"]),
            ("huge port", aiortc.replacingOccurrences(of: "m=video 38080", with: "m=video 99999999999999999999999"), tracks,
             .notSDP(line: 7, text: "m=video 99999999999999999999999 UDP/TLS/RTP/SAVPF 97 98 99 100 101 102", reason: "not <type>=<value> as RFC 4566 §5 defines it"),
             ["line 7"]),
            ("port out of range", aiortc.replacingOccurrences(of: "m=video 38080", with: "m=video 70000"), tracks,
             .invalidMediaLine(section: 0, reason: "port 70000 is not 0…65535"), ["port 70000"]),
            ("payload type 200", aiortc.replacingOccurrences(of: "SAVPF 97 98", with: "SAVPF 200 98"), tracks,
             .invalidMediaLine(section: 0, reason: "payload type 200 is not 0…127"), ["payload type 200"]),
            ("bad rtpmap", aiortc.replacingOccurrences(of: "a=rtpmap:99 H264/90000", with: "a=rtpmap:99 H264/fast"), tracks,
             .invalidMediaLine(section: 0, reason: "a=rtpmap:99 H264/fast is not <encoding>/<clock rate>[/<channels>]"), ["rtpmap:99"]),
            ("no m= line", String(aiortc[..<aiortc.range(of: "m=video")!.lowerBound]), tracks, .noMediaSections, ["no m= section"]),
            ("no ICE credentials", ufragless, tracks, .missingICECredentials(mid: "0"), ["ice-ufrag", "mid 0"]),
            ("short ice-pwd", aiortc.replacingOccurrences(of: "a=ice-pwd:IBWuJBAyUvNuRYSN6z8T1q", with: "a=ice-pwd:short"), tracks,
             .invalidICECredentials(mid: "0", reason: "ice-pwd has 5 characters, not 22…256"), ["ice-pwd", "22"]),
            ("ice-ufrag with a space", aiortc.replacingOccurrences(of: "a=ice-ufrag:XrRV", with: "a=ice-ufrag:Xr RV"), tracks,
             .invalidICECredentials(mid: "0", reason: "only letters, digits, + and / are ice-chars"), ["ice-chars"]),
            ("bundled sections disagree", replacingSecond(aiortc, "a=ice-ufrag:XrRV", "a=ice-ufrag:Other"), tracks,
             .inconsistentICECredentials(mid: "1"), ["mid 1", "different ICE credentials"]),
            ("no fingerprint", WHEPStream.mutate(aiortc) { $0.hasPrefix("a=fingerprint") ? nil : $0 }, tracks,
             .missingFingerprint(mid: "0"), ["a=fingerprint", "DTLS"]),
            ("fingerprint of the wrong length", chromium.replacingOccurrences(of: "sha-256 2D:B1:AD:3C:", with: "sha-256 "), tracks,
             .invalidFingerprint("sha-256 58:2B:C0:FD:91:6C:40:09:8A:88:1C:54:6B:B3:59:07:E6:75:02:65:AA:31:D6:E2:7A:15:45:7C"), ["RFC 8122"]),
            ("fingerprint without hash", chromium.replacingOccurrences(of: "a=fingerprint:sha-256 ", with: "a=fingerprint:"), tracks,
             .invalidFingerprint("2D:B1:AD:3C:58:2B:C0:FD:91:6C:40:09:8A:88:1C:54:6B:B3:59:07:E6:75:02:65:AA:31:D6:E2:7A:15:45:7C"), ["<hash>"]),
            ("setup holdconn", aiortc.replacingOccurrences(of: "a=setup:actpass", with: "a=setup:holdconn"), tracks,
             .invalidSetup("holdconn"), ["holdconn", "actpass"]),
            ("no rtcp-mux", WHEPStream.mutate(chromium) { $0 == "a=rtcp-mux" ? nil : $0 }, tracks, .noRTCPMux(mid: "0"), ["rtcp-mux"]),
            ("no BUNDLE", WHEPStream.mutate(chromium) { $0.hasPrefix("a=group:BUNDLE") ? nil : $0 }, tracks, .noBundle, ["BUNDLE"]),
            ("audio outside the group", chromium.replacingOccurrences(of: "a=group:BUNDLE 0 1", with: "a=group:BUNDLE 0"), tracks,
             .notBundled(mid: "1"), ["mid 1", "BUNDLE"]),
            ("sends video", chromium.replacingOccurrences(of: "a=recvonly", with: "a=sendonly"), tracks,
             .sendsMedia(mid: "0", direction: "sendonly"), ["sendonly", "recvonly"]),
            ("no mid", WHEPStream.mutate(chromium) { $0 == "a=mid:1" ? nil : $0 }, tracks, .missingMid(section: 1), ["section 2", "a=mid"]),
            ("mid with a space", chromium.replacingOccurrences(of: "a=mid:1", with: "a=mid:1 2"), tracks,
             .invalidMid(section: 1, "1 2"), ["a=mid:1 2", "token"]),
            ("one mid twice", chromium.replacingOccurrences(of: "a=mid:1", with: "a=mid:0"), tracks, .duplicateMid("0"), ["mid:0"]),
            ("too large", aiortc + String(repeating: "a=x-padding:0123456789abcdef\r\n", count: 3000), tracks,
             .tooLarge(bytes: aiortc.utf8.count + 30 * 3000, limit: 65536), ["65536"]),
            ("too many sections", aiortc + String(repeating: "m=audio 0 UDP/TLS/RTP/SAVPF 0\r\na=mid:x\r\n", count: 15), tracks,
             .tooManySections(count: 17, limit: 16), ["17"]),
            ("only VP8 video", WHEPStream.mutate(aiortc) { $0.contains("H264") ? $0.replacingOccurrences(of: "H264", with: "H265") : $0 }, tracks,
             .noCommonVideoCodec(offered: ["VP8", "H265", "H265"], ours: "H264 constrained baseline 42e01f mode 1"), ["VP8", "constrained baseline"]),
            ("mode 0 only", chromium.replacingOccurrences(of: "packetization-mode=1", with: "packetization-mode=0"), [WHEPStream.constrainedBaseline],
             .noCommonVideoCodec(
                offered: ["VP8", "VP9", "VP9", "VP9", "VP9", "H264 42001f mode 0", "H264 42001f mode 0", "H264 42e01f mode 0", "H264 42e01f mode 0",
                          "H264 4d001f mode 0", "H264 4d001f mode 0", "H264 f4001f mode 0", "H264 f4001f mode 0", "AV1", "AV1"],
                ours: "H264 constrained baseline 42e01f mode 1"), ["mode 0"]),
            ("only a data channel", "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:0\r\na=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\na=fingerprint:sha-256 " + Array(repeating: "AB", count: 32).joined(separator: ":") + "\r\na=setup:actpass\r\n",
             tracks, .noAcceptableMedia(reasons: ["mid 0 is application: only audio and video are sent"]), ["application"]),
            ("audio we lack, no video track", WHEPStream.mutate(aiortc) { $0 == "a=rtpmap:0 PCMU/8000" ? nil : $0 }
                .replacingOccurrences(of: "SAVPF 96 9 0 8", with: "SAVPF 96 9 8"), [WHEPStream.pcmu],
             .noAcceptableMedia(reasons: ["mid 0: no further video track to send", "mid 1: our PCMU/8000 is not among opus/48000/2, G722/8000, PCMA/8000"]),
             ["PCMU/8000", "opus/48000/2"]),
            ("nothing to send", aiortc, [], .nothingToSend, ["no track"]),
        ]
    }

    static func replacingSecond(_ text: String, _ target: String, _ replacement: String) -> String {
        let first = text.range(of: target)!
        let second = text.range(of: target, range: first.upperBound..<text.endIndex)!
        return text.replacingCharacters(in: second, with: replacement)
    }

    func testEveryErrorFromAMutatedRealOffer() {
        for (name, offer, tracks, expected, words) in Self.cases {
            do {
                let parsed = try WebRTCOffer.parse(offer)
                let answer = try WebRTCNegotiation.answer(parsed, tracks: tracks, local: WHEPStream.endpoint)
                XCTFail("\(name): answered \(answer.sdp.serialized())")
            } catch {
                XCTAssertEqual(error, expected, name)
                for word in words { XCTAssertTrue(error.description.contains(word), "\(name): \"\(error)\" lacks \(word)") }
                let unacceptable: Bool = switch expected {
                case .noCommonVideoCodec, .noAcceptableMedia, .nothingToSend: true
                default: false
                }
                XCTAssertEqual(error.isUnacceptable, unacceptable, name)
            }
        }
    }
}
