/// Codecs whose output travels as an `EncodedUnit`.
public enum MediaCodec: String, Sendable, Hashable {
    case h264
    case h263
    /// G.711 µ-law.
    case pcmu
    /// G.711 A-law.
    case pcma
    /// Opus (RFC 6716), mono, one 20 ms frame per unit; RTP and MP4 count its time at 48 kHz.
    case opus

    public var isVideo: Bool { self == .h264 || self == .h263 }
}

/// One encoded access unit (a picture) or audio frame, with the capture instant of the media
/// it came from, carried through the encoder unchanged.
public struct EncodedUnit: Sendable {
    public var codec: MediaCodec
    /// The unit's parts. H.264: the NAL units of one access unit, without start codes or
    /// length prefixes, in decoding order. G.711: a single part of encoded samples. Opus: a
    /// single part, one Opus packet (RFC 6716 §3).
    public var parts: [[UInt8]]
    /// Capture instant of the picture, or of the first audio sample.
    public var instant: MediaInstant
    /// True for a picture that a decoder can start from (an H.264 IDR, an H.263 intra picture).
    public var isKeyFrame: Bool
    /// Audio: sample frames in the unit at the RTP clock rate (lets a packetizer split without
    /// decoding); for Opus at 48 kHz whatever the input rate (960 per 20 ms). Video: 0.
    public var sampleCount: Int

    public init(codec: MediaCodec, parts: [[UInt8]], instant: MediaInstant, isKeyFrame: Bool, sampleCount: Int = 0) {
        self.codec = codec
        self.parts = parts
        self.instant = instant
        self.isKeyFrame = isKeyFrame
        self.sampleCount = sampleCount
    }

    /// Total encoded bytes.
    public var byteCount: Int { parts.reduce(0) { $0 + $1.count } }
}

/// Commands Serve sends to an encoder without the encoder knowing why.
public enum EncoderCommand: Sendable, Hashable {
    /// Make the next picture a key frame (a viewer joined, or a receiver asked for one).
    case forceKeyFrame
    /// Change the target bitrate, in kilobits per second.
    case setBitrate(kbps: Int)
}
