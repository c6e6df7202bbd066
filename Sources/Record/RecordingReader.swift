#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Container
import MediaCore
import NIOCore

/// A stream's recording read back unit by unit, in wall-clock order across its tracks, for
/// RTSP playback: the timeline is the recording's own wall clock (nanoseconds since 1970), and
/// a gap between segments is simply where the next unit's instant jumps.
///
/// It reads a segment's boxes when it gets to it (never the media data ahead of need) and
/// holds a lease on the file it reads, so the retention cleaner leaves it alone. A segment
/// that was deleted meanwhile, or cannot be read, is skipped. Segments whose tracks differ
/// from the first one's in kind or codec end the presentation there (their parameter sets
/// may differ: H.264 key frames carry their own in-band).
public final class RecordingReader: StoredMediaReader {
    public let tracks: [StoredTrack]
    public var timeline: StoredTimeline { .wallClock }
    public let start: Int64
    public let end: Int64

    private let segments: [RecordedSegment]
    private let leases: SegmentLeases?
    /// The codecs of the first segment's tracks, in track order.
    private let codecs: [MediaCodec]

    private struct Sample {
        var track: Int
        var instant: Int64
        var duration: Int64
        var ticks: UInt32
        var isSync: Bool
        var offset: Int
        var size: Int
    }

    private struct Loaded {
        var index: Int
        var samples: [Sample]
        /// H.264: the parameter sets to put before each key frame of this segment.
        var parameterSets: [[UInt8]]
        var descriptor: Int32
        var lease: SegmentLeases.Lease?
        var path: String
    }

    private var loaded: Loaded?
    private var position = 0
    private var nextSegment = 0

    /// Reads what `segments` (one stream's, oldest first) hold within [from, to); throws when
    /// nothing in them can be read.
    public init(segments: [RecordedSegment], from: Int64 = .min, to: Int64 = .max, leases: SegmentLeases? = nil) throws(RecordError) {
        let inWindow = segments.filter { $0.end > from && $0.start < to && $0.duration > 0 }
        var firstTracks: [TrackDescription]?
        var firstIndex = 0
        for (index, segment) in inWindow.enumerated() {
            if let file = try? RecordedFile(path: segment.file), file.tracks.contains(where: \.isVideo) {
                firstTracks = file.tracks
                firstIndex = index
                break
            }
        }
        guard let firstTracks else { throw .unreadable(path: inWindow.first?.file ?? "(none)", reason: "no readable recording in the range") }
        var stored: [StoredTrack] = []
        for track in firstTracks {
            guard let made = Self.storedTrack(track) else { continue }
            stored.append(made)
        }
        self.tracks = stored
        self.codecs = stored.map(\.codec)
        self.segments = Array(inWindow[firstIndex...])
        self.leases = leases
        self.start = max(from, self.segments.first!.start)
        self.end = min(to, self.segments.last!.end)
        nextSegment = 0
    }

    deinit {
        if let loaded { close(loaded.descriptor) }
    }

    /// How a recorded track is announced: H.264 with the avcC's first SPS and PPS, Opus at
    /// 48 kHz, G.711 at its sample rate. Other tracks are not played.
    static func storedTrack(_ track: TrackDescription) -> StoredTrack? {
        switch track.media {
        case .h264(let avc, _, _):
            guard let sps = avc.sequenceParameterSets.first, let pps = avc.pictureParameterSets.first else { return nil }
            return StoredTrack(codec: .h264, clockRate: 90_000, parameters: .h264(sps: sps, pps: pps))
        case .audio(let format, _, let sampleRate, let codecBox):
            switch format {
            case "Opus":
                var preSkip = 312
                var inputRate = 48_000
                if let body = codecBox?.body, let opus = try? OpusConfiguration(parsing: ByteBuffer(bytes: body)) {
                    preSkip = Int(opus.preSkip)
                    inputRate = Int(opus.inputSampleRate)
                }
                return StoredTrack(codec: .opus, clockRate: 48_000, parameters: .opus(preSkip: preSkip, inputSampleRate: inputRate))
            case "ulaw":
                return StoredTrack(codec: .pcmu, clockRate: Int(track.timescale), parameters: .g711(sampleRate: sampleRate))
            case "alaw":
                return StoredTrack(codec: .pcma, clockRate: Int(track.timescale), parameters: .g711(sampleRate: sampleRate))
            default:
                return nil
            }
        }
    }

    public func seek(to instant: Int64) throws -> Int64? {
        // The segment that holds the instant, else the first after it.
        let target = max(instant, start)
        guard let index = segments.lastIndex(where: { $0.start <= target }) ?? segments.indices.first else { return nil }
        var candidate = index
        while candidate < segments.count {
            nextSegment = candidate
            unload()
            guard loadNext() else { return nil }  // nothing readable at or after
            guard let samples = loaded?.samples else { return nil }
            // The last key frame at or before the target, else the first key frame.
            var chosen: Int?
            for (i, sample) in samples.enumerated() where sample.track == 0 && sample.isSync {
                if sample.instant <= target || chosen == nil { chosen = i }
                if sample.instant > target { break }
            }
            if let chosen, samples[chosen].instant < end {
                position = chosen
                return samples[chosen].instant
            }
            candidate = (loaded?.index ?? candidate) + 1
        }
        return nil
    }

    public func next() throws -> StoredUnit? {
        while true {
            if let current = loaded, position < current.samples.count {
                let sample = current.samples[position]
                position += 1
                guard sample.instant < end else { return nil }
                var bytes: ByteBuffer
                do {
                    bytes = try RecordingDirectory.read(descriptor: current.descriptor, path: current.path, offset: sample.offset, length: sample.size)
                } catch {
                    bytes = ByteBuffer()
                }
                guard bytes.readableBytes == sample.size else {
                    // Cut or deleted under us: on to the next segment.
                    unload()
                    continue
                }
                return StoredUnit(track: sample.track, unit: makeUnit(sample, bytes: bytes, parameterSets: current.parameterSets))
            }
            unload()
            guard loadNext() else { return nil }
        }
    }

    private func makeUnit(_ sample: Sample, bytes: ByteBuffer, parameterSets: [[UInt8]]) -> EncodedUnit {
        let codec = codecs[sample.track]
        let instant = MediaInstant(nanoseconds: sample.instant)
        let duration = MediaDuration(nanoseconds: sample.duration)
        guard codec == .h264 else {
            return EncodedUnit(
                codec: codec, parts: [Array(bytes.readableBytesView)], instant: instant, isKeyFrame: true,
                sampleCount: Int(sample.ticks), duration: duration)
        }
        return .storedH264(
            nalUnits: FragmentedMP4.nalUnits(inAVCSample: bytes), instant: instant, isKeyFrame: sample.isSync, duration: duration,
            parameterSets: parameterSets.count == 2 ? (parameterSets[0], parameterSets[1]) : nil)
    }

    private func unload() {
        if let loaded { close(loaded.descriptor) }
        loaded?.lease?.release()
        loaded = nil
        position = 0
    }

    /// Loads the next readable segment whose tracks match the first one's; false at the end.
    private func loadNext() -> Bool {
        while nextSegment < segments.count {
            let index = nextSegment
            nextSegment += 1
            let segment = segments[index]
            let lease = leases?.lease([segment.file])
            guard let file = try? RecordedFile(path: segment.file) else {
                lease?.release()
                continue
            }
            let described = file.tracks.compactMap { track in Self.storedTrack(track).map { (track, $0) } }
            guard described.map(\.1.codec) == codecs else {
                lease?.release()
                nextSegment = segments.count  // a different kind of recording: the presentation ends
                return false
            }
            let descriptor = open(segment.file, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else {
                lease?.release()
                continue
            }
            var samples: [Sample] = []
            for fragment in file.fragments {
                for run in fragment.runs {
                    guard let trackIndex = described.firstIndex(where: { $0.0.id == run.trackID }) else { continue }
                    let timescale = Int64(max(described[trackIndex].0.timescale, 1))
                    var time = run.baseDecodeTime
                    for layout in run.samples {
                        let instant = segment.start + Int64(time) * 1_000_000_000 / timescale
                        samples.append(Sample(
                            track: trackIndex, instant: instant, duration: Int64(layout.duration) * 1_000_000_000 / timescale,
                            ticks: layout.duration, isSync: layout.isSync, offset: layout.offset, size: Int(layout.size)))
                        time += UInt64(layout.duration)
                    }
                }
            }
            // Time order; at the same instant the picture first, so a key frame leads.
            samples.sort { ($0.instant, $0.track) < ($1.instant, $1.track) }
            var parameterSets: [[UInt8]] = []
            if case .h264(let avc, _, _)? = described.first?.0.media, let sps = avc.sequenceParameterSets.first,
                let pps = avc.pictureParameterSets.first
            {
                parameterSets = [sps, pps]
            }
            loaded = Loaded(index: index, samples: samples, parameterSets: parameterSets, descriptor: descriptor, lease: lease, path: segment.file)
            position = 0
            return true
        }
        return false
    }
}
