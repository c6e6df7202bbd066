import Container
import NIOCore

/// A clip of a stream's recording as one fragmented MP4, planned without copying media: new
/// `moof` headers (a few hundred bytes a second) and byte ranges of the recorded files for
/// the samples. Its length is known before the first byte is sent, so it is served with
/// `Content-Length` and byte ranges.
///
/// It starts on the last key frame at or before `start` (or the first recorded one after
/// it), ends with the last picture that starts before `end`, and its media time counts from
/// that first key frame. A gap in the recording stays a gap in the clip's timeline. Segments
/// whose track descriptions differ from the first one's (the encoder's parameter sets
/// changed) end the clip there.
public struct ClipPlan: Sendable {
    public enum Piece: Sendable {
        case bytes(ByteBuffer)
        case file(path: String, offset: Int, length: Int)

        var length: Int {
            switch self {
            case .bytes(let buffer): buffer.readableBytes
            case .file(_, _, let length): length
            }
        }
    }

    public private(set) var pieces: [Piece] = []
    /// Where each piece starts in the clip.
    private var starts: [Int] = []
    public private(set) var length = 0
    /// Wall-clock nanoseconds of the clip's first picture, and its media duration.
    public private(set) var start: Int64 = 0
    public private(set) var duration: Int64 = 0
    public private(set) var pictures = 0
    /// The segment files it reads (to hold against the cleaner while it is served).
    public private(set) var files: [String] = []

    /// Plans the clip [from, to) (wall-clock nanoseconds) over `segments` (oldest first);
    /// nil when nothing recorded falls in it.
    public init?(segments: [RecordedSegment], from: Int64, to: Int64) throws(RecordError) {
        var initialization: ByteBuffer?
        var tracks: [TrackDescription] = []
        var clipStart: Int64?
        var sequence: UInt32 = 0
        var body: [Piece] = []
        var end: Int64 = 0
        for segment in segments where segment.end > from && segment.start < to {
            let file = try RecordedFile(path: segment.file)
            if initialization == nil {
                initialization = file.initialization
                tracks = file.tracks
            } else if file.tracks != tracks {
                break
            }
            guard let video = file.tracks.first(where: \.isVideo) else { continue }
            func wall(_ ticks: UInt64, _ timescale: UInt32) -> Int64 {
                segment.start + Int64(ticks) * 1_000_000_000 / Int64(max(timescale, 1))
            }
            if clipStart == nil {
                // The last key frame at or before `from`, else the first key frame after it.
                var chosen: Int64?
                for fragment in file.fragments {
                    for run in fragment.runs where run.trackID == video.id {
                        var time = run.baseDecodeTime
                        for sample in run.samples {
                            let instant = wall(time, video.timescale)
                            if sample.isSync {
                                if instant <= from || chosen == nil { chosen = instant }
                                if instant > from { break }
                            }
                            time += UInt64(sample.duration)
                        }
                    }
                    if let chosen, chosen > from { break }
                }
                guard let chosen else { continue }
                clipStart = chosen
            }
            guard let clipStart else { continue }
            files.append(segment.file)
            for fragment in file.fragments {
                var runs: [RunLayout] = []
                var data: [Piece] = []
                for run in fragment.runs {
                    guard let track = file.tracks.first(where: { $0.id == run.trackID }) else { continue }
                    var time = run.baseDecodeTime
                    var selected: [SampleLayout] = []
                    var firstTime: UInt64?
                    for sample in run.samples {
                        let instant = wall(time, track.timescale)
                        if instant >= clipStart && instant < to {
                            if firstTime == nil { firstTime = time }
                            selected.append(sample)
                            if track.isVideo { end = max(end, wall(time + UInt64(sample.duration), track.timescale)) }
                        }
                        time += UInt64(sample.duration)
                    }
                    guard let firstTime, let first = selected.first, let last = selected.last else { continue }
                    let rebased = (segment.start - clipStart) * Int64(track.timescale) / 1_000_000_000 + Int64(firstTime)
                    runs.append(RunLayout(trackID: run.trackID, baseDecodeTime: UInt64(max(0, rebased)), samples: selected))
                    data.append(.file(path: segment.file, offset: first.offset, length: last.offset + Int(last.size) - first.offset))
                    if track.isVideo { pictures += selected.count }
                }
                guard runs.contains(where: { $0.trackID == video.id }) else { continue }
                sequence += 1
                body.append(.bytes(FragmentedMP4.fragmentHeader(sequenceNumber: sequence, runs: runs)))
                body += data
            }
        }
        guard var initialization, let clipStart, sequence > 0 else { return nil }
        start = clipStart
        duration = end - clipStart
        if let field = FragmentedMP4.movieExtendsDurationField(in: initialization) {
            initialization.setInteger(UInt64(duration / 1_000_000), at: initialization.readerIndex + field)
        }
        for piece in [Piece.bytes(initialization)] + body {
            starts.append(length)
            pieces.append(piece)
            length += piece.length
        }
    }

    /// The clip's bytes in `range` (blocking file reads: call it off the event loops).
    public func read(_ range: Range<Int>) throws(RecordError) -> ByteBuffer {
        var output = ByteBuffer()
        output.reserveCapacity(range.count)
        guard !range.isEmpty else { return output }
        // The last piece that starts at or before the range's start.
        var low = 0
        var high = starts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if starts[middle] <= range.lowerBound { low = middle } else { high = middle - 1 }
        }
        var index = low
        while index < pieces.count && starts[index] < range.upperBound {
            let pieceStart = starts[index]
            let from = max(range.lowerBound, pieceStart) - pieceStart
            let to = min(range.upperBound, pieceStart + pieces[index].length) - pieceStart
            switch pieces[index] {
            case .bytes(let buffer):
                output.writeImmutableBuffer(buffer.getSlice(at: buffer.readerIndex + from, length: to - from)!)
            case .file(let path, let offset, _):
                var chunk = try RecordingDirectory.read(path, offset: offset + from, length: to - from)
                guard chunk.readableBytes == to - from else {
                    throw .unreadable(path: path, reason: "shorter than its index says (deleted or cut while read)")
                }
                output.writeBuffer(&chunk)
            }
            index += 1
        }
        return output
    }
}
