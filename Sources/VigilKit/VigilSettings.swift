import Capture
import MediaCore
import Serve

/// Everything the daemon needs to know to run, with the defaults a newcomer gets: the
/// synthetic source at 1280x720/30 fps, H.264 at 2 Mbit/s, PCMU at 8 kHz, RTSP on 8554.
public struct VigilSettings: Sendable {
    /// The video codec of a stream, with its RTP payload format.
    public enum VideoCodec: String, Sendable, Hashable, CaseIterable {
        /// H.264 through libx264, RFC 6184.
        case h264
        /// H.263 (Vigil's own encoder) in RFC 4629 as `H263-1998`: any size in whole
        /// macroblocks travels as it is (custom sizes in PLUSPTYPE).
        case h263 = "h263-1998"
        /// H.263 in RFC 4629 as `H263-2000`, profile 0: scaled to the nearest standard format.
        case h263Profile2000 = "h263-2000"
        /// H.263 in RFC 2190 mode A (static payload type 34), for old receivers: scaled to the
        /// nearest standard format, the only ones RFC 2190 can describe.
        case h263RFC2190 = "h263-rfc2190"

        /// Also takes `h263` for the default H.263 payload format.
        public init?(name: String) {
            if name == "h263" { self = .h263 } else { self.init(rawValue: name) }
        }

        public var isH263: Bool { self != .h264 }
    }

    /// Where pictures come from.
    public enum VideoSource: Sendable, Hashable {
        /// The built-in moving test picture, with sync marks.
        case synthetic
        /// Raw frames from a file or FIFO.
        case rawInput(RawVideoInputSettings)
        /// A V4L2 camera (`/dev/video0`); size and rate from `video`, nearest mode if needed.
        case camera(path: String)
    }

    /// Where sound comes from.
    public enum AudioSource: Sendable, Hashable {
        /// The built-in tone, with a beep at every sync mark.
        case synthetic
        /// Raw S16LE from a file or FIFO.
        case rawInput(RawAudioInputSettings)
        /// An ALSA capture PCM (`default`, `hw:1,0`, `plughw:…`).
        case microphone(name: String)
    }

    public struct Video: Sendable, Hashable {
        public var codec: VideoCodec = .h264
        public var width = 1280
        public var height = 720
        public var frameRate = 30
        public var bitrateKbps = 2000
        /// x264 only: preset, tune, profile and threads.
        public var preset = "ultrafast"
        public var tune = "zerolatency"
        public var profile = "high"
        /// Frames between key frames; nil = two seconds' worth.
        public var keyFrameInterval: Int?
        /// x264 threads; 0 = x264 decides.
        public var threads = 0
        public var pattern: SyntheticVideoSettings.Pattern = .moving
        /// Let viewers' receiver reports steer the encoder between these bounds (kbit/s);
        /// nil minimum = a quarter of `bitrateKbps`. The maximum is `bitrateKbps`.
        public var adaptiveBitrate = true
        public var minimumBitrateKbps: Int?
        /// Whose receiver reports the shared encoder follows: the median viewer (default) or
        /// the lowest one.
        public var adaptivePolicy: AdaptivePolicy = .median
        /// The RTP profile the video is offered in. AVP plays everywhere; AVPF (RFC 4585) lets
        /// ffmpeg and GStreamer send NACK and PLI at once, but live555 clients (VLC) skip it.
        public var rtcpProfile: RTCPProfile = .avp
        /// How lost video packets are repaired when a viewer sends a NACK.
        public var retransmission: Retransmission = .resend
        public init() {}
    }

    public typealias AdaptivePolicy = BitrateController.Policy

    public enum RTCPProfile: String, Sendable, Hashable, CaseIterable {
        case avp
        case avpf
    }

    public enum Retransmission: String, Sendable, Hashable, CaseIterable {
        /// NACKs are not answered (and not offered).
        case off
        /// Lost packets sent again as they were: every receiver takes them.
        case resend
        /// An RFC 4588 retransmission stream (`rtx`), for receivers that use one (GStreamer).
        case rtx
    }

    public struct Audio: Sendable, Hashable {
        public enum Codec: String, Sendable, Hashable, CaseIterable {
            case pcmu
            case pcma
        }
        public var enabled = true
        public var codec: Codec = .pcmu
        public var sampleRate = 8000
        /// Synthetic source only: deliver audio this late (instants unchanged). For sync tests.
        public var syntheticDeliveryDelay = MediaDuration(nanoseconds: 0)
        public init() {}
    }

    public var streamPath = "live"
    public var videoSource: VideoSource = .synthetic
    public var audioSource: AudioSource = .synthetic
    public var video = Video()
    public var audio = Audio()
    public var rtsp = RTSPServer.Configuration()
    /// Largest RTP packet in bytes (RFC 6184 FU-A splits below it).
    public var mtu = 1400
    /// Network event-loop threads. One keeps every packet of a stream on one thread, which is
    /// what a two-core box wants: one core for the network, one for the encoder.
    public var networkThreads = 1

    public init() {}
}
