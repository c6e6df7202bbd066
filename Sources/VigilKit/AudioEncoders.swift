import Container
import Encode
import MediaCore
import Record
import Synchronization

/// A stream's audio encoders, owned by its audio thread: the stream's own codec (fan-out
/// track 1: what RTSP viewers get) and, when the stream is G.711, an Opus copy of the same
/// chunks (track 2) for what browsers play: the recorder's (when it records Opus) and live
/// HLS's. The copy is encoded only while one of them takes it.
final class AudioEncoders: @unchecked Sendable {
    // @unchecked: built by the composition root, then used by the pipeline's audio thread
    // only; `copyDemand` is atomic.
    enum Encoder {
        case g711(G711Encoder)
        case opus(OpusEncoder)
    }

    let stream: Encoder
    let opusCopy: OpusEncoder?
    /// The recorder records the copy (always encoded then).
    let recorderTakesCopy: Bool
    /// Live HLS muxers taking the copy now.
    private let copyDemand = Atomic<Int>(0)

    init(stream: Encoder, opusCopy: OpusEncoder?, recorderTakesCopy: Bool) {
        self.stream = stream
        self.opusCopy = opusCopy
        self.recorderTakesCopy = recorderTakesCopy && opusCopy != nil
    }

    /// Whether the copy is encoded now.
    var copyWanted: Bool { opusCopy != nil && (recorderTakesCopy || copyDemand.load(ordering: .relaxed) > 0) }

    /// An HLS muxer starts (`true`) or stops taking the Opus copy.
    func demandCopy(_ wanted: Bool) {
        copyDemand.add(wanted ? 1 : -1, ordering: .relaxed)
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
        if let opusCopy, copyWanted {
            units += try opusCopy.encode(chunk).map { ($0, Self.opusCopyTrack) }
        }
        return units
    }

    /// What the recorder writes of it: Opus (the stream's or the copy), else the stream's G.711.
    func recordedAudio(sampleRate: Int) -> RecordedAudio? {
        if recorderTakesCopy, let opusCopy { return Self.opus(opusCopy, track: Self.opusCopyTrack) }
        switch stream {
        case .opus(let encoder): return Self.opus(encoder, track: 1)
        case .g711(let encoder): return .g711(track: 1, muLaw: encoder.law == .muLaw, sampleRate: sampleRate)
        }
    }

    /// What live HLS sends: Opus, the stream's or the copy (browsers play no G.711); nil
    /// when there is neither.
    var browserAudio: RecordedAudio? {
        if let opusCopy { return Self.opus(opusCopy, track: Self.opusCopyTrack) }
        if case .opus(let encoder) = stream { return Self.opus(encoder, track: 1) }
        return nil
    }

    private static func opus(_ encoder: OpusEncoder, track: Int) -> RecordedAudio {
        // InputSampleRate says 48 kHz whatever the microphone's rate: the field is informative
        // (Opus in ISOBMFF §4.3.2; decoders output 48 kHz anyway), and Chromium's Media Source
        // Extensions refuse an Opus track whose dOps names any other rate (seen with Chromium
        // 14x: an 8 kHz one fails to append, ffmpeg's own files too), which would keep
        // browsers from live HLS and from recordings played through the HLS loader.
        let description = TrackDescription.opus(id: 2, preSkip: encoder.preSkip, inputSampleRate: 48_000)
        return RecordedAudio(track: track, timescale: description.timescale, media: description.media)
    }
}
