import MediaCore

/// G.711 for PCM chunks: one encoded unit per chunk, mono, the chunk's instant carried on.
public struct G711Encoder: Sendable {
    public enum Law: String, Sendable, Hashable {
        case muLaw = "PCMU"
        case aLaw = "PCMA"
    }

    public let law: Law

    public init(law: Law) {
        self.law = law
    }

    public var codec: MediaCodec { law == .muLaw ? .pcmu : .pcma }

    /// Encodes `chunk`; several channels are mixed down to one by averaging, since the
    /// stream's rtpmap announces mono.
    public func encode(_ chunk: PCMChunk) -> EncodedUnit {
        let channels = max(chunk.channels, 1)
        let frames = chunk.samples.count / channels
        let table = law == .muLaw ? G711.muLawTable : G711.aLawTable
        let bytes = [UInt8](unsafeUninitializedCapacity: frames) { out, count in
            chunk.samples.withUnsafeBufferPointer { samples in
                table.withUnsafeBufferPointer { lookup in
                    if channels == 1 {
                        for i in 0..<frames { out[i] = lookup[Int(UInt16(bitPattern: samples[i]))] }
                    } else {
                        for i in 0..<frames {
                            var sum = 0
                            for c in 0..<channels { sum += Int(samples[i * channels + c]) }
                            let mixed = Int16(sum / channels)
                            out[i] = lookup[Int(UInt16(bitPattern: mixed))]
                        }
                    }
                }
            }
            count = frames
        }
        return EncodedUnit(codec: codec, parts: [bytes], instant: chunk.instant, isKeyFrame: true, sampleCount: frames,
            duration: MediaDuration(nanoseconds: Int64(frames) * 1_000_000_000 / Int64(max(chunk.sampleRate, 1))),
            parameters: .g711(sampleRate: chunk.sampleRate))
    }
}
