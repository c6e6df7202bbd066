/// What a server reads from an RTSP connection: a request, or an interleaved RTP/RTCP frame
/// (RTCP receiver reports from a client using TCP transport).
public enum RTSPInbound: Hashable, Sendable {
    case request(RTSPRequest)
    case interleaved(InterleavedFrame)
}
