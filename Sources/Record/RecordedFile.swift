#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Container
import NIOCore

/// A recorded fragmented MP4 read by its boxes, without reading its media data: the tracks
/// from `moov`, and each whole fragment's sample layout (absolute offsets in the file).
/// What the recovery scan, clips and playlists need from files of any size.
struct RecordedFile {
    struct Fragment {
        /// Where the `moof` starts, and where its `mdat` ends.
        var offset: Int
        var end: Int
        var runs: [RunLayout]
    }

    let path: String
    var tracks: [TrackDescription]
    /// The initialization segment's bytes (`ftyp` + `moov`).
    var initialization: ByteBuffer
    var fragments: [Fragment]
    /// Where the last whole fragment ends (the end of `moov` when there is none); bytes
    /// after it are a torn tail.
    var wholeEnd: Int
    /// The file's size when it was read.
    var size: Int

    /// Most bytes a `moov` or `moof` may have: a recorder's are a few KiB; more is not ours.
    static let maximumHeaderBoxBytes = 4 << 20

    /// Reads `path`; throws when it has no whole initialization segment (nothing to keep).
    init(path: String) throws(RecordError) {
        self.path = path
        let fd = retryingEINTR { open(path, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { throw .system(call: "open", path: path, errno: errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .system(call: "fstat", path: path, errno: errno) }
        size = Int(info.st_size)

        var position = 0
        var moov: Box?
        var initializationEnd = 0
        var defaults: [UInt32: FragmentedMP4Reader.TrackDefaults] = [:]
        var found: [Fragment] = []
        var pendingMoof: (box: Box, offset: Int)?
        var end = 0
        while position + 8 <= size {
            let header = try RecordingDirectory.read(descriptor: fd, path: path, offset: position, length: 16)
            guard var size32 = header.getInteger(at: 0, as: UInt32.self).map(Int.init),
                let type = header.getInteger(at: 4, as: UInt32.self).map(FourCC.init(rawValue:))
            else { break }
            if size32 == 1 {
                guard let large = header.getInteger(at: 8, as: UInt64.self), large <= UInt64(Int.max) else { break }
                size32 = Int(large)
            }
            let boxSize = size32
            guard boxSize >= 8, position + boxSize <= size else { break }  // torn or nonsense: stop here
            switch type {
            case "moov", "moof":
                guard boxSize <= Self.maximumHeaderBoxBytes else { break }
                let bytes = try RecordingDirectory.read(descriptor: fd, path: path, offset: position, length: boxSize)
                guard let box = (try? Box.parse(bytes, base: position))?.first else { break }
                if type == "moov" {
                    moov = box
                    initializationEnd = position + boxSize
                    defaults = (try? FragmentedMP4Reader.trackDefaults(inMovie: box)) ?? [:]
                    end = initializationEnd
                } else {
                    pendingMoof = (box, position)
                }
            case "mdat":
                if let moof = pendingMoof, let runs = try? FragmentedMP4Reader.layouts(of: moof.box, defaults: defaults),
                    runs.allSatisfy({ $0.samples.allSatisfy { $0.offset >= position && $0.offset + Int($0.size) <= position + boxSize } })
                {
                    found.append(Fragment(offset: moof.offset, end: position + boxSize, runs: runs))
                    end = position + boxSize
                }
                pendingMoof = nil
            default:
                if moov != nil && pendingMoof == nil { end = max(end, position + boxSize) }
            }
            position += boxSize
        }
        guard let moov, let tracks = try? FragmentedMP4Reader.tracks(inMovie: moov) else {
            throw .unreadable(path: path, reason: "no whole initialization segment (ftyp + moov)")
        }
        self.tracks = tracks
        self.initialization = try RecordingDirectory.read(descriptor: fd, path: path, offset: 0, length: initializationEnd)
        self.fragments = found
        self.wholeEnd = end
    }

    /// How long the file's video (or, without video, its first track) lasts, in nanoseconds
    /// from its start: the end of the last whole fragment's run.
    var mediaDurationNanoseconds: Int64 {
        guard let track = tracks.first(where: \.isVideo) ?? tracks.first, track.timescale > 0 else { return 0 }
        var end: UInt64 = 0
        for fragment in fragments {
            for run in fragment.runs where run.trackID == track.id {
                end = max(end, run.baseDecodeTime + run.duration)
            }
        }
        return Int64(end) * 1_000_000_000 / Int64(track.timescale)
    }
}

/// A recorded file cut where a player may start, for a VOD playlist that points into the
/// file by byte ranges (no re-muxing): the initialization segment, then runs of whole
/// fragments that each begin with a key frame.
public struct RecordedLayout: Sendable {
    public struct Chunk: Sendable, Hashable {
        /// The bytes of its fragments in the file.
        public var range: Range<Int>
        /// Where its video starts, in nanoseconds from the file's start, and how long it lasts.
        public var start: Int64
        public var duration: Int64
    }

    public var initialization: Range<Int>
    public var chunks: [Chunk]

    public init(path: String) throws(RecordError) {
        let file = try RecordedFile(path: path)
        initialization = 0..<file.initialization.readableBytes
        guard let video = file.tracks.first(where: \.isVideo), video.timescale > 0 else {
            chunks = []
            return
        }
        func nanoseconds(_ ticks: UInt64) -> Int64 { Int64(ticks) * 1_000_000_000 / Int64(video.timescale) }
        var found: [Chunk] = []
        for fragment in file.fragments {
            guard let run = fragment.runs.first(where: { $0.trackID == video.id }), let first = run.samples.first else { continue }
            let start = nanoseconds(run.baseDecodeTime)
            let end = nanoseconds(run.baseDecodeTime + run.duration)
            if first.isSync || found.isEmpty {
                found.append(Chunk(range: fragment.offset..<fragment.end, start: start, duration: end - start))
            } else {
                let last = found[found.count - 1]
                found[found.count - 1] = Chunk(range: last.range.lowerBound..<fragment.end, start: last.start, duration: end - last.start)
            }
        }
        chunks = found
    }
}

extension RecordedLayout {
    /// `range` of the file at `path` (shorter at its end).
    public static func read(path: String, range: Range<Int>) throws(RecordError) -> ByteBuffer {
        let fd = retryingEINTR { open(path, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { throw .system(call: "open", path: path, errno: errno) }
        defer { close(fd) }
        return try RecordingDirectory.read(descriptor: fd, path: path, offset: range.lowerBound, length: range.count)
    }
}
