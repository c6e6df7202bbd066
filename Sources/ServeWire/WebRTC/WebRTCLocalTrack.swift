/// What Vigil sends on one track of a stream, as the answer describes it.
public struct WebRTCLocalTrack: Sendable, Hashable {
    /// The stream's track number (as in the RTSP `trackID=`).
    public var trackIndex: Int
    /// "video" or "audio".
    public var kind: String
    /// "H264", "PCMU", "PCMA" or "opus".
    public var encoding: String
    public var clockRate: Int
    public var channels: Int?
    /// Our fmtp parameters; for H.264 `packetization-mode=1;profile-level-id=…;sprop-parameter-sets=…`
    /// (`H264FormatParameters.fmtp`). nil for PCMU/PCMA.
    public var fmtp: String?
    public var ssrc: UInt32
    /// The RTCP CNAME of the stream's packets (RFC 7022), also announced in `a=ssrc`.
    public var cname: String

    public init(trackIndex: Int, kind: String, encoding: String, clockRate: Int, channels: Int? = nil, fmtp: String? = nil, ssrc: UInt32, cname: String) {
        self.trackIndex = trackIndex
        self.kind = kind
        self.encoding = encoding
        self.clockRate = clockRate
        self.channels = channels
        self.fmtp = fmtp
        self.ssrc = ssrc
        self.cname = cname
    }
}

/// One host candidate of Vigil's ICE-lite agent: a UDP address it answers STUN on.
public struct WebRTCCandidate: Sendable, Hashable {
    public var address: String
    public var port: Int

    public init(address: String, port: Int) {
        self.address = address
        self.port = port
    }
}

/// Vigil's side of the transport: ICE credentials, the DTLS certificate's fingerprint and the
/// host candidates.
public struct WebRTCLocalEndpoint: Sendable, Hashable {
    public var iceUfrag: String
    public var icePassword: String
    /// "sha-256 AB:CD:…" (RFC 8122 §5).
    public var fingerprint: String
    /// In order of preference; the first is also the answer's c= and m= port.
    public var candidates: [WebRTCCandidate]
    /// The o= line's sess-id (RFC 4566 §5.2).
    public var sessionID: UInt64

    public init(iceUfrag: String, icePassword: String, fingerprint: String, candidates: [WebRTCCandidate], sessionID: UInt64) {
        self.iceUfrag = iceUfrag
        self.icePassword = icePassword
        self.fingerprint = fingerprint
        self.candidates = candidates
        self.sessionID = sessionID
    }
}
