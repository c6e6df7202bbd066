/// A WHEP client's SDP offer (draft-ietf-wish-whep §4.2, JSEP RFC 8829 §5.2), parsed and
/// checked for what a WebRTC peer must say: one BUNDLE group (RFC 8843), ICE credentials
/// (RFC 8839 §5.4), a certificate fingerprint and DTLS role (RFC 8122 §5, RFC 5763 §5) and
/// RTP/RTCP multiplexing (RFC 5761). Built on `SessionDescription`; what to answer is
/// `WebRTCNegotiation`'s business.
public struct WebRTCOffer: Sendable {
    /// Offers are a few kilobytes (Chromium's audio + video offer is about 6 KiB); 64 KiB
    /// leaves room for many candidates and still bounds what an untrusted POST costs to parse.
    public static let maximumBytes = 64 * 1024
    /// A viewer needs a video, an audio and perhaps a data channel section; 16 admits
    /// simulcast-happy clients while bounding the answer we build.
    public static let maximumSections = 16

    /// Of the bundled sections (they must agree, RFC 8843 §7.2.1).
    public var iceUfrag: String
    public var icePassword: String
    /// The `a=fingerprint` value as written, e.g. "sha-256 AB:CD:…": the sha-256 one when the
    /// offer lists several (aiortc writes sha-256, sha-384 and sha-512), otherwise the first.
    public var fingerprint: String
    /// Every `a=fingerprint` of the bundled sections' transport, in order (RFC 8122 §5 allows
    /// several; the certificate must match one of them).
    public var fingerprints: [String]
    /// actpass, active or passive; "active" when absent (RFC 4145 §4's default).
    public var setup: String
    /// Every m= line in order.
    public var sections: [WebRTCOfferSection]
    /// The BUNDLE group's mids as offered (RFC 8843 §7.2: the first is the offerer BUNDLE-tag).
    public var bundle: [String]
    /// `a=ice-options:trickle` (RFC 8840 §4.1.1): the client may PATCH more candidates later.
    public var trickle: Bool
    /// The parsed description the checks ran on.
    public var session: SessionDescription

    /// Parses and checks `sdp` (CRLF or LF lines).
    public static func parse(_ sdp: String) throws(WebRTCNegotiationError) -> WebRTCOffer {
        let size = sdp.utf8.count
        guard size <= maximumBytes else { throw .tooLarge(bytes: size, limit: maximumBytes) }
        let session: SessionDescription
        do {
            session = try SessionDescription.parseTyped(sdp)
        } catch {
            throw notSDP(error, text: sdp)
        }
        guard !session.media.isEmpty else { throw .noMediaSections }
        guard session.media.count <= maximumSections else {
            throw .tooManySections(count: session.media.count, limit: maximumSections)
        }

        var sections: [WebRTCOfferSection] = []
        var mids = Set<String>()
        for (index, media) in session.media.enumerated() {
            let section = try WebRTCOfferSection(media, index: index)
            guard mids.insert(section.mid).inserted else { throw .duplicateMid(section.mid) }
            sections.append(section)
        }

        // RFC 8843 §7.1: a=group:BUNDLE <mid> …; other group semantics (LS, FID) are ignored.
        let bundle = session.attributes.filter { $0.name == "group" }.compactMap { attribute -> [String]? in
            let fields = (attribute.value ?? "").split(separator: " ").map(String.init)
            return fields.first == "BUNDLE" ? Array(fields.dropFirst()) : nil
        }.first ?? []
        guard !bundle.isEmpty else { throw .noBundle }

        // The sections that want a transport: not rejected by the offerer (port 0 without
        // a=bundle-only, RFC 8843 §6). They must all be bundled, which makes them share one
        // ICE/DTLS transport whose parameters are the offerer-tagged section's.
        let live = sections.filter { $0.port != 0 || $0.bundleOnly }
        for section in live where !bundle.contains(section.mid) { throw .notBundled(mid: section.mid) }
        guard !live.isEmpty else {
            throw .noAcceptableMedia(reasons: sections.map { "mid \($0.mid) is rejected by the offer (port 0)" })
        }

        var credentials: (ufrag: String, password: String)?
        var fingerprints: [String] = []
        var setup: String?
        for section in live {
            let media = session.media[section.index]
            let ufrag = media.attribute("ice-ufrag") ?? session.attribute("ice-ufrag")
            let password = media.attribute("ice-pwd") ?? session.attribute("ice-pwd")
            guard let ufrag, let password, !ufrag.isEmpty, !password.isEmpty else {
                throw .missingICECredentials(mid: section.mid)
            }
            try checkICECredentials(ufrag: ufrag, password: password, mid: section.mid)
            if let credentials {
                guard credentials.ufrag == ufrag, credentials.password == password else { throw .inconsistentICECredentials(mid: section.mid) }
            } else {
                credentials = (ufrag, password)
            }

            var values = media.attributes.filter { $0.name == "fingerprint" }.map { $0.value ?? "" }
            if values.isEmpty { values = session.attributes.filter { $0.name == "fingerprint" }.map { $0.value ?? "" } }
            guard !values.isEmpty else { throw .missingFingerprint(mid: section.mid) }
            for value in values { try checkFingerprint(value) }
            if fingerprints.isEmpty { fingerprints = values.map { String($0.trimmingASCIIWhitespace()) } }

            let role = (media.attribute("setup") ?? session.attribute("setup")).map { String($0.trimmingASCIIWhitespace()) }
            if let role {
                guard ["actpass", "active", "passive"].contains(role) else { throw .invalidSetup(role) }
            }
            if setup == nil { setup = role ?? "active" }

            guard section.rtcpMux || section.kind == "application" else { throw .noRTCPMux(mid: section.mid) }
        }

        let options = session.media.flatMap { $0.attributes } + session.attributes
        let trickle = options.contains { $0.name == "ice-options" && ($0.value ?? "").split(separator: " ").contains("trickle") }
        return WebRTCOffer(
            iceUfrag: credentials!.ufrag, icePassword: credentials!.password,
            fingerprint: fingerprints.first { $0.lowercased().hasPrefix("sha-256 ") } ?? fingerprints[0],
            fingerprints: fingerprints, setup: setup ?? "active", sections: sections, bundle: bundle, trickle: trickle,
            session: session)
    }

    /// RFC 8839 §5.4: `ice-ufrag = 4*256ice-char`, `ice-pwd = 22*256ice-char`,
    /// `ice-char = ALPHA / DIGIT / "+" / "/"`.
    static func checkICECredentials(ufrag: String, password: String, mid: String) throws(WebRTCNegotiationError) {
        func isICEChar(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/")
        }
        guard (4...256).contains(ufrag.utf8.count) else {
            throw .invalidICECredentials(mid: mid, reason: "ice-ufrag has \(ufrag.utf8.count) characters, not 4…256")
        }
        guard (22...256).contains(password.utf8.count) else {
            throw .invalidICECredentials(mid: mid, reason: "ice-pwd has \(password.utf8.count) characters, not 22…256")
        }
        guard ufrag.utf8.allSatisfy(isICEChar), password.utf8.allSatisfy(isICEChar) else {
            throw .invalidICECredentials(mid: mid, reason: "only letters, digits, + and / are ice-chars")
        }
    }

    /// RFC 8122 §5: `fingerprint-attribute = "fingerprint" ":" hash-func SP fingerprint`,
    /// `fingerprint = 2UHEX *(":" 2UHEX)` (lower case accepted too: browsers differ).
    static func checkFingerprint(_ value: String) throws(WebRTCNegotiationError) {
        let fields = value.trimmingASCIIWhitespace().split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count == 2, !fields[0].isEmpty, fields[0].utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw .invalidFingerprint(value)
        }
        let octets = fields[1].split(separator: ":", omittingEmptySubsequences: false)
        let isHex: (UInt8) -> Bool = {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0)
                || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains($0)
        }
        guard (16...64).contains(octets.count), octets.allSatisfy({ $0.utf8.count == 2 && $0.utf8.allSatisfy(isHex) }) else {
            throw .invalidFingerprint(value)
        }
        // sha-256 is what every browser sends and the one DTLS stacks must support (RFC 8122 §5).
        let expected = ["sha-1": 20, "sha-224": 28, "sha-256": 32, "sha-384": 48, "sha-512": 64][fields[0].lowercased()]
        if let expected, expected != octets.count { throw .invalidFingerprint(value) }
    }

    /// The parser's error in the client's words, with the offending line.
    static func notSDP(_ error: SDPParseError, text: String) -> WebRTCNegotiationError {
        switch error {
        case .missingVersion:
            return .notSDP(line: 1, text: firstLine(of: text, number: 1), reason: "an SDP description begins with v=0")
        case .missingRequiredField(let type):
            return .notSDP(line: 0, text: "", reason: "there is no \(type)= line")
        case .malformedLine(1):
            return .notSDP(line: 1, text: firstLine(of: text, number: 1), reason: "an SDP description begins with v=0")
        case .malformedLine(let number):
            return .notSDP(line: number, text: firstLine(of: text, number: number), reason: "not <type>=<value> as RFC 4566 §5 defines it")
        }
    }

    private static func firstLine(of text: String, number: Int) -> String {
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        guard number >= 1, number <= lines.count else { return "" }
        return WebRTCNegotiationError.shortened(lines[number - 1])
    }
}

/// One m= section of an offer.
public struct WebRTCOfferSection: Sendable {
    /// Position in the offer, from 0.
    public var index: Int
    public var mid: String
    /// audio, video or application.
    public var kind: String
    /// The m= line's proto, e.g. UDP/TLS/RTP/SAVPF.
    public var proto: String
    /// The m= line's format list as written (payload types, or "webrtc-datachannel").
    public var formatList: [String]
    /// The RTP payload formats, in the offer's order of preference (RFC 3264 §5.1).
    public var formats: [OfferedFormat]
    /// sendrecv, sendonly, recvonly or inactive; sendrecv when absent (RFC 4566 §6).
    public var direction: String
    public var rtcpMux: Bool
    /// `a=rtcp-rsize` (RFC 5506 §5): reduced-size RTCP welcome.
    public var rtcpReducedSize: Bool
    /// `a=bundle-only` (RFC 8843 §6): port 0 yet wanted.
    public var bundleOnly: Bool
    public var port: Int

    /// RFC 4566 §9 token-char: visible ASCII except `"(),/:;<=>?@[\]`.
    static func isTokenChar(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x21, 0x23...0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x30...0x39, 0x41...0x5A, 0x5E...0x7E: true
        default: false
        }
    }

    /// The static payload types of RFC 3551 §6 that a WebRTC peer may offer without an rtpmap.
    static let staticPayloadTypes: [UInt8: (encoding: String, clockRate: Int)] = [
        0: ("PCMU", 8000), 8: ("PCMA", 8000), 9: ("G722", 8000), 13: ("CN", 8000),
    ]

    init(_ media: MediaDescription, index: Int) throws(WebRTCNegotiationError) {
        self.index = index
        guard let mid = media.attribute("mid"), !mid.isEmpty else { throw .missingMid(section: index) }
        // RFC 5888 §4: identification-tag = token (RFC 4566 §9); 64 characters is far more than
        // any client writes (browsers use "0", "1" …) and keeps the echo in the answer small.
        guard mid.utf8.count <= 64, mid.utf8.allSatisfy(Self.isTokenChar) else {
            throw .invalidMid(section: index, WebRTCNegotiationError.shortened(mid))
        }
        guard (0...65535).contains(media.port) else {
            throw .invalidMediaLine(section: index, reason: "port \(media.port) is not 0…65535")
        }
        self.mid = mid
        kind = media.media
        proto = media.proto
        formatList = media.formats
        port = media.port
        let directions = ["sendrecv", "sendonly", "recvonly", "inactive"]
        direction = media.attributes.last { directions.contains($0.name) }?.name ?? "sendrecv"
        rtcpMux = media.attribute("rtcp-mux") != nil
        rtcpReducedSize = media.attribute("rtcp-rsize") != nil
        bundleOnly = media.attribute("bundle-only") != nil
        formats = []
        guard media.proto.contains("RTP") else { return }  // application: formats are not payload types

        // a=rtcp-fb:<pt>|* <type> [<parameter>] — RFC 4585 §4.2.
        var feedback: [String: [String]] = [:]
        for attribute in media.attributes where attribute.name == "rtcp-fb" {
            let parts = (attribute.value ?? "").split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            guard parts.count == 2 else { continue }
            let kind = parts[1].split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            feedback[String(parts[0]), default: []].append(kind)
        }
        for text in media.formats {
            guard let number = UInt8(text), number <= 127 else {
                throw .invalidMediaLine(section: index, reason: "payload type \(WebRTCNegotiationError.shortened(text)) is not 0…127")
            }
            guard !formats.contains(where: { $0.payloadType == number }) else {
                throw .invalidMediaLine(section: index, reason: "payload type \(number) is listed twice")
            }
            // a=rtpmap:<pt> <encoding name>/<clock rate>[/<encoding parameters>] — RFC 4566 §6.
            var encoding: String
            var clockRate: Int
            var channels: Int?
            if let rtpmap = media.rtpmap(for: text) {
                let parts = rtpmap.trimmingASCIIWhitespace().split(separator: "/", omittingEmptySubsequences: false)
                guard (2...3).contains(parts.count), !parts[0].isEmpty, let rate = Int(parts[1]), rate > 0 else {
                    throw .invalidMediaLine(section: index, reason: "a=rtpmap:\(number) \(WebRTCNegotiationError.shortened(rtpmap)) is not <encoding>/<clock rate>[/<channels>]")
                }
                encoding = String(parts[0])
                clockRate = rate
                if parts.count == 3 {
                    guard let count = Int(parts[2]), count > 0 else {
                        throw .invalidMediaLine(section: index, reason: "a=rtpmap:\(number) has channels \(WebRTCNegotiationError.shortened(parts[2]))")
                    }
                    channels = count
                }
            } else if let known = Self.staticPayloadTypes[number] {
                encoding = known.encoding
                clockRate = known.clockRate
            } else {
                // A dynamic payload type without rtpmap is unusable (RFC 4566 §6): kept, never chosen.
                encoding = ""
                clockRate = 0
            }
            formats.append(OfferedFormat(
                payloadType: number, encoding: encoding, clockRate: clockRate, channels: channels,
                fmtp: OfferedFormat.parameters(media.fmtp(for: text) ?? ""),
                feedback: (feedback[text] ?? []) + (feedback["*"] ?? [])))
        }
    }
}

/// One payload format of an offered section: its rtpmap, fmtp and rtcp-fb lines.
public struct OfferedFormat: Sendable, Hashable {
    public var payloadType: UInt8
    /// As written (compare case-insensitively: RFC 4855 §3 media subtype names are).
    public var encoding: String
    public var clockRate: Int
    public var channels: Int?
    /// fmtp parameters with names in lower case (RFC 6184 §8.1 and RFC 7587 §6.1 names are
    /// case-insensitive); a parameter without "=" maps to "".
    public var fmtp: [String: String]
    /// "nack", "nack pli", "ccm fir", "goog-remb", "transport-cc" …
    public var feedback: [String]

    public init(payloadType: UInt8, encoding: String, clockRate: Int, channels: Int? = nil, fmtp: [String: String] = [:], feedback: [String] = []) {
        self.payloadType = payloadType
        self.encoding = encoding
        self.clockRate = clockRate
        self.channels = channels
        self.fmtp = fmtp
        self.feedback = feedback
    }

    /// `name=value;name=value` — the form RFC 6184, RFC 7587 and RFC 4588 use.
    static func parameters(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for parameter in text.split(separator: ";") {
            let trimmed = parameter.trimmingASCIIWhitespace()
            guard !trimmed.isEmpty else { continue }
            if let equals = trimmed.firstIndex(of: "=") {
                let name = trimmed[..<equals].trimmingASCIIWhitespace().lowercased()
                if result[name] == nil { result[name] = String(trimmed[trimmed.index(after: equals)...].trimmingASCIIWhitespace()) }
            } else if result[trimmed.lowercased()] == nil {
                result[trimmed.lowercased()] = ""
            }
        }
        return result
    }

    /// "H264 42e01f mode 1", "VP8", "opus/48000/2" — for error messages.
    var summary: String {
        if encoding.equalsIgnoringASCIICase("H264") {
            return "H264 \(fmtp["profile-level-id"] ?? "(no profile-level-id)") mode \(fmtp["packetization-mode"] ?? "0")"
        }
        if encoding.isEmpty { return "payload type \(payloadType) without rtpmap" }
        return channels.map { "\(encoding)/\(clockRate)/\($0)" } ?? (kindIsAudioLike ? "\(encoding)/\(clockRate)" : encoding)
    }

    private var kindIsAudioLike: Bool { clockRate != 90000 }
}
