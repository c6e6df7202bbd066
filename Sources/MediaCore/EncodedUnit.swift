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
    /// AAC (ISO/IEC 14496-3), one raw access unit per unit: only from media files.
    case aac

    public var isVideo: Bool { self == .h264 || self == .h263 }
}

/// What a decoder, or a container's sample description, needs before a codec's first unit:
/// carried on units (video key frames, every audio unit) so that a consumer never asks the
/// encoder for it.
public enum CodecParameters: Sendable, Hashable {
    /// The sequence and picture parameter sets in force from this key frame on.
    case h264(sps: [UInt8], pps: [UInt8])
    /// The coded picture size.
    case h263(width: Int, height: Int)
    /// G.711 (µ-law or A-law, as the unit's codec says), mono.
    case g711(sampleRate: Int)
    /// Opus, mono: samples a decoder drops at the start (at 48 kHz) and the input's rate.
    case opus(preSkip: Int, inputSampleRate: Int)
    /// AAC: the AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1), its rate and channels.
    case aac(audioSpecificConfig: [UInt8], sampleRate: Int, channels: Int)
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
    /// How long the unit lasts as encoded: one frame interval for a picture (the next picture
    /// may come later when frames were dropped; a container takes the real gap when it has
    /// it), the samples' duration for audio.
    public var duration: MediaDuration
    /// The codec's configuration, on every video key frame and every audio unit; nil elsewhere.
    public var parameters: CodecParameters?

    public init(
        codec: MediaCodec, parts: [[UInt8]], instant: MediaInstant, isKeyFrame: Bool, sampleCount: Int = 0,
        duration: MediaDuration = MediaDuration(nanoseconds: 0), parameters: CodecParameters? = nil
    ) {
        self.codec = codec
        self.parts = parts
        self.instant = instant
        self.isKeyFrame = isKeyFrame
        self.sampleCount = sampleCount
        self.duration = duration
        self.parameters = parameters
    }

    /// When the unit is decoded. Vigil's encoders emit no B-frames (x264 runs with
    /// `i_bframe = 0`), so decoding order is presentation order and this is the capture
    /// instant; a container writes composition offsets of 0.
    public var decodeInstant: MediaInstant { instant }

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
