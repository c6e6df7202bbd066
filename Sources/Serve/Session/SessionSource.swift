import Access
import NIOCore
import ServeWire

/// What an RTSP URL names: a live stream, a stream's recording, a media file. DESCRIBE asks
/// it for a session description; the SETUP that creates a session asks it for the source the
/// session plays. Confined to the server's event loop; slow work (file reads) happens off it,
/// and the answer comes back on it.
protocol MediaOffer: AnyObject {
    /// The stream path access is checked against, and logs name.
    var path: String { get }
    /// What a viewer must be allowed: `read` for live, `playback` for stored media.
    var permission: Permission { get }
    /// The session description for a DESCRIBE of `target`.
    func describe(
        _ target: RequestTarget, serverAddress: String, clientTakesAVPF: Bool,
        respond: @escaping (Result<SessionDescription, ServeError>) -> Void)
    /// The source a new session of `target` plays: the live hub for everyone, a player of its
    /// own for a file viewer.
    func openSource(_ target: RequestTarget, respond: @escaping (Result<any SessionSource, ServeError>) -> Void)
}

/// What one RTSP session plays. RTSP control, RTCP and the viewer transports are written once
/// against this; the live hub and the file player differ only behind it. Confined to the
/// server's event loop.
protocol SessionSource: AnyObject {
    var path: String { get }
    var trackConfigurations: [TrackConfiguration] { get }
    /// The server's RTP/RTCP ports for UDP viewers of `track`; nil when UDP is not offered.
    func serverPorts(track: Int) -> UDPPortPair?
    /// Where multicast viewers of `track` receive it; nil when the source is not multicast.
    func multicastGroup(track: Int) -> MulticastGroup?
    /// Starts or resumes the session's media; the answer says where it starts.
    func play(_ session: RTSPSession, request: PlayRequest, respond: @escaping (Result<PlayAnswer, ServeError>) -> Void)
    /// Stops sending to the session without forgetting where it was.
    func pause(_ session: RTSPSession)
    /// Stops sending for good (TEARDOWN, the connection went away); with `goodbye` each track
    /// ends with an RTCP BYE.
    func stop(_ session: RTSPSession, goodbye: Bool)
    /// A compound RTCP packet from a viewer of `track`: over UDP from `address`, or
    /// interleaved from `output`.
    func receiveRTCP(_ buffer: ByteBuffer, track: Int, from address: SocketAddress?, output: TrackOutput?)
}

/// A multicast destination of one track.
struct MulticastGroup {
    var group: String
    var port: Int
    var ttl: Int
}

/// What a PLAY asks for (RFC 2326 §10.5, RFC 7826 §13.4): where to start, how fast, and how
/// to land.
struct PlayRequest {
    /// The aggregate URL that RTP-Info's entries are relative to (Content-Base).
    var baseURL: String
    var range: RTSPRange?
    var scale: Double?
    var speed: Double?
    var seekStyle: SeekStyle?
    /// ONVIF replay (Streaming Specification §6): `Require: onvif-replay`.
    var onvifReplay = false
    /// ONVIF `Rate-Control: no`: send as fast as the client reads, no pacing.
    var rateControl = true
    /// ONVIF `Frames: intra`: key frames only.
    var intraOnly = false
    /// The PLAY's CSeq, whose low byte ONVIF's replay extension carries.
    var cseq: UInt8 = 0
}

/// The answer to a PLAY: the range it plays, the rate applied, and the first packet of each
/// track.
struct PlayAnswer {
    var range: RTSPRange
    var scale: Double?
    var speed: Double?
    var rtpInfo: [RTPInfoEntry]
}
