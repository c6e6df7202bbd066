/// How one accepted m= section is fed: which track, with which payload type.
public struct WebRTCBinding: Sendable, Hashable {
    public var mid: String
    public var trackIndex: Int
    /// The offer's number for the chosen format: the sender rewrites our packets' payload
    /// type to it (RFC 3264 §6.1: the answerer sends with the offerer's numbers).
    public var payloadType: UInt8
    /// The RTCP feedback the answer accepted for it (a subset of
    /// `WebRTCNegotiation.answeredFeedback`).
    public var feedback: Set<String>

    public init(mid: String, trackIndex: Int, payloadType: UInt8, feedback: Set<String>) {
        self.mid = mid
        self.trackIndex = trackIndex
        self.payloadType = payloadType
        self.feedback = feedback
    }
}

/// The SDP answer to a WHEP offer and what it commits the sender to.
public struct WebRTCAnswer: Sendable {
    public var sdp: SessionDescription
    /// One per accepted section, in the offer's order.
    public var bindings: [WebRTCBinding]
    /// Our DTLS role (RFC 5763 §5): "passive" — we are the DTLS server — unless the offer
    /// said passive, then "active".
    public var dtlsRole: String
}

/// The answer of Vigil — an ICE-lite (RFC 8445 §2.5), DTLS-SRTP, send-only peer — to a WHEP
/// client's offer, following JSEP's answer rules (RFC 8829 §5.3.1).
///
/// Per section, in the offer's order (RFC 3264 §6: the answer has as many m= lines, in the
/// same order, each with the offer's mid — RFC 8843 §9.1):
/// - A section is *accepted* when it is live (port ≠ 0 or bundle-only), RTP over DTLS-SRTP
///   (`UDP/TLS/RTP/SAVPF`, RFC 5764 §8), recvonly or sendrecv, and one of our tracks of its
///   kind not yet bound has a format in it. The accepted answer section is `a=sendonly`
///   (RFC 3264 §6.1), one format with the offer's payload type number, `a=rtcp-mux`
///   (RFC 5761 §5.1.3), `a=rtcp-rsize` if offered (RFC 5506 §5), `a=msid` (RFC 8830 §2) and
///   `a=ssrc … cname/msid` (RFC 5576 §4.1), so a browser demultiplexes our packets by SSRC
///   without the MID header extension (RFC 8843 §9.2), which we do not send.
/// - Every other section is *rejected*: port 0, the offered formats kept (RFC 3264 §6),
///   its mid (and rtcp-mux for audio and video), outside the BUNDLE group (RFC 8843 §7.3.3)
///   — data channels, a second video, a codec we lack.
/// - Transport, the same in every accepted section (they are one BUNDLE transport, RFC 8843
///   §7.3.1): `a=ice-ufrag`/`a=ice-pwd` (RFC 8839 §5.4), `a=fingerprint` (RFC 8122 §5),
///   `a=setup` passive, or active when the offer is passive (RFC 5763 §5), `c=` and the m=
///   port of the first candidate, `a=candidate` host lines and `a=end-of-candidates`
///   (RFC 8839 §5.1, §5.7; an ICE-lite agent has only host candidates, RFC 8445 §5.1.1).
/// - Session level: `a=ice-lite` (RFC 8839 §5.3), `a=group:BUNDLE` of the accepted mids
///   (RFC 8843 §7.3), `a=msid-semantic:WMS *`, and the transport attributes once more (every
///   section, rejected ones too, then has them).
///
/// Video is H.264 only (what the encoder makes), `packetization-mode=1` (we send FU-A and
/// STAP-A, RFC 6184 §5.7), a format whose profile is ours (`H264ProfileLevelID`). Its level
/// may be below ours when the offer allows level asymmetry (RFC 6184 §8.1
/// level-asymmetry-allowed; the answer then states our level). An offer with video and no
/// such format is refused (`noCommonVideoCodec`, 406): a camera viewer without the picture is
/// no viewer. An audio section without our codec is only rejected.
public enum WebRTCNegotiation {
    /// RTCP feedback we honour (RFC 4585 §4.2 nack and nack pli; RFC 5104 §7.1 ccm fir;
    /// goog-remb, draft-alvestrand-rmcat-remb §2, which we read as a bandwidth hint). Not
    /// transport-cc: one packet is shared by every viewer and carries no per-viewer
    /// transport-wide sequence number, so no `a=extmap` is answered either.
    public static let answeredFeedback = ["nack", "nack pli", "ccm fir", "goog-remb"]

    /// The only media transport we answer: RTP/SAVPF over DTLS-SRTP over UDP (RFC 5764 §8,
    /// RFC 8829 §5.1.2).
    static let transport = "UDP/TLS/RTP/SAVPF"

    /// Encodings that repair or protect another format: never answered on their own
    /// (we send neither retransmission nor FEC streams to WebRTC viewers).
    static let repairEncodings: Set<String> = ["rtx", "red", "ulpfec", "flexfec-03", "flexfec"]

    public static func answer(
        _ offer: WebRTCOffer, tracks: [WebRTCLocalTrack], local: WebRTCLocalEndpoint
    ) throws(WebRTCNegotiationError) -> WebRTCAnswer {
        guard !tracks.isEmpty else { throw .nothingToSend }
        var bound = Set<Int>()  // positions in `tracks`
        var choices: [Int: (track: WebRTCLocalTrack, format: OfferedFormat)] = [:]  // by section index
        var reasons: [String] = []
        var unmatchedVideo: (offered: [String], ours: String)?

        for section in offer.sections {
            guard section.port != 0 || section.bundleOnly else {
                reasons.append("mid \(section.mid) is rejected by the offer (port 0)")
                continue
            }
            guard section.kind == "video" || section.kind == "audio" else {
                reasons.append("mid \(section.mid) is \(section.kind): only audio and video are sent")
                continue
            }
            guard section.proto == transport else {
                reasons.append("mid \(section.mid) uses \(section.proto), not \(transport)")
                continue
            }
            if section.direction == "sendonly" { throw .sendsMedia(mid: section.mid, direction: section.direction) }
            guard section.direction != "inactive" else {
                reasons.append("mid \(section.mid) is inactive")
                continue
            }
            let candidates = tracks.indices.filter { !bound.contains($0) && tracks[$0].kind == section.kind }
            guard !candidates.isEmpty else {
                reasons.append("mid \(section.mid): no further \(section.kind) track to send")
                continue
            }
            var matched = false
            for position in candidates {
                if let format = bestFormat(for: tracks[position], in: section) {
                    bound.insert(position)
                    choices[section.index] = (tracks[position], format)
                    matched = true
                    break
                }
            }
            if !matched {
                let ours = candidates.map { describe(tracks[$0]) }.joined(separator: " or ")
                let offered = section.formats.filter { !repairEncodings.contains($0.encoding.lowercased()) }.map(\.summary)
                reasons.append("mid \(section.mid): our \(ours) is not among \(offered.isEmpty ? "nothing" : offered.joined(separator: ", "))")
                if section.kind == "video" && unmatchedVideo == nil { unmatchedVideo = (offered, ours) }
            }
        }
        let videoBound = choices.values.contains { $0.track.kind == "video" }
        if let unmatchedVideo, !videoBound { throw .noCommonVideoCodec(offered: unmatchedVideo.offered, ours: unmatchedVideo.ours) }
        guard !choices.isEmpty else { throw .noAcceptableMedia(reasons: reasons) }

        let dtlsRole = offer.setup == "passive" ? "active" : "passive"
        let first = local.candidates.first
        let isIPv6 = first?.address.contains(":") ?? false
        let connection = SDPConnection(addressType: isIPv6 ? "IP6" : "IP4", address: first?.address ?? "0.0.0.0")
        let acceptedMids = offer.bundle.filter { mid in offer.sections.contains { $0.mid == mid && choices[$0.index] != nil } }

        // Written at session level too, where RFC 8839 §5.4, RFC 8122 §5 and RFC 4145 §4 allow
        // them, so that a rejected section also has them: aiortc 1.16 refuses an answer with
        // any m= section lacking ICE credentials or a DTLS role, rejected or not.
        let transportAttributes = [
            SDPAttribute(name: "ice-ufrag", value: local.iceUfrag),
            SDPAttribute(name: "ice-pwd", value: local.icePassword),
            SDPAttribute(name: "fingerprint", value: local.fingerprint),
            SDPAttribute(name: "setup", value: dtlsRole),
        ]
        var media: [MediaDescription] = []
        var bindings: [WebRTCBinding] = []
        for section in offer.sections {
            guard let (track, format) = choices[section.index] else {
                media.append(MediaDescription(
                    media: section.kind, port: 0, proto: section.proto,
                    formats: section.formatList.isEmpty ? ["0"] : section.formatList,
                    connection: SDPConnection(address: "0.0.0.0"),
                    // rtcp-mux in a rejected RTP section means nothing, but aiortc 1.16 refuses
                    // an answer with any audio or video section without it.
                    attributes: [SDPAttribute(name: "mid", value: section.mid)]
                        + (section.kind == "audio" || section.kind == "video" ? [SDPAttribute(name: "rtcp-mux")] : [])))
                continue
            }
            let feedback = answeredFeedback.filter { format.feedback.contains($0) }
            bindings.append(WebRTCBinding(mid: section.mid, trackIndex: track.trackIndex, payloadType: format.payloadType, feedback: Set(feedback)))
            let pt = "\(format.payloadType)"
            let msid = "\(streamID) \(trackID(track))"
            var attributes = [SDPAttribute(name: "mid", value: section.mid), SDPAttribute(name: "sendonly")]
                + transportAttributes + [SDPAttribute(name: "rtcp-mux")]
            if section.rtcpReducedSize { attributes.append(SDPAttribute(name: "rtcp-rsize")) }
            attributes.append(SDPAttribute(name: "rtpmap", value: "\(pt) \(rtpmap(track))"))
            attributes += feedback.map { SDPAttribute(name: "rtcp-fb", value: "\(pt) \($0)") }
            if let fmtp = answerFmtp(track) { attributes.append(SDPAttribute(name: "fmtp", value: "\(pt) \(fmtp)")) }
            attributes += [
                SDPAttribute(name: "msid", value: msid),
                SDPAttribute(name: "ssrc", value: "\(track.ssrc) cname:\(track.cname)"),
                SDPAttribute(name: "ssrc", value: "\(track.ssrc) msid:\(msid)"),
            ]
            attributes += candidateAttributes(local.candidates)
            if !local.candidates.isEmpty { attributes.append(SDPAttribute(name: "end-of-candidates")) }
            media.append(MediaDescription(
                media: section.kind, port: first?.port ?? 9, proto: section.proto, formats: [pt], connection: connection,
                attributes: attributes))
        }

        let sdp = SessionDescription(
            origin: SDPOrigin(sessionID: local.sessionID, sessionVersion: 1, addressType: connection.addressType, address: connection.address),
            sessionName: "-",
            attributes: [
                SDPAttribute(name: "ice-lite"),
                SDPAttribute(name: "group", value: (["BUNDLE"] + acceptedMids).joined(separator: " ")),
                SDPAttribute(name: "msid-semantic", value: "WMS *"),
            ] + transportAttributes,
            media: media)
        return WebRTCAnswer(sdp: sdp, bindings: bindings, dtlsRole: dtlsRole)
    }

    /// The msid stream id of every track (RFC 8830 §2): one stream, so the browser plays
    /// audio and video in sync as one MediaStream.
    static let streamID = "vigil"

    static func trackID(_ track: WebRTCLocalTrack) -> String { "vigil-\(track.kind)-\(track.trackIndex)" }

    /// `a=candidate:<foundation> 1 udp <priority> <address> <port> typ host` — RFC 8839 §5.1.
    /// Priority per RFC 8445 §5.1.2.1: 2^24 × 126 (host type preference) + 2^8 × local
    /// preference (65535 for the first, one less for each next, so every candidate's is
    /// distinct, §5.1.2.2) + (256 − component 1). Candidates on one address share a foundation
    /// (§5.1.1.3: same type, base address and transport).
    static func candidateAttributes(_ candidates: [WebRTCCandidate]) -> [SDPAttribute] {
        var foundations: [String: Int] = [:]
        return candidates.enumerated().map { index, candidate in
            let foundation = foundations[candidate.address] ?? (foundations.count + 1)
            foundations[candidate.address] = foundation
            let priority = (UInt32(126) << 24) | (UInt32(65535 - min(index, 65535)) << 8) | (256 - 1)
            return SDPAttribute(name: "candidate", value: "\(foundation) 1 udp \(priority) \(candidate.address) \(candidate.port) typ host")
        }
    }

    /// The chosen offered format for `track`, or nil.
    static func bestFormat(for track: WebRTCLocalTrack, in section: WebRTCOfferSection) -> OfferedFormat? {
        let usable = section.formats.filter { !repairEncodings.contains($0.encoding.lowercased()) && !$0.encoding.isEmpty }
        if track.encoding.equalsIgnoringASCIICase("H264") {
            let ours = ourProfileLevelID(track)
            // RFC 6184 §8.2.2: packetization-mode and the profile are used symmetrically.
            let fitting = usable.filter { format in
                guard format.encoding.equalsIgnoringASCIICase("H264"), format.clockRate == H264FormatParameters.clockRate,
                    (format.fmtp["packetization-mode"] ?? "0") == "1",
                    let theirs = H264ProfileLevelID(format.fmtp["profile-level-id"] ?? H264FormatParameters.defaultProfileLevelID)
                else { return false }
                return ours.hasSameProfile(as: theirs)
                    && (format.fmtp["level-asymmetry-allowed"] == "1" || ours.levelRank <= theirs.levelRank)
            }
            // Prefer identical profile bytes, then a level that needs no asymmetry, then the
            // offer's order (RFC 3264 §6.1: the offer lists its preference first).
            func score(_ format: OfferedFormat) -> Int {
                let theirs = H264ProfileLevelID(format.fmtp["profile-level-id"] ?? H264FormatParameters.defaultProfileLevelID)!
                let exact = theirs.profileIDC == ours.profileIDC && theirs.profileIOP == ours.profileIOP
                return (exact ? 2 : 0) + (ours.levelRank <= theirs.levelRank ? 1 : 0)
            }
            return fitting.enumerated().max { lhs, rhs in
                let (l, r) = (score(lhs.element), score(rhs.element))
                return l != r ? l < r : lhs.offset > rhs.offset
            }?.element
        }
        if track.encoding.equalsIgnoringASCIICase("opus") {
            // RFC 7587 §7: always "opus/48000/2", whatever the stream's channel count.
            return usable.first { $0.encoding.equalsIgnoringASCIICase("opus") && $0.clockRate == 48000 && $0.channels == 2 }
        }
        guard track.kind == "audio" || track.kind == "video", !track.encoding.equalsIgnoringASCIICase("H264") else { return nil }
        if track.kind == "video" { return nil }  // H.264 only for WebRTC viewers
        return usable.first {
            $0.encoding.equalsIgnoringASCIICase(track.encoding) && $0.clockRate == track.clockRate
                && ($0.channels ?? 1) == (track.channels ?? 1)
        }
    }

    static func ourProfileLevelID(_ track: WebRTCLocalTrack) -> H264ProfileLevelID {
        let parameters = OfferedFormat.parameters(track.fmtp ?? "")
        return H264ProfileLevelID(parameters["profile-level-id"] ?? "")
            ?? H264ProfileLevelID(H264FormatParameters.defaultProfileLevelID)!
    }

    static func rtpmap(_ track: WebRTCLocalTrack) -> String {
        if track.encoding.equalsIgnoringASCIICase("opus") { return "opus/48000/2" }
        if track.encoding.equalsIgnoringASCIICase("H264") { return H264FormatParameters.rtpmap }
        return track.channels.map { "\(track.encoding)/\(track.clockRate)/\($0)" } ?? "\(track.encoding)/\(track.clockRate)"
    }

    /// H.264: our profile-level-id, packetization-mode=1, level-asymmetry-allowed=1 and our
    /// sprop-parameter-sets (RFC 6184 §8.1, §8.2.2: the answer's level is what we send).
    /// Other encodings: our fmtp as it is.
    static func answerFmtp(_ track: WebRTCLocalTrack) -> String? {
        guard track.encoding.equalsIgnoringASCIICase("H264") else { return track.fmtp }
        var parameters = [
            "level-asymmetry-allowed=1", "packetization-mode=1", "profile-level-id=\(ourProfileLevelID(track).hex)",
        ]
        if let sets = OfferedFormat.parameters(track.fmtp ?? "")["sprop-parameter-sets"], !sets.isEmpty {
            parameters.append("sprop-parameter-sets=\(sets)")
        }
        return parameters.joined(separator: ";")
    }

    static func describe(_ track: WebRTCLocalTrack) -> String {
        if track.encoding.equalsIgnoringASCIICase("H264") {
            let id = ourProfileLevelID(track)
            return "H264 \(id.summary) mode 1"
        }
        return rtpmap(track)
    }
}
