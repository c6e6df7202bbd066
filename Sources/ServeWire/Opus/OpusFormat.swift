/// SDP side of Opus — RFC 7587 §6.1 (media type parameters) and §7 (mapping to SDP): encoding
/// name, the fixed clock rate and channel count of rtpmap, the fmtp.
public enum OpusFormat {
    /// RFC 7587 §7: the media subtype "opus" is the rtpmap encoding name.
    public static let encodingName = "opus"
    /// RFC 7587 §4.1: "The RTP timestamp is incremented with a 48000 Hz clock rate for all
    /// modes of Opus and all sampling rates"; §7: the rtpmap clock rate MUST be 48000.
    public static let clockRate = 48_000
    /// RFC 7587 §7: the rtpmap channel count MUST be 2, for mono streams too; whether the
    /// sender sends stereo is `sprop-stereo`'s to say.
    public static let rtpmapChannels = 2
    /// The rtpmap value after the payload type (RFC 4566 §6): "opus/48000/2".
    public static let rtpmap = "\(encodingName)/\(clockRate)/\(rtpmapChannels)"

    /// The fmtp value after the payload type. `sprop-stereo` (RFC 7587 §6.1) tells a receiver
    /// whether the sender is likely to produce stereo, so a mono sender says 0 and the
    /// receiver may decode to one channel; in declarative SDP such as RTSP's DESCRIBE it is
    /// the sender's statement, not an offer (§7.2).
    public static func formatParameters(stereo: Bool) -> String {
        "sprop-stereo=\(stereo ? 1 : 0)"
    }
}
