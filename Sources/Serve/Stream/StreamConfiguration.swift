import MediaCore
import ServeWire

/// What one track of a stream carries and how it is stamped on the wire. Random values (SSRC,
/// first sequence number, timestamp offset) are drawn by the composition root and passed in,
/// so a hub built in a test is fully deterministic.
public struct TrackConfiguration: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case video
        case audio
    }

    public var kind: Kind
    public var codec: MediaCodec
    public var payloadType: UInt8
    /// The RTP clock rate (90 kHz for video, the sample rate for G.711).
    public var clockRate: Int
    /// Audio channels for the rtpmap line; nil for video.
    public var channels: Int?
    /// The `a=fmtp` value, if the payload format has one.
    public var formatParameters: String?
    public var ssrc: UInt32
    public var initialSequenceNumber: UInt16
    public var timestampOffset: UInt32
    /// H.263 only: the RTP payload format (RFC 4629 under either media type, or RFC 2190).
    public var h263Payload: H263Format.Payload

    public init(
        kind: Kind, codec: MediaCodec, payloadType: UInt8, clockRate: Int, channels: Int? = nil,
        formatParameters: String? = nil, ssrc: UInt32, initialSequenceNumber: UInt16, timestampOffset: UInt32,
        h263Payload: H263Format.Payload = .rfc4629
    ) {
        self.h263Payload = h263Payload
        self.kind = kind
        self.codec = codec
        self.payloadType = payloadType
        self.clockRate = clockRate
        self.channels = channels
        self.formatParameters = formatParameters
        self.ssrc = ssrc
        self.initialSequenceNumber = initialSequenceNumber
        self.timestampOffset = timestampOffset
    }

    /// The encoding name of the rtpmap line — RFC 6184 §8.2.1, RFC 4629 §8, RFC 3551 §6.
    public var encodingName: String {
        switch codec {
        case .h264: return "H264"
        case .h263: return h263Payload.encodingName
        case .pcmu: return "PCMU"
        case .pcma: return "PCMA"
        }
    }
}

/// One stream: a path viewers open and the tracks it carries.
public struct StreamConfiguration: Sendable, Hashable {
    /// The path after the host, without slashes (`live` serves `rtsp://host:port/live`).
    public var path: String
    public var tracks: [TrackConfiguration]
    /// The largest RTP packet (header + payload) sent, in bytes; FU-A splits below it.
    public var mtu: Int
    /// RTCP SDES CNAME shared by every track of the stream, so receivers know the audio and
    /// the video come from one source with one clock (RFC 3550 §6.5.1).
    public var cname: String
    /// The session bandwidth in kbit/s, for the RTCP interval (RFC 3550 §6.2).
    public var sessionBandwidthKbps: Int

    public init(path: String, tracks: [TrackConfiguration], mtu: Int = 1400, cname: String, sessionBandwidthKbps: Int) {
        self.path = path
        self.tracks = tracks
        self.mtu = mtu
        self.cname = cname
        self.sessionBandwidthKbps = sessionBandwidthKbps
    }
}
