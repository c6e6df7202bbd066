import MediaCore

/// What the media pipeline needs of a video encoder, whichever codec it speaks: pictures in,
/// access units out, commands from Serve at any time.
public protocol VideoEncoder: AnyObject, Sendable {
    var codec: MediaCodec { get }
    /// Queues a command; thread-safe. Applied before the next picture.
    func submit(_ command: EncoderCommand)
    /// Encodes one picture; called from one thread only.
    func encode(_ frame: RawFrame) throws(EncodeError) -> [EncodedUnit]
    /// The bitrate the encoder is steering for now.
    var currentBitrateKbps: Int { get }
    var framesEncoded: UInt64 { get }
}

extension H264Encoder: VideoEncoder {
    public var codec: MediaCodec { .h264 }
}
