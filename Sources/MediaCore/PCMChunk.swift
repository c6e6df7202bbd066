/// A run of signed 16-bit PCM samples (interleaved when there are several channels) with the
/// capture instant of its first sample.
public struct PCMChunk: Sendable {
    public var samples: [Int16]
    public var sampleRate: Int
    public var channels: Int
    /// When the first sample was captured, on the media clock.
    public var instant: MediaInstant

    public init(samples: [Int16], sampleRate: Int, channels: Int, instant: MediaInstant) {
        self.samples = samples
        self.sampleRate = sampleRate
        self.channels = channels
        self.instant = instant
    }

    /// Sample frames (one sample per channel) in the chunk.
    public var frameCount: Int { channels > 0 ? samples.count / channels : 0 }

    /// How long the chunk lasts.
    public var duration: MediaDuration {
        MediaDuration(nanoseconds: Int64(frameCount) * 1_000_000_000 / Int64(max(sampleRate, 1)))
    }
}
