import NIOCore

/// One track of a movie file and all its samples, from its sample tables and its fragments.
public struct MovieTrackSamples: Hashable, Sendable {
    /// As `FragmentedMP4Reader` reads the `trak` (its `tkhd`, `mdhd` and first sample entry).
    public var track: TrackDescription
    /// Samples in decode order: the sample tables' first, then each fragment's.
    public var samples: [MovieSample]

    public init(track: TrackDescription, samples: [MovieSample]) {
        self.track = track
        self.samples = samples
    }
}

/// Where one sample (a picture, an audio frame) lies in its file and when it plays.
public struct MovieSample: Hashable, Sendable {
    /// Of the sample's first byte, absolute in the file.
    public var offset: Int
    public var size: Int
    /// In the track's timescale, from the start of its media: `stts` (the first sample at 0),
    /// or a fragment's `tfdt` and the durations of the samples before it in the fragment.
    public var decodeTime: Int64
    public var duration: UInt32
    /// Presentation minus decoding time, before the edit list (`ctts`, or the `trun`'s).
    public var compositionOffset: Int32
    /// `stss` (every sample without one); in a fragment, the sample flags (§8.8.3.1).
    public var isSync: Bool
    /// In the track's timescale, on the movie's timeline: `decodeTime + compositionOffset`,
    /// less the first non-empty edit's `media_time`, plus the leading empty edits' duration
    /// converted from the movie's timescale to the track's (§8.6.6; see `EditList`).
    public var presentationTime: Int64

    public init(offset: Int, size: Int, decodeTime: Int64, duration: UInt32, compositionOffset: Int32, isSync: Bool, presentationTime: Int64) {
        self.offset = offset
        self.size = size
        self.decodeTime = decodeTime
        self.duration = duration
        self.compositionOffset = compositionOffset
        self.isSync = isSync
        self.presentationTime = presentationTime
    }
}

/// Reading the samples of an MP4 or QuickTime file (ISO/IEC 14496-12), ordinary (every sample
/// in the `moov`'s sample tables, §8.5–8.7) or fragmented (the `moov`'s tables empty, the
/// samples in `moof`s, §8.8), or both at once. Pure: it takes the boxes, the caller reads the
/// file (a `moov` is a few hundred KiB even for hours of media; the sample bytes stay where
/// they are).
public enum MovieFile {
    /// Every video and sound track's samples, from the `moov` box and, for a fragmented file,
    /// each `moof` in file order. Every box must carry its absolute offset in the file
    /// (`Box.parse(_:base:)` with the file position of the bytes). Boxes among `fragments`
    /// other than `moof` are passed over, and so are `traf`s of tracks the `moov` does not
    /// describe as video or sound; a `traf` without `tfdt` continues its track.
    ///
    /// Throws `ContainerError` for tables that do not fit their boxes or disagree on the
    /// number of samples, for more than `maximumSampleCount` samples in a track, for offsets
    /// and times that do not fit 64 bits, and for video or sound tracks whose sample entry is
    /// not one `FragmentedMP4Reader` reads.
    public static func samples(moov: Box, fragments: [Box]) throws -> [MovieTrackSamples] {
        guard moov.type == "moov" else { throw ContainerError.malformed(moov.type, "not a moov") }
        let movieTimescale = try timescale(ofMovie: moov)
        var tracks: [MovieTrackSamples] = []
        var shifts: [Int64] = []
        for trak in try FragmentedMP4Reader.mediaTracks(inMovie: moov) {
            let track = try FragmentedMP4Reader.track(trak)
            guard !tracks.contains(where: { $0.track.id == track.id }) else { throw ContainerError.malformed("moov", "two tracks \(track.id)") }
            guard let stbl = try trak.child("mdia", "minf", "stbl") else { throw ContainerError.missingBox("stbl", in: "minf") }
            let edits = try trak.child("edts", "elst").map(EditList.init(elst:)) ?? EditList()
            shifts.append(try edits.shift(trackTimescale: track.timescale, movieTimescale: movieTimescale))
            tracks.append(MovieTrackSamples(track: track, samples: try SampleTable(stbl: stbl).samples()))
        }

        let defaults = try FragmentedMP4Reader.trackDefaults(inMovie: moov)
        for moof in fragments where moof.type == "moof" {
            for (run, hasDecodeTime) in try FragmentedMP4Reader.fragmentRuns(of: moof, defaults: defaults) {
                guard let index = tracks.firstIndex(where: { $0.track.id == run.trackID }) else { continue }
                guard run.samples.count <= maximumSampleCount - tracks[index].samples.count else {
                    throw ContainerError.malformed("trun", "more than \(maximumSampleCount) samples in track \(run.trackID)")
                }
                var decodeTime: Int64
                if hasDecodeTime {
                    guard let time = Int64(exactly: run.baseDecodeTime) else {
                        throw ContainerError.malformed("tfdt", "baseMediaDecodeTime \(run.baseDecodeTime)")
                    }
                    decodeTime = time
                } else {
                    decodeTime = try end(of: tracks[index].samples)
                }
                tracks[index].samples.reserveCapacity(tracks[index].samples.count + run.samples.count)
                for sample in run.samples {
                    tracks[index].samples.append(MovieSample(
                        offset: sample.offset, size: Int(sample.size), decodeTime: decodeTime, duration: sample.duration,
                        compositionOffset: sample.compositionOffset, isSync: sample.isSync, presentationTime: 0))
                    let (next, overflow) = decodeTime.addingReportingOverflow(Int64(sample.duration))
                    guard !overflow else { throw ContainerError.malformed("trun", "decode times past 2^63 ticks") }
                    decodeTime = next
                }
            }
        }

        for (index, shift) in shifts.enumerated() {
            for sample in tracks[index].samples.indices {
                let (composition, late) = tracks[index].samples[sample].decodeTime
                    .addingReportingOverflow(Int64(tracks[index].samples[sample].compositionOffset))
                let (presentation, shifted) = composition.addingReportingOverflow(shift)
                guard !late, !shifted else { throw ContainerError.malformed("elst", "presentation times past 2^63 ticks") }
                tracks[index].samples[sample].presentationTime = presentation
            }
        }
        return tracks
    }

    /// Most samples a track may have (`SampleTable.maximumSampleCount`).
    public static let maximumSampleCount = SampleTable.maximumSampleCount

    /// Where a track's samples so far end on its decode timeline: where the next one starts.
    private static func end(of samples: [MovieSample]) throws -> Int64 {
        guard let last = samples.last else { return 0 }
        let (end, overflow) = last.decodeTime.addingReportingOverflow(Int64(last.duration))
        guard !overflow else { throw ContainerError.malformed("trun", "decode times past 2^63 ticks") }
        return end
    }

    /// `mvhd`'s timescale (§8.2.2), in which edit durations count; nil without an `mvhd`.
    ///
    /// ```
    /// if (version==1) { unsigned int(64) creation_time; unsigned int(64) modification_time; }
    /// else            { unsigned int(32) creation_time; unsigned int(32) modification_time; }
    /// unsigned int(32) timescale;
    /// ```
    static func timescale(ofMovie moov: Box) throws -> UInt32? {
        guard let mvhd = try moov.child("mvhd") else { return nil }
        let (version, _, body) = try mvhd.fullBox()
        guard let timescale = body.getInteger(at: body.readerIndex + (version == 1 ? 16 : 8), as: UInt32.self) else {
            throw ContainerError.malformed("mvhd", "cut short")
        }
        return timescale
    }
}
