import Container
import Encode
import MediaCore
import Record

/// A stream's audio encoders, owned by its audio thread: the stream's own codec (fan-out
/// track 1: what RTSP viewers get) and, when the stream is G.711 and the recorder records
/// Opus, an Opus copy of the same chunks (track 2).
final class AudioEncoders: @unchecked Sendable {
    // @unchecked: built by the composition root, then used by the pipeline's audio thread only.
    enum Encoder {
        case g711(G711Encoder)
        case opus(OpusEncoder)
    }

    let stream: Encoder
    let opusCopy: OpusEncoder?

    init(stream: Encoder, opusCopy: OpusEncoder?) {
        self.stream = stream
        self.opusCopy = opusCopy
    }

    /// The fan-out track of the Opus copy.
    static let opusCopyTrack = 2

    /// Every unit `chunk` completes, with its fan-out track.
    func encode(_ chunk: PCMChunk) throws(EncodeError) -> [(EncodedUnit, track: Int)] {
        var units: [(EncodedUnit, track: Int)] = []
        switch stream {
        case .g711(let encoder): units.append((encoder.encode(chunk), 1))
        case .opus(let encoder): units += try encoder.encode(chunk).map { ($0, 1) }
        }
        if let opusCopy { units += try opusCopy.encode(chunk).map { ($0, Self.opusCopyTrack) } }
        return units
    }

    /// What the recorder writes of it: Opus (the stream's or the copy), else the stream's G.711.
    func recordedAudio(sampleRate: Int) -> RecordedAudio? {
        func opus(_ encoder: OpusEncoder, track: Int) -> RecordedAudio {
            let description = TrackDescription.opus(id: 2, preSkip: encoder.preSkip, inputSampleRate: encoder.sampleRate)
            return RecordedAudio(track: track, timescale: description.timescale, media: description.media)
        }
        if let opusCopy { return opus(opusCopy, track: Self.opusCopyTrack) }
        switch stream {
        case .opus(let encoder): return opus(encoder, track: 1)
        case .g711(let encoder): return .g711(track: 1, muLaw: encoder.law == .muLaw, sampleRate: sampleRate)
        }
    }
}
