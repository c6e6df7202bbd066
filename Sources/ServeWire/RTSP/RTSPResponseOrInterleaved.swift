/// What a client reads from an RTSP connection: a response, or an interleaved RTP/RTCP frame.
public enum RTSPResponseOrInterleaved: Hashable, Sendable {
    case response(RTSPResponse)
    case interleaved(InterleavedFrame)
}
