import NIOCore
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

    /// The RTP profile offered in SDP for this track.
    public enum Profile: String, Sendable, Hashable {
        /// RFC 3551. Every client takes it; feedback (`a=rtcp-fb`) is still offered, but a
        /// receiver may send it only with its regular reports.
        case avp = "RTP/AVP"
        /// RFC 4585: receivers may send feedback early (NACK, PLI within an RTT). Clients built
        /// on live555 (VLC, many NVRs) skip media sections in this profile.
        case avpf = "RTP/AVPF"
        /// AVPF to clients known to take it (ffmpeg, GStreamer), AVP to everyone else: RTSP
        /// has no offer/answer, so the DESCRIBE answer is chosen by the client's User-Agent.
        case byClient = "auto"

        /// The `m=` line's proto for a client that does or does not take AVPF.
        public func proto(clientTakesAVPF: Bool) -> String {
            switch self {
            case .avp: return Self.avp.rawValue
            case .avpf: return Self.avpf.rawValue
            case .byClient: return clientTakesAVPF ? Self.avpf.rawValue : Self.avp.rawValue
            }
        }

        /// Whether the client that sent `userAgent` plays RTP/AVPF media sections and sends
        /// early feedback: ffmpeg (`Lavf/…`, rtsp.c takes `/AVPF` and then sends NACK and PLI)
        /// and GStreamer's rtspsrc (`GStreamer/…`). live555 (`LibVLC/… (LIVE555 …)`) parses
        /// only `RTP/AVP` lines; unknown clients get what every client takes.
        public static func takesAVPF(userAgent: String?) -> Bool {
            guard let userAgent else { return false }
            return userAgent.hasPrefix("Lavf") || userAgent.hasPrefix("GStreamer")
        }
    }

    /// How the track answers a generic NACK (RFC 4585 §6.2.1).
    public enum Repair: Sendable, Hashable {
        /// Lost packets are not sent again.
        case none
        /// The lost packets again, unchanged, in the original stream: any receiver takes them.
        case resend
        /// An RFC 4588 retransmission stream, SSRC-multiplexed and announced in SDP (`rtx`,
        /// `apt=`), for receivers that negotiate it (GStreamer's rtpbin, WebRTC gateways).
        case retransmissionStream(payloadType: UInt8, ssrc: UInt32, initialSequenceNumber: UInt16)
    }

    public var kind: Kind
    public var codec: MediaCodec
    public var profile: Profile = .avp
    /// The track's application-specific maximum bandwidth in kbit/s, announced as `b=AS`
    /// (RFC 4566 §5.8): receivers size their RTCP interval from it (RFC 3550 §6.2).
    public var bandwidthKbps: Int?
    public var repair: Repair = .none
    public var payloadType: UInt8
    /// The RTP clock rate (90 kHz for video, the sample rate for G.711, 48 kHz for Opus).
    public var clockRate: Int
    /// Audio channels sent, for the rtpmap line (which for Opus always names 2); nil for video.
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

    /// How long the sender keeps packets for repair, announced as `rtx-time` (RFC 4588 §8.1).
    public static let retransmissionTimeMilliseconds = 1000

    /// The encoding name of the rtpmap line — RFC 6184 §8.2.1, RFC 4629 §8, RFC 3551 §6,
    /// RFC 7587 §7.
    public var encodingName: String {
        switch codec {
        case .h264: return "H264"
        case .h263: return h263Payload.encodingName
        case .pcmu: return "PCMU"
        case .pcma: return "PCMA"
        case .opus: return OpusFormat.encodingName
        case .aac: return AACFormat.encodingName
        }
    }

    /// The rtpmap value after the payload type (RFC 4566 §6): encoding name, clock rate, and
    /// the channel count for audio of more than one channel. Opus names 2 channels even when
    /// mono (RFC 7587 §7: "the number of channels MUST be 2").
    public var rtpmap: String {
        if codec == .opus { return "\(encodingName)/\(clockRate)/\(OpusFormat.rtpmapChannels)" }
        guard let channels, channels > 1 else { return "\(encodingName)/\(clockRate)" }
        return "\(encodingName)/\(clockRate)/\(channels)"
    }

    /// An Opus audio track (RFC 7587) from Vigil's mono encoder: the 48 kHz RTP clock for every
    /// input rate (§4.1), a dynamic payload type, `sprop-stereo=0` (§6.1).
    public static func opus(
        payloadType: UInt8, ssrc: UInt32, initialSequenceNumber: UInt16, timestampOffset: UInt32
    ) -> TrackConfiguration {
        TrackConfiguration(
            kind: .audio, codec: .opus, payloadType: payloadType, clockRate: OpusFormat.clockRate, channels: 1,
            formatParameters: OpusFormat.formatParameters(stereo: false), ssrc: ssrc,
            initialSequenceNumber: initialSequenceNumber, timestampOffset: timestampOffset)
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
    /// Send reports at RFC 3550 §6.2's reduced minimum interval (360 / kbit/s seconds) instead
    /// of every 5 s. Participant timeouts still count in 5 s units (§6.3.5).
    public var reducedMinimumRTCPInterval = true
    /// A UDP viewer that reported and then sent no RTCP for this long (or five of its own
    /// report intervals, if longer) is dropped (RFC 3550 §6.3.5).
    public var viewerReportTimeout: TimeAmount = .seconds(60)

    public init(path: String, tracks: [TrackConfiguration], mtu: Int = 1400, cname: String, sessionBandwidthKbps: Int) {
        self.path = path
        self.tracks = tracks
        self.mtu = mtu
        self.cname = cname
        self.sessionBandwidthKbps = sessionBandwidthKbps
    }
}
