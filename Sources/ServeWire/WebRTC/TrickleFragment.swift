/// A WHEP PATCH body — RFC 8840 §9 `application/trickle-ice-sdpfrag`: SDP lines with the
/// client's ICE credentials, more candidates, and perhaps `a=end-of-candidates`
/// (draft-ietf-wish-whep §4.4). The m= and a=mid lines say which section a candidate belongs
/// to; with one BUNDLE transport that does not matter, so they are read and not kept.
///
/// ```
/// a=ice-ufrag:EsAw
/// a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1
/// m=audio 9 RTP/AVP 0
/// a=mid:1
/// a=candidate:1 1 UDP 2130706431 10.0.1.1 8998 typ host
/// a=end-of-candidates
/// ```
/// (RFC 8840 §4.4.)
public struct TrickleFragment: Sendable, Hashable {
    /// A fragment is a few candidates; 16 KiB is far more than any client sends at once.
    public static let maximumBytes = 16 * 1024
    /// An agent gathering on many interfaces (host, srflx, relay × UDP/TCP × IPv4/IPv6)
    /// reaches a few dozen candidates.
    public static let maximumCandidates = 64

    /// Present on an ICE restart or when the client repeats them (RFC 8840 §4.4).
    public var iceUfrag: String?
    public var icePassword: String?
    /// The attribute values after `a=candidate:`, e.g.
    /// `1 1 UDP 2130706431 10.0.1.1 8998 typ host`.
    public var candidates: [String]
    public var endOfCandidates: Bool

    public init(iceUfrag: String? = nil, icePassword: String? = nil, candidates: [String] = [], endOfCandidates: Bool = false) {
        self.iceUfrag = iceUfrag
        self.icePassword = icePassword
        self.candidates = candidates
        self.endOfCandidates = endOfCandidates
    }

    public static func parse(_ text: String) throws(WebRTCNegotiationError) -> TrickleFragment {
        let size = text.utf8.count
        guard size <= maximumBytes else { throw .tooLarge(bytes: size, limit: maximumBytes) }
        var fragment = TrickleFragment()
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        for (offset, line) in lines.enumerated() {
            let line = line.hasSuffix("\r") ? line.dropLast() : line
            if line.isEmpty { continue }
            let head = Array(line.prefix(2))
            // RFC 8840 §9: sdp-fragment = *(media-description / attribute-fields / …).
            guard head.count == 2, head[1] == "=", head[0] == "a" || head[0] == "m" || head[0] == "c" else {
                throw .notFragment(line: offset + 1, text: WebRTCNegotiationError.shortened(line))
            }
            guard head[0] == "a" else { continue }
            let attribute = SDPAttribute(parsing: line.dropFirst(2))
            switch attribute.name {
            case "ice-ufrag":
                fragment.iceUfrag = attribute.value.map { String($0.trimmingASCIIWhitespace()) }
            case "ice-pwd":
                fragment.icePassword = attribute.value.map { String($0.trimmingASCIIWhitespace()) }
            case "candidate":
                let value = String((attribute.value ?? "").trimmingASCIIWhitespace())
                try checkCandidate(value)
                guard fragment.candidates.count < maximumCandidates else { throw .tooManyCandidates(limit: maximumCandidates) }
                fragment.candidates.append(value)
            case "end-of-candidates":
                fragment.endOfCandidates = true
            default:
                continue  // a=mid, a=group, a=ice-options …
            }
        }
        return fragment
    }

    /// RFC 8839 §5.1: `foundation SP component-id SP transport SP priority SP
    /// connection-address SP port SP "typ" SP cand-type *(SP extension)`.
    static func checkCandidate(_ value: String) throws(WebRTCNegotiationError) {
        let fields = value.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 8, (1...32).contains(fields[0].utf8.count),
            let component = Int(fields[1]), (1...256).contains(component),
            UInt32(fields[3]) != nil, !fields[4].isEmpty,
            let port = Int(fields[5]), (0...65535).contains(port),
            fields[6] == "typ", !fields[7].isEmpty
        else { throw .malformedCandidate(value) }
    }
}
