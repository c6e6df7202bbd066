import Foundation
import NIOCore
import Capture
import Logging
import MediaCore
import Record
import Serve

/// Everything the daemon needs to know to run, with the defaults a newcomer gets: the
/// synthetic source at 1280x720/30 fps, H.264 at 2 Mbit/s, PCMU at 8 kHz, RTSP on 8554.
public struct VigilSettings: Sendable, Equatable {
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
        /// Virtual live: a file of the `[library]` played as the stream without re-encoding
        /// (its audio too), from the start again at its end when `loop`.
        case file(name: String, loop: Bool)
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
        /// ffmpeg and GStreamer send NACK and PLI at once, but live555 clients (VLC) skip it;
        /// `auto` offers AVPF to the clients known to take it.
        public var rtcpProfile: RTCPProfile = .auto
        /// How lost video packets are repaired when a viewer sends a NACK.
        public var retransmission: Retransmission = .resend
        public init() {}
    }

    public typealias AdaptivePolicy = BitrateController.Policy

    public enum RTCPProfile: String, Sendable, Hashable, CaseIterable {
        /// AVPF for ffmpeg and GStreamer (by User-Agent), AVP for everyone else.
        case auto
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
            /// RFC 7587 at a 48 kHz RTP clock; the input rate must be one Opus takes natively.
            case opus
        }
        public var enabled = true
        public var codec: Codec = .pcmu
        public var sampleRate = 8000
        /// Synthetic source only: deliver audio this late (instants unchanged). For sync tests.
        public var syntheticDeliveryDelay = MediaDuration(nanoseconds: 0)
        public init() {}
    }

    /// One stream: its path, its sources and how they are encoded. Streams are compared as
    /// values on reload: an equal stream keeps running untouched.
    public enum RecordedAudioChoice: String, Sendable, Hashable, CaseIterable {
        case opus
        case stream
    }

    /// `[stream.record]`: loop recording of the stream to fMP4 segments.
    public struct Record: Sendable, Hashable {
        public var enabled = false
        /// The stream's segment directory; nil: `<state directory>/recordings/<path>`.
        public var path: String?
        public var segmentDuration = MediaDuration.seconds(600)
        public var partDuration = MediaDuration.seconds(1)
        /// Segments older than this go; nil: no age limit.
        public var keep: MediaDuration?
        /// Free space left on the recordings' file system (5 % unless configured): a camera
        /// never fills its disk to the last byte.
        public var minFree: RetentionPolicy.FreeSpace? = .fraction(0.05)
        /// Most bytes of recordings for the stream; nil: no limit.
        public var maxSize: Int64?
        /// What audio the segments hold: Opus (a copy of G.711 audio, encoded for the
        /// recording; what browsers and phones play) or the stream's own codec as it is.
        public var audio: RecordedAudioChoice = .opus
        public init() {}
    }

    public struct Stream: Sendable, Hashable {
        public var record = Record()
        public var path: String
        public var videoSource: VideoSource = .synthetic
        public var audioSource: AudioSource = .synthetic
        public var video = Video()
        public var audio = Audio()
        public init(path: String = "live") { self.path = path }
    }

    /// The HTTP status API (`/api/v1/status`, `/metrics`).
    public struct HTTP: Sendable, Hashable {
        public var enabled: Bool
        public var host: String
        /// 0 picks a free port (tests); `Vigil.httpBoundPort()` tells which.
        public var port: Int
        /// Pictures per second of `PATH/stream.mjpeg` (a client may ask for fewer with `?fps=`).
        public var mjpegFrameRate = 5
        /// libjpeg quality of snapshots and MJPEG, 1–100.
        public var jpegQuality = HTTP.defaultJPEGQuality
        public static let defaultJPEGQuality = 85
        /// The page origin allowed to embed Vigil's HTTP answers (CORS,
        /// `Access-Control-Allow-Origin`): "*" for any, one origin, or nil for none.
        public var corsOrigin: String?
        /// `PATH/index.m3u8`: low-latency HLS of each live stream (see `HLSService`).
        public var hls = HLS()
        /// Open HTTP connections beyond this wait in the listen backlog (see `StatusAPI`).
        public var maxConnections = HTTP.defaultMaxConnections
        /// Room for a burst of snapshot requests and MJPEG viewers, well under the open-file
        /// limit beside the RTSP listener's 2048.
        public static let defaultMaxConnections = 256
        /// `tls_certificate` and `tls_key`: PEM files; with both, the port speaks HTTPS only
        /// (see `StatusAPI`). The config check has read them once; the server reads them again
        /// when it starts, so a renewed certificate takes a restart.
        public var tls: TLS?
        public struct TLS: Sendable, Hashable {
            /// The certificate chain, leaf first.
            public var certificatePath: String
            public var keyPath: String
            public init(certificatePath: String, keyPath: String) {
                self.certificatePath = certificatePath
                self.keyPath = keyPath
            }
        }
        /// `session_idle`, `session_lifetime`: the web page's login sessions.
        public var sessionIdle = MediaDuration.seconds(30 * 60)
        public var sessionLifetime = MediaDuration.seconds(12 * 3600)

        /// `scheme://host[:port]` with an http(s) scheme and nothing after: what a browser
        /// sends in `Origin`.
        public static func isOrigin(_ text: String) -> Bool {
            guard let components = URLComponents(string: text), let scheme = components.scheme,
                ["http", "https"].contains(scheme.lowercased()), let host = components.host, !host.isEmpty
            else { return false }
            return components.path.isEmpty && components.query == nil && components.fragment == nil && components.user == nil
        }
        /// `[http]`'s `hls*` keys.
        public struct HLS: Sendable, Hashable {
            public var enabled = true
            /// `PART-TARGET`: no part is longer (parts hold whole pictures, so most are a
            /// picture interval shorter or equal).
            public var partTarget = MediaDuration.milliseconds(200)
            /// The shortest segment: segments are cut on the first key frame after it, so the
            /// key-frame interval decides when it is longer.
            public var segmentDuration = MediaDuration.seconds(1)
            /// A muxer with no request for this long is closed (it starts again on the next).
            public var idleTimeout = MediaDuration.seconds(30)
            public init() {}
        }

        public init(enabled: Bool = true, host: String = "127.0.0.1", port: Int = 8080) {
            self.enabled = enabled
            self.host = host
            self.port = port
        }
    }

    /// At least one. Paths are unique.
    public var streams: [Stream] = [Stream()]
    public var rtsp = RTSPServer.Configuration()
    /// Off in a bare `VigilSettings()` so that embedders and tests never collide on a fixed
    /// port; the config file and the command line turn it on (127.0.0.1:8080 by default).
    public var http = HTTP(enabled: false)
    /// `[access]` and `[[user]]`: open to everyone (but `admin`) until a user exists.
    public var access = Access()
    public var logLevel: Logger.Level = .info
    /// `[library]`: media files played by name at `rtsp://BOX/vod/NAME`.
    public var library = Library()
    /// `[webrtc]`: WHEP viewers (`POST /PATH/whep` on the HTTP port), on one UDP port.
    public var webRTC = WebRTC()

    /// WebRTC viewers through WHEP: an ICE-lite, DTLS-SRTP sender on one UDP port for all.
    public struct WebRTC: Sendable, Hashable {
        /// On when the HTTP API is (WHEP offers arrive there).
        public var enabled = true
        public var host = "0.0.0.0"
        /// The one UDP port for every WebRTC viewer: 0 (any free one) in a bare settings value,
        /// so that embedders and tests never collide; the config file's default is `defaultPort`.
        public var port = 0
        /// MediaMTX's WebRTC port, so firewall rules written for it fit.
        public static let defaultPort = 8189
        /// Host candidates to announce besides the address each WHEP request reached: a box
        /// behind a NAT lists its public address here (with the UDP port forwarded).
        public var addresses: [String] = []
        /// STUN/TURN servers the viewers are told of (WHEP `Link: rel="ice-server"`); Vigil
        /// itself is ICE-lite and gathers nothing.
        public var iceServers: [ICEServer] = []
        public var maxPeers = 64
        /// Offers one address may have still connecting at once (429 beyond); nil, half of
        /// `maxPeers`. Not in the config file: it only stops one client holding every slot
        /// with offers it never connects, and a wall of tiles opening at once still fits.
        public var maxConnectingPerClient: Int?
        /// RFC 7675 §5.1's 30 s, and the time a peer gets to finish ICE and DTLS. Not in the
        /// config file: the RFC's value is the right one; tests shorten it.
        public var consentTimeout = TimeAmount.seconds(30)
        public var connectTimeout = TimeAmount.seconds(15)

        public init() {}

        public struct ICEServer: Sendable, Hashable {
            public var url: String
            public var username: String?
            public var credential: String?

            public init(url: String, username: String? = nil, credential: String? = nil) {
                self.url = url
                self.username = username
                self.credential = credential
            }

            /// draft-ietf-wish-whep §4.6 (RFC 8288 link): `<url>; rel="ice-server"`, with
            /// `username`, `credential` and `credential-type="password"` for TURN.
            public var linkHeader: String {
                var value = "<\(url)>; rel=\"ice-server\""
                if let username, let credential {
                    value += "; username=\"\(Self.quoted(username))\"; credential=\"\(Self.quoted(credential))\"; credential-type=\"password\""
                }
                return value
            }

            private static func quoted(_ text: String) -> String {
                text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            }
        }
    }
    /// Largest RTP packet in bytes (RFC 6184 FU-A splits below it).
    public var mtu = 1400
    /// Network event-loop threads. One keeps every packet of a stream on one thread, which is
    /// what a two-core box wants: one core for the network, one for the encoder.
    public var networkThreads = 1

    public init() {}

    /// The media library's folders and how to time files that carry no timing.
    public struct Library: Sendable, Hashable {
        /// Folders whose files (and subfolders') are served; none: no `vod/` at all.
        public var paths: [String] = []
        /// Pictures per second of an `.264` without VUI timing, or an `.263`.
        public var defaultFrameRate = 25.0
        /// Per-file rates by name (relative to its folder), over what the file says.
        public var frameRates: [String: Double] = [:]

        public init() {}
    }

    // The first stream, for the one-stream command line and the tests written before there
    // were several.
    public var streamPath: String {
        get { streams[0].path }
        set { streams[0].path = newValue }
    }
    public var videoSource: VideoSource {
        get { streams[0].videoSource }
        set { streams[0].videoSource = newValue }
    }
    public var audioSource: AudioSource {
        get { streams[0].audioSource }
        set { streams[0].audioSource = newValue }
    }
    public var video: Video {
        get { streams[0].video }
        set { streams[0].video = newValue }
    }
    public var audio: Audio {
        get { streams[0].audio }
        set { streams[0].audio = newValue }
    }
}
