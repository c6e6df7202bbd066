/// Why a WHEP offer (draft-ietf-wish-whep §4.2) or a trickle fragment (RFC 8840) cannot be
/// answered, in words for the author of the client that sent it. The HTTP edge maps
/// `isUnacceptable` to 406 (the offer is well formed but nothing in it is media we send) and
/// everything else to 400 (the offer is malformed or breaks a rule WebRTC makes mandatory).
public enum WebRTCNegotiationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The body is larger than we read (`WebRTCOffer.maximumBytes`, `TrickleFragment.maximumBytes`).
    case tooLarge(bytes: Int, limit: Int)
    /// More m= sections than `WebRTCOffer.maximumSections`.
    case tooManySections(count: Int, limit: Int)
    /// Not an SDP session description (RFC 4566 §5); `line` is numbered from 1 (0: the whole
    /// text), `text` is the offending line, shortened.
    case notSDP(line: Int, text: String, reason: String)
    /// An offer without a single m= line.
    case noMediaSections
    /// An m= section has no `a=mid` (RFC 8843 §9.1 requires one per bundled section) or two
    /// sections share one.
    case missingMid(section: Int)
    case duplicateMid(String)
    /// A mid that is not an RFC 5888 §4 token of at most 64 characters.
    case invalidMid(section: Int, String)
    /// No `a=group:BUNDLE` (RFC 8843 §7.1): Vigil answers every viewer on one transport.
    case noBundle
    /// A section that is not rejected is missing from the BUNDLE group.
    case notBundled(mid: String)
    /// No `a=ice-ufrag` / `a=ice-pwd` for a section, at media or session level (RFC 8839 §5.4).
    case missingICECredentials(mid: String)
    /// ice-ufrag or ice-pwd outside RFC 8839 §5.4's grammar (4…256 / 22…256 ice-chars).
    case invalidICECredentials(mid: String, reason: String)
    /// Bundled sections carry different ICE credentials: they share one ICE agent (RFC 8843 §7.2.1).
    case inconsistentICECredentials(mid: String)
    /// No `a=fingerprint` (RFC 8122 §5), which DTLS-SRTP needs (RFC 5763 §5).
    case missingFingerprint(mid: String)
    case invalidFingerprint(String)
    /// `a=setup` other than actpass, active or passive (RFC 4145 §4, RFC 5763 §5: holdconn has no
    /// meaning for a new DTLS association).
    case invalidSetup(String)
    /// A section without `a=rtcp-mux`: Vigil's single port carries RTP and RTCP (RFC 5761 §5.1.1,
    /// RFC 8829 §5.3.1 — no separate RTCP candidates are offered).
    case noRTCPMux(mid: String)
    /// A section the client would send media on (sendonly): WHEP viewers receive; sending is WHIP.
    case sendsMedia(mid: String, direction: String)
    /// An m= line whose port or payload types are not numbers in range.
    case invalidMediaLine(section: Int, reason: String)
    /// The offer has video but no H.264 (packetization-mode=1) format whose profile matches the
    /// stream's (RFC 6184 §8.2.2); `offered` lists what was offered, e.g. "VP8", "H264 42001f mode 1".
    case noCommonVideoCodec(offered: [String], ours: String)
    /// Nothing in the offer can carry any of the stream's tracks; one reason per section.
    case noAcceptableMedia(reasons: [String])
    /// The stream has no track to send.
    case nothingToSend
    /// A trickle fragment line that is not `a=…` or `m=…`, or a malformed candidate.
    case notFragment(line: Int, text: String)
    case malformedCandidate(String)
    case tooManyCandidates(limit: Int)

    /// True when the offer is valid but asks for nothing Vigil can send (HTTP 406); false when
    /// it is malformed or lacks something WebRTC requires (HTTP 400).
    public var isUnacceptable: Bool {
        switch self {
        case .noCommonVideoCodec, .noAcceptableMedia, .nothingToSend: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .tooLarge(let bytes, let limit):
            "the body is \(bytes) bytes; at most \(limit) are accepted"
        case .tooManySections(let count, let limit):
            "the offer has \(count) m= sections; at most \(limit) are accepted"
        case .notSDP(let line, let text, let reason):
            line == 0 ? "not an SDP offer: \(reason)" : "not an SDP offer: line \(line) \"\(text)\": \(reason)"
        case .noMediaSections:
            "the offer has no m= section: add a recvonly video (and audio) transceiver"
        case .missingMid(let section):
            "m= section \(section + 1) has no a=mid (RFC 8843 needs one in every bundled section)"
        case .invalidMid(let section, let mid):
            "m= section \(section + 1) has a=mid:\(mid), not a token of at most 64 characters (RFC 5888 §4)"
        case .duplicateMid(let mid):
            "two m= sections share a=mid:\(mid)"
        case .noBundle:
            "the offer has no a=group:BUNDLE: every section must be bundled on one transport (RFC 8843)"
        case .notBundled(let mid):
            "m= section with mid \(mid) is not in the a=group:BUNDLE group"
        case .missingICECredentials(let mid):
            "no a=ice-ufrag and a=ice-pwd for mid \(mid) (RFC 8839 §5.4)"
        case .invalidICECredentials(let mid, let reason):
            "the ICE credentials of mid \(mid) are invalid: \(reason) (RFC 8839 §5.4)"
        case .inconsistentICECredentials(let mid):
            "mid \(mid) has different ICE credentials from the other bundled sections (RFC 8843 §7.2.1)"
        case .missingFingerprint(let mid):
            "no a=fingerprint for mid \(mid): DTLS-SRTP needs the certificate fingerprint (RFC 8122, RFC 5763)"
        case .invalidFingerprint(let value):
            "a=fingerprint:\(Self.shortened(value)) is not \"<hash> XX:XX:…\" (RFC 8122 §5)"
        case .invalidSetup(let value):
            "a=setup:\(Self.shortened(value)) must be actpass, active or passive (RFC 5763 §5)"
        case .noRTCPMux(let mid):
            "mid \(mid) has no a=rtcp-mux: RTP and RTCP must share the port (RFC 5761, RFC 8829 §5.2.1)"
        case .sendsMedia(let mid, let direction):
            "mid \(mid) is \(direction): a WHEP viewer only receives (use recvonly)"
        case .invalidMediaLine(let section, let reason):
            "m= section \(section + 1): \(reason)"
        case .noCommonVideoCodec(let offered, let ours):
            "no offered video format can carry our \(ours); offered: \(offered.isEmpty ? "nothing" : offered.joined(separator: ", "))"
        case .noAcceptableMedia(let reasons):
            "nothing offered can carry this stream: \(reasons.joined(separator: "; "))"
        case .nothingToSend:
            "the stream has no track to send"
        case .notFragment(let line, let text):
            "not an SDP fragment: line \(line) \"\(text)\" is not a=… or m=… (RFC 8840 §9)"
        case .malformedCandidate(let text):
            "a=candidate:\(Self.shortened(text)) is not \"<foundation> <component> <transport> <priority> <address> <port> typ <type>\" (RFC 8839 §5.1)"
        case .tooManyCandidates(let limit):
            "more than \(limit) candidates"
        }
    }

    /// Untrusted text echoed back: at most 80 characters.
    static func shortened(_ text: some StringProtocol) -> String {
        text.count <= 80 ? String(text) : String(text.prefix(80)) + "…"
    }
}
