import NIOCore

/// The OpusDecoderConfigurationRecord of a `dOps` box ("Encapsulation of Opus in ISO Base Media
/// File Format" §4.3.2): Ogg Opus's identification header (RFC 7845 §5.1) without its magic,
/// big-endian, for channel mapping family 0 (mono or stereo, no mapping table).
///
/// ```
/// unsigned int(8)  Version;              // 0
/// unsigned int(8)  OutputChannelCount;
/// unsigned int(16) PreSkip;              // 48 kHz samples
/// unsigned int(32) InputSampleRate;      // informative: the rate the encoder was fed
/// signed   int(16) OutputGain;           // Q7.8 dB
/// unsigned int(8)  ChannelMappingFamily; // 0: no ChannelMappingTable follows
/// ```
public struct OpusConfiguration: Hashable, Sendable {
    /// §4.3.2: "The Version field shall be set to 0."
    public static let version: UInt8 = 0
    /// RFC 7845 §5.1.1.1: family 0 is one stream, mono or stereo, with no mapping table.
    public static let channelMappingFamily: UInt8 = 0
    /// Fields up to the ChannelMappingTable, which family 0 does not have.
    static let size = 11

    public var outputChannelCount: UInt8
    /// Samples at 48 kHz to drop from the start of the decoder's output: the encoder's delay.
    public var preSkip: UInt16
    public var inputSampleRate: UInt32
    /// Q7.8 dB to apply to the decoded output; Vigil leaves it at 0.
    public var outputGain: Int16

    public init(outputChannelCount: UInt8 = 1, preSkip: UInt16, inputSampleRate: UInt32, outputGain: Int16 = 0) {
        precondition((1...2).contains(outputChannelCount), "channel mapping family 0 is mono or stereo")
        self.outputChannelCount = outputChannelCount
        self.preSkip = preSkip
        self.inputSampleRate = inputSampleRate
        self.outputGain = outputGain
    }

    /// The body of the `dOps` box (a plain box: no version and flags of its own).
    public func write(into buffer: inout ByteBuffer) {
        buffer.writeInteger(Self.version)
        buffer.writeInteger(outputChannelCount)
        buffer.writeInteger(preSkip)
        buffer.writeInteger(inputSampleRate)
        buffer.writeInteger(outputGain)
        buffer.writeInteger(Self.channelMappingFamily)
    }

    public var body: [UInt8] {
        var buffer = ByteBuffer()
        write(into: &buffer)
        return Array(buffer.readableBytesView)
    }

    /// Reads the body of a `dOps` box: version 0 (§4.3.2: a reader that does not know the
    /// version "shall not read the fields after this"), family 0.
    public init(parsing body: ByteBuffer) throws {
        var body = body
        guard let version = body.readInteger(as: UInt8.self),
            let channels = body.readInteger(as: UInt8.self),
            let preSkip = body.readInteger(as: UInt16.self),
            let rate = body.readInteger(as: UInt32.self),
            let gain = body.readInteger(as: Int16.self),
            let family = body.readInteger(as: UInt8.self)
        else { throw ContainerError.malformed("dOps", "shorter than \(Self.size) bytes") }
        guard version == Self.version else { throw ContainerError.unsupported("dOps version \(version)") }
        guard family == Self.channelMappingFamily else { throw ContainerError.unsupported("Opus channel mapping family \(family)") }
        guard (1...2).contains(channels) else { throw ContainerError.malformed("dOps", "\(channels) channels in mapping family 0") }
        self.init(outputChannelCount: channels, preSkip: preSkip, inputSampleRate: rate, outputGain: gain)
    }
}

extension TrackDescription {
    /// The 48 kHz timescale of Opus tracks (§4.4: "typically set to 48000"), in which Opus
    /// sample durations are exact (960 per 20 ms frame).
    public static let opusTimescale: UInt32 = 48_000

    /// An Opus audio track (Opus in ISO BMFF §4.3.1): sample entry `Opus` with `dOps`,
    /// channelcount equal to OutputChannelCount, samplerate 48000 whatever the input rate —
    /// as the spec says, and as ffmpeg's mp4 muxer writes it. `preSkip` is in 48 kHz samples
    /// (the encoder's), `inputSampleRate` what the encoder was fed.
    ///
    /// Not written: the edit list that trims the pre-skip (§4.4) and the `roll` sample groups
    /// (§4.3.6.2); ffmpeg's fragmented mp4 muxer writes neither and its demuxer drops PreSkip
    /// samples from `dOps`.
    public static func opus(id: UInt32, preSkip: Int, inputSampleRate: Int, channels: Int = 1) -> TrackDescription {
        precondition((0...Int(UInt16.max)).contains(preSkip), "PreSkip is 16 bits")
        let configuration = OpusConfiguration(
            outputChannelCount: UInt8(channels), preSkip: UInt16(preSkip), inputSampleRate: UInt32(inputSampleRate))
        return TrackDescription(
            id: id, timescale: opusTimescale,
            media: .audio(format: "Opus", channels: channels, sampleRate: Int(opusTimescale),
                          codecBox: CodecBox(type: "dOps", body: configuration.body)))
    }
}
