import Foundation

/// An HLS media playlist — RFC 8216 §4.3 and its low-latency revision (draft-pantos-hls-rfc8216bis
/// §4.4.3.7–4.4.5.3: `EXT-X-PART`, `EXT-X-PART-INF`, `EXT-X-SERVER-CONTROL`,
/// `EXT-X-PRELOAD-HINT`), as a value rendered to text. Live and VOD playlists are both this;
/// what differs is which fields are set.
public struct MediaPlaylist: Sendable, Hashable {
    /// A byte range of a resource (`EXT-X-BYTERANGE`, `BYTERANGE=`): `length@offset`.
    public struct ByteRange: Sendable, Hashable {
        public var offset: Int
        public var length: Int
        public init(offset: Int, length: Int) {
            self.offset = offset
            self.length = length
        }
        var rendered: String { "\(length)@\(offset)" }
    }

    public enum Entry: Sendable, Hashable {
        /// `EXT-X-MAP`: the initialization segment of the segments that follow.
        case map(uri: String, range: ByteRange?)
        /// `EXT-X-PROGRAM-DATE-TIME` of the next segment's first sample, in nanoseconds since the Unix epoch.
        case programDateTime(nanoseconds: Int64)
        /// `EXT-X-DISCONTINUITY`: the next segment's timestamps do not continue the last's.
        case discontinuity
        /// `EXT-X-PART` of the segment whose `EXTINF` follows (or which is still growing).
        case part(duration: Double, uri: String, independent: Bool)
        /// `EXTINF` (+ `EXT-X-BYTERANGE`) and the segment's URI.
        case segment(duration: Double, uri: String, range: ByteRange?)
        /// `EXT-X-PRELOAD-HINT:TYPE=PART`: the part being made, which a request blocks on.
        case preloadHint(uri: String)
    }

    public enum PlaylistType: String, Sendable, Hashable {
        case vod = "VOD"
        case event = "EVENT"
    }

    /// `EXT-X-VERSION`. 6 is the lowest with `EXT-X-MAP` in a playlist of whole segments;
    /// 9 covers everything low-latency HLS adds (§8: the version of each tag).
    public var version: Int
    /// `EXT-X-TARGETDURATION`: every segment's `EXTINF`, rounded to the nearest whole second,
    /// is at most this; it never changes while the playlist lives.
    public var targetDuration: Int
    public var mediaSequence: Int
    public var playlistType: PlaylistType?
    /// `EXT-X-PART-INF:PART-TARGET` (seconds): every part is at most this long.
    public var partTarget: Double?
    /// `EXT-X-SERVER-CONTROL`: `CAN-BLOCK-RELOAD=YES` and `PART-HOLD-BACK` (seconds).
    public var partHoldBack: Double?
    public var canBlockReload = false
    public var independentSegments = true
    public var entries: [Entry] = []
    /// `EXT-X-ENDLIST`: nothing will be added.
    public var ended = false

    public init(version: Int, targetDuration: Int, mediaSequence: Int = 0) {
        self.version = version
        self.targetDuration = targetDuration
        self.mediaSequence = mediaSequence
    }

    public func render() -> String {
        var lines = ["#EXTM3U", "#EXT-X-VERSION:\(version)", "#EXT-X-TARGETDURATION:\(targetDuration)"]
        if independentSegments { lines.append("#EXT-X-INDEPENDENT-SEGMENTS") }
        if let playlistType { lines.append("#EXT-X-PLAYLIST-TYPE:\(playlistType.rawValue)") }
        if canBlockReload || partHoldBack != nil {
            var attributes: [String] = []
            if canBlockReload { attributes.append("CAN-BLOCK-RELOAD=YES") }
            if let partHoldBack { attributes.append("PART-HOLD-BACK=\(Self.decimal(partHoldBack))") }
            lines.append("#EXT-X-SERVER-CONTROL:" + attributes.joined(separator: ","))
        }
        if let partTarget { lines.append("#EXT-X-PART-INF:PART-TARGET=\(Self.decimal(partTarget))") }
        lines.append("#EXT-X-MEDIA-SEQUENCE:\(mediaSequence)")
        for entry in entries {
            switch entry {
            case .map(let uri, let range):
                lines.append("#EXT-X-MAP:URI=\"\(uri)\"" + (range.map { ",BYTERANGE=\"\($0.rendered)\"" } ?? ""))
            case .programDateTime(let nanoseconds):
                lines.append("#EXT-X-PROGRAM-DATE-TIME:\(Self.dateTime(nanoseconds))")
            case .discontinuity:
                lines.append("#EXT-X-DISCONTINUITY")
            case .part(let duration, let uri, let independent):
                lines.append("#EXT-X-PART:DURATION=\(Self.decimal(duration)),URI=\"\(uri)\"" + (independent ? ",INDEPENDENT=YES" : ""))
            case .segment(let duration, let uri, let range):
                lines.append("#EXTINF:\(Self.decimal(duration)),")
                if let range { lines.append("#EXT-X-BYTERANGE:\(range.rendered)") }
                lines.append(uri)
            case .preloadHint(let uri):
                lines.append("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"\(uri)\"")
            }
        }
        if ended { lines.append("#EXT-X-ENDLIST") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Seconds with five decimals (10 µs; an audio frame at 48 kHz is 20.833 µs), trailing
    /// zeros dropped: RFC 8216 §4.2's decimal-floating-point.
    static func decimal(_ value: Double) -> String {
        var text = String(format: "%.5f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// ISO 8601 with milliseconds in UTC (RFC 8216 §4.4.4.6 takes any ISO 8601 date-time with a zone).
    static func dateTime(_ nanoseconds: Int64) -> String {
        let milliseconds = nanoseconds.dividedRoundingDown(by: 1_000_000)
        let seconds = milliseconds.dividedRoundingDown(by: 1000)
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(milliseconds - seconds * 1000))
    }
}

/// The multivariant playlist of one stream (RFC 8216 §4.3.4.2): one variant, the media playlist.
public struct MultivariantPlaylist: Sendable, Hashable {
    public var uri: String
    /// Peak bits per second of the variant (video and audio).
    public var bandwidth: Int
    /// RFC 6381 codec names, e.g. `avc1.42c01f` and `opus`.
    public var codecs: [String]
    public var width: Int
    public var height: Int
    public var frameRate: Double

    public init(uri: String, bandwidth: Int, codecs: [String], width: Int, height: Int, frameRate: Double) {
        self.uri = uri
        self.bandwidth = bandwidth
        self.codecs = codecs
        self.width = width
        self.height = height
        self.frameRate = frameRate
    }

    public func render() -> String {
        """
        #EXTM3U
        #EXT-X-VERSION:9
        #EXT-X-INDEPENDENT-SEGMENTS
        #EXT-X-STREAM-INF:BANDWIDTH=\(bandwidth),CODECS="\(codecs.joined(separator: ","))",RESOLUTION=\(width)x\(height),FRAME-RATE=\(String(format: "%.3f", frameRate))
        \(uri)

        """
    }
}

/// RFC 6381 §3.3 names of what a variant holds.
public enum HLSCodecs {
    /// `avc1.PPCCLL`: profile_idc, the constraint flags and level_idc, the SPS's bytes 1–3.
    public static func avc1(sps: [UInt8]) -> String? {
        guard sps.count >= 4 else { return nil }
        return "avc1." + sps[1...3].map { String(format: "%02x", $0) }.joined()
    }
}

extension Int64 {
    func dividedRoundingDown(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
