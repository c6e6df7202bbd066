import XCTest
@testable import ServeWire

/// `WebRTCNegotiation.answer` to real offers, line by line against the rules of JSEP
/// (RFC 8829 §5.3.1), BUNDLE (RFC 8843), ICE SDP (RFC 8839), DTLS-SRTP (RFC 5763, RFC 8122),
/// rtcp-mux (RFC 5761) and H.264 offer/answer (RFC 6184 §8.2.2).
final class WHEPAnswerTests: XCTestCase {
    static let endpointLines = [
        "a=ice-ufrag:vIg1", "a=ice-pwd:Vigil+Password/0123456789",
        "a=fingerprint:" + WHEPStream.endpoint.fingerprint, "a=rtcp-mux",
        // RFC 8445 §5.1.2.1: 126 << 24 | 65535 << 8 | 255, then one less local preference.
        "a=candidate:1 1 udp 2130706431 127.0.0.1 8189 typ host",
        "a=candidate:2 1 udp 2130706175 192.0.2.10 8189 typ host",
        "a=end-of-candidates", "c=IN IP4 127.0.0.1",
    ]

    func answer(_ offer: String, _ tracks: [WebRTCLocalTrack]) throws -> WebRTCAnswer {
        try WebRTCNegotiation.answer(try WebRTCOffer.parse(offer), tracks: tracks, local: WHEPStream.endpoint)
    }

    func assertSession(_ answer: WebRTCAnswer, bundle: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(WHEPStream.lines(answer, section: 0), [
            "v=0", "o=- 3924000001 1 IN IP4 127.0.0.1", "s=-", "t=0 0",
            "a=ice-lite", "a=group:BUNDLE \(bundle)", "a=msid-semantic:WMS *",
            "a=ice-ufrag:vIg1", "a=ice-pwd:Vigil+Password/0123456789", "a=fingerprint:" + WHEPStream.endpoint.fingerprint,
            "a=setup:\(answer.dtlsRole)",
        ], file: file, line: line)
        XCTAssertNoThrow(try SessionDescription.parse(answer.sdp.serialized()), file: file, line: line)
        XCTAssertEqual(try? SessionDescription.parse(answer.sdp.serialized()), answer.sdp, file: file, line: line)
    }

    /// aiortc offers H.264 42001f (99) and 42e01f (101): our constrained baseline takes 101,
    /// never Baseline's 99 (RFC 6184 §8.1: a different profile) nor an rtx format; audio
    /// takes PCMU on the offer's static 0.
    func testAiortcConstrainedBaselineAndPCMU() throws {
        let answer = try answer(WHEPFixtures.aiortcOffer, [WHEPStream.constrainedBaseline, WHEPStream.pcmu])
        assertSession(answer, bundle: "0 1")
        XCTAssertEqual(answer.dtlsRole, "passive")
        XCTAssertEqual(answer.bindings, [
            WebRTCBinding(mid: "0", trackIndex: 0, payloadType: 101, feedback: ["nack", "nack pli", "goog-remb"]),
            WebRTCBinding(mid: "1", trackIndex: 1, payloadType: 0, feedback: []),
        ])
        XCTAssertEqual(WHEPStream.lines(answer, section: 1), [
            "m=video 8189 UDP/TLS/RTP/SAVPF 101",
            "c=IN IP4 127.0.0.1",
            "a=mid:0",
            "a=sendonly",
            "a=ice-ufrag:vIg1",
            "a=ice-pwd:Vigil+Password/0123456789",
            "a=fingerprint:" + WHEPStream.endpoint.fingerprint,
            "a=setup:passive",
            "a=rtcp-mux",
            "a=rtpmap:101 H264/90000",
            "a=rtcp-fb:101 nack",
            "a=rtcp-fb:101 nack pli",
            "a=rtcp-fb:101 goog-remb",
            "a=fmtp:101 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f;sprop-parameter-sets=Z0LgH9oBQBbsBEAAAAMAQAAADyPGDKg=,aM4yyA==",
            "a=msid:vigil vigil-video-0",
            "a=ssrc:305419896 cname:vigil-cam0",
            "a=ssrc:305419896 msid:vigil vigil-video-0",
            "a=candidate:1 1 udp 2130706431 127.0.0.1 8189 typ host",
            "a=candidate:2 1 udp 2130706175 192.0.2.10 8189 typ host",
            "a=end-of-candidates",
        ])
        let audio = WHEPStream.lines(answer, section: 2)
        XCTAssertEqual(audio.first, "m=audio 8189 UDP/TLS/RTP/SAVPF 0")
        for line in Self.endpointLines + ["a=mid:1", "a=sendonly", "a=setup:passive", "a=rtpmap:0 PCMU/8000",
                                          "a=ssrc:195939070 cname:vigil-cam0", "a=msid:vigil vigil-audio-1"] {
            XCTAssertTrue(audio.contains(line), "missing \(line) in \(audio)")
        }
        XCTAssertFalse(audio.contains { $0.hasPrefix("a=fmtp") || $0.hasPrefix("a=rtcp-fb") || $0.hasPrefix("a=rtcp-rsize") })
    }

    /// Chromium: our constrained baseline takes 108 (42e01f, mode 1), not 114 (mode 0); the
    /// feedback answered is Chromium's minus transport-cc; rtcp-rsize offered, so answered;
    /// opus on Chromium's 111 with our fmtp; no extmap anywhere.
    func testChromiumConstrainedBaselineAndOpus() throws {
        let answer = try answer(WHEPFixtures.chromiumOffer, [WHEPStream.constrainedBaseline, WHEPStream.opus])
        assertSession(answer, bundle: "0 1")
        XCTAssertEqual(answer.bindings, [
            WebRTCBinding(mid: "0", trackIndex: 0, payloadType: 108, feedback: ["nack", "nack pli", "ccm fir", "goog-remb"]),
            WebRTCBinding(mid: "1", trackIndex: 1, payloadType: 111, feedback: []),
        ])
        let video = WHEPStream.lines(answer, section: 1)
        XCTAssertEqual(video.first, "m=video 8189 UDP/TLS/RTP/SAVPF 108")
        XCTAssertEqual(video.filter { $0.hasPrefix("a=rtcp-fb") }, [
            "a=rtcp-fb:108 nack", "a=rtcp-fb:108 nack pli", "a=rtcp-fb:108 ccm fir", "a=rtcp-fb:108 goog-remb",
        ])
        for line in Self.endpointLines + ["a=rtcp-rsize", "a=sendonly", "a=mid:0", "a=rtpmap:108 H264/90000"] {
            XCTAssertTrue(video.contains(line), "missing \(line)")
        }
        let audio = WHEPStream.lines(answer, section: 2)
        XCTAssertEqual(audio.first, "m=audio 8189 UDP/TLS/RTP/SAVPF 111")
        XCTAssertTrue(audio.contains("a=rtpmap:111 opus/48000/2"))
        XCTAssertTrue(audio.contains("a=fmtp:111 minptime=10;useinbandfec=1"))
        XCTAssertTrue(audio.contains("a=rtcp-rsize"))
        XCTAssertFalse(answer.sdp.serialized().contains("extmap"))
        XCTAssertFalse(answer.sdp.serialized().contains("transport-cc"))
    }

    /// x264's constrained baseline writes 42c01e; it is the profile Chromium calls 42e01f
    /// (RFC 6184 §8.1: constraint_set1 makes it constrained baseline) and the answer keeps ours.
    func testConstrainedBaselineEquivalents() throws {
        var track = WHEPStream.constrainedBaseline
        track.fmtp = H264FormatParameters.fmtp(sps: X264Baseline.sps, pps: X264Baseline.pps)
        let answer = try answer(WHEPFixtures.chromiumOffer, [track, WHEPStream.pcma])
        XCTAssertEqual(answer.bindings.map(\.payloadType), [108, 8])
        XCTAssertTrue(WHEPStream.lines(answer, section: 1).contains { $0.hasPrefix("a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42c01e;sprop-parameter-sets=") })
    }

    /// Neither real client offers High (Chromium's f4001f is High 4:4:4 Predictive, another
    /// profile): our High stream is refused with a 406 that names what was offered.
    func testHighAgainstRealOffersIsUnacceptable() throws {
        for fixture in [WHEPFixtures.aiortcOffer, WHEPFixtures.chromiumOffer] {
            XCTAssertThrowsError(try answer(fixture, [WHEPStream.high, WHEPStream.opus])) { error in
                guard case .noCommonVideoCodec(let offered, let ours) = error as? WebRTCNegotiationError else {
                    return XCTFail("\(error)")
                }
                XCTAssertTrue((error as! WebRTCNegotiationError).isUnacceptable)
                XCTAssertEqual(ours, "H264 high 640028 mode 1")
                XCTAssertTrue(offered.contains("H264 42e01f mode 1"), "\(offered)")
                XCTAssertTrue(offered.contains("VP8"), "\(offered)")
                XCTAssertFalse(offered.contains("rtx"), "repair formats are not listed: \(offered)")
                XCTAssertTrue("\(error)".contains("H264 42e01f mode 1"))
            }
        }
    }

    /// A Chromium offer that does list High (as Chrome builds with a High decoder do): mutated
    /// from the real one, 41 becomes 64001f. Level 4.0 above the offered 3.1 is fine with
    /// level-asymmetry-allowed=1, and refused without it unless the offered level is ≥ ours.
    func testHighLevelAsymmetry() throws {
        let high = WHEPFixtures.chromiumOffer.replacingOccurrences(
            of: "a=fmtp:41 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=f4001f",
            with: "a=fmtp:41 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64001f")
        let accepted = try answer(high, [WHEPStream.high, WHEPStream.opus])
        XCTAssertEqual(accepted.bindings.first?.payloadType, 41)
        XCTAssertTrue(WHEPStream.lines(accepted, section: 1).contains {
            $0.hasPrefix("a=fmtp:41 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640028;sprop-parameter-sets=")
        })

        let symmetric = high.replacingOccurrences(of: "a=fmtp:41 level-asymmetry-allowed=1;", with: "a=fmtp:41 ")
        XCTAssertThrowsError(try answer(symmetric, [WHEPStream.high])) { error in
            guard case .noCommonVideoCodec = error as? WebRTCNegotiationError else { return XCTFail("\(error)") }
        }
        let higherLevel = symmetric.replacingOccurrences(of: "profile-level-id=64001f", with: "profile-level-id=640032")
        XCTAssertEqual(try answer(higherLevel, [WHEPStream.high]).bindings.first?.payloadType, 41)
    }

    /// Exact profile bytes win over an equivalent profile offered first; among equals the
    /// offer's order decides.
    func testExactProfilePreferred() throws {
        let offer = WHEPFixtures.chromiumOffer.replacingOccurrences(
            of: "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f",
            with: "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42c01f")
        XCTAssertEqual(try answer(offer, [WHEPStream.constrainedBaseline]).bindings.first?.payloadType, 108)
        var x264 = WHEPStream.constrainedBaseline
        x264.fmtp = "packetization-mode=1;profile-level-id=42c01e"
        XCTAssertEqual(try answer(offer, [x264]).bindings.first?.payloadType, 102)
    }

    /// RFC 5763 §5: to a passive offerer we are active (the DTLS client).
    func testPassiveOfferMakesUsActive() throws {
        let offer = WHEPFixtures.aiortcOffer.replacingOccurrences(of: "a=setup:actpass", with: "a=setup:passive")
        let answer = try answer(offer, [WHEPStream.constrainedBaseline, WHEPStream.pcmu])
        XCTAssertEqual(answer.dtlsRole, "active")
        XCTAssertTrue(WHEPStream.lines(answer, section: 1).contains("a=setup:active"))
        let active = WHEPFixtures.aiortcOffer.replacingOccurrences(of: "a=setup:actpass", with: "a=setup:active")
        XCTAssertEqual(try self.answer(active, [WHEPStream.constrainedBaseline]).dtlsRole, "passive")
    }

    /// A data channel, a second video and an audio section with only G722 are rejected:
    /// port 0, their formats and mid kept, left out of the BUNDLE group (RFC 8843 §7.3.3).
    func testRejectedSections() throws {
        let base = WHEPFixtures.chromiumOffer.replacingOccurrences(of: "a=group:BUNDLE 0 1", with: "a=group:BUNDLE 0 1 2 3 4")
        let videoSection = String(base[base.range(of: "m=video")!.lowerBound..<base.range(of: "m=audio")!.lowerBound])
        let secondVideo = videoSection.replacingOccurrences(of: "a=mid:0", with: "a=mid:2")
        let transport = videoSection.components(separatedBy: "\r\n")
            .filter { $0.hasPrefix("a=ice-") || $0.hasPrefix("a=fingerprint") || $0.hasPrefix("a=setup") }.map { $0 + "\r\n" }.joined()
        let g722Only = "m=audio 9 UDP/TLS/RTP/SAVPF 9\r\nc=IN IP4 0.0.0.0\r\n" + transport
            + "a=mid:3\r\na=recvonly\r\na=rtcp-mux\r\na=rtpmap:9 G722/8000\r\n"
        let dataChannel = "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n" + transport
            + "a=mid:4\r\na=sctp-port:5000\r\n"
        let answer = try answer(base + secondVideo + g722Only + dataChannel, [WHEPStream.constrainedBaseline, WHEPStream.opus])
        assertSession(answer, bundle: "0 1")
        XCTAssertEqual(answer.bindings.map(\.mid), ["0", "1"])
        XCTAssertEqual(answer.sdp.media.map(\.port), [8189, 8189, 0, 0, 0])
        XCTAssertEqual(WHEPStream.lines(answer, section: 3), [
            "m=video 0 UDP/TLS/RTP/SAVPF 96 97 98 99 100 101 35 36 37 38 102 103 104 107 108 109 114 115 116 117 39 40 41 42 43 44 45 46 47 48 118 119 120 49",
            "c=IN IP4 0.0.0.0", "a=mid:2", "a=rtcp-mux",
        ])
        XCTAssertEqual(WHEPStream.lines(answer, section: 4), ["m=audio 0 UDP/TLS/RTP/SAVPF 9", "c=IN IP4 0.0.0.0", "a=mid:3", "a=rtcp-mux"])
        XCTAssertEqual(WHEPStream.lines(answer, section: 5), ["m=application 0 UDP/DTLS/SCTP webrtc-datachannel", "c=IN IP4 0.0.0.0", "a=mid:4"])
    }

    /// An audio section without our codec is rejected and the video still plays; an
    /// audio-only viewer of a stream with video gets the audio.
    func testAudioIsOptional() throws {
        let noPCMU = WHEPStream.mutate(WHEPFixtures.aiortcOffer) { $0 == "a=rtpmap:0 PCMU/8000" ? nil : $0 }
            .replacingOccurrences(of: "UDP/TLS/RTP/SAVPF 96 9 0 8", with: "UDP/TLS/RTP/SAVPF 96 9 8")
        let answer = try answer(noPCMU, [WHEPStream.constrainedBaseline, WHEPStream.pcmu])
        XCTAssertEqual(answer.bindings.map(\.mid), ["0"])
        assertSession(answer, bundle: "0")
        XCTAssertEqual(WHEPStream.lines(answer, section: 2).first, "m=audio 0 UDP/TLS/RTP/SAVPF 96 9 8")

        let audioOnly = WHEPFixtures.aiortcOffer.replacingOccurrences(of: "m=video 38080", with: "m=video 0")
        let answered = try self.answer(audioOnly, [WHEPStream.constrainedBaseline, WHEPStream.pcmu])
        XCTAssertEqual(answered.bindings, [WebRTCBinding(mid: "1", trackIndex: 1, payloadType: 0, feedback: [])])
        XCTAssertEqual(answered.sdp.media.map(\.port), [0, 8189])
    }

    /// A sendrecv offer is answered sendonly (RFC 3264 §6.1); an IPv6 first candidate makes
    /// c=IN IP6.
    func testSendrecvAndIPv6() throws {
        let offer = WHEPFixtures.aiortcOffer.replacingOccurrences(of: "a=recvonly", with: "a=sendrecv")
        var local = WHEPStream.endpoint
        local.candidates = [WebRTCCandidate(address: "2001:db8::10", port: 50000)]
        let answer = try WebRTCNegotiation.answer(WebRTCOffer.parse(offer), tracks: [WHEPStream.constrainedBaseline], local: local)
        let video = WHEPStream.lines(answer, section: 1)
        XCTAssertTrue(video.contains("a=sendonly"))
        XCTAssertTrue(video.contains("c=IN IP6 2001:db8::10"))
        XCTAssertTrue(video.contains("a=candidate:1 1 udp 2130706431 2001:db8::10 50000 typ host"))
        XCTAssertEqual(video.first, "m=video 50000 UDP/TLS/RTP/SAVPF 101")
        XCTAssertTrue(WHEPStream.lines(answer, section: 0).contains("o=- 3924000001 1 IN IP6 2001:db8::10"))
    }

    func testProfileLevelIDs() {
        let table: [(String, H264ProfileLevelID.Profile?)] = [
            ("42e01f", .constrainedBaseline), ("42c01f", .constrainedBaseline), ("4de01f", .constrainedBaseline),
            ("58e01f", .constrainedBaseline), ("42C01E", .constrainedBaseline), ("42001f", .baseline), ("58a01f", .baseline),
            ("4d001f", .main), ("4d401f", .main), ("640028", .high), ("640c1f", .constrainedHigh), ("f4001f", .predictiveHigh444),
            ("6e001f", nil), ("640828", nil),
        ]
        for (hex, profile) in table {
            XCTAssertEqual(H264ProfileLevelID(hex)?.profile, profile, hex)
        }
        for bad in ["", "42e01", "42e01f0", "42g01f", "+42e01"] { XCTAssertNil(H264ProfileLevelID(bad), bad) }
        XCTAssertEqual(H264ProfileLevelID("42E01F")?.hex, "42e01f")
        // Level 1b (constraint_set3 with level_idc 11 in Baseline) sits between 1.0 and 1.1.
        let oneB = H264ProfileLevelID("42f00b")!.levelRank
        XCTAssertTrue(H264ProfileLevelID("42e00a")!.levelRank < oneB && oneB < H264ProfileLevelID("42e00b")!.levelRank)
        XCTAssertEqual(H264ProfileLevelID("640009")!.levelRank, oneB)
        XCTAssertTrue(H264ProfileLevelID("42e01f")!.hasSameProfile(as: H264ProfileLevelID("4de028")!))
        XCTAssertFalse(H264ProfileLevelID("42e01f")!.hasSameProfile(as: H264ProfileLevelID("42001f")!))
        XCTAssertTrue(H264ProfileLevelID("640828")!.hasSameProfile(as: H264ProfileLevelID("64081f")!))
        XCTAssertFalse(H264ProfileLevelID("640828")!.hasSameProfile(as: H264ProfileLevelID("640028")!))
    }
}
