#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Container
import MediaCore
import NIOCore
import ServeWire

/// An MP4 file — ordinary (sample tables in `moov`) or fragmented (Vigil's own clips) — read
/// as stored media: its H.264 track and its first audio track (AAC, Opus, G.711), samples in
/// decoding order across both, at the times their edit lists give (so audio primed by its
/// encoder and video delayed by B-frames line up as ffmpeg and every player show them).
///
/// The file's boxes are read once (only `moov` and each `moof`, never the media data); each
/// sample is read from the disk when it is played.
public final class MP4FileReader: StoredMediaReader {
    public let tracks: [StoredTrack]
    public var timeline: StoredTimeline { .mediaTime }
    public var start: Int64 { 0 }
    public let end: Int64

    struct Sample {
        var track: Int
        /// Shown at, and decoded at, in nanoseconds of the file's presentation.
        var instant: Int64
        var decodeInstant: Int64
        var duration: Int64
        var ticks: Int
        var isSync: Bool
        var offset: Int
        var size: Int
    }

    let samples: [Sample]
    private let codecs: [MediaCodec]
    private let parameterSets: [[UInt8]]
    private let descriptor: Int32
    private let name: String
    private var position = 0

    /// Most bytes a `moov` or `moof` may have: a day of samples' tables is a few tens of MB.
    static let maximumHeaderBytes = 256 << 20
    /// G.711 in MP4 is one sample a byte: runs of them are played as units of 20 ms.
    static let g711UnitMilliseconds = 20

    public init(path: String, name: String) throws(LibraryError) {
        self.name = name
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .unreadable(name: name, reason: String(cString: strerror(errno))) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            close(fd)
            throw .unreadable(name: name, reason: "cannot stat")
        }
        let size = Int(info.st_size)
        var moov: Box?
        var fragments: [Box] = []
        var position = 0
        while position + 8 <= size {
            guard let header = ElementaryStreamReader.read(fd, at: position, length: 16), header.count >= 8 else { break }
            var boxSize = Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
            let type = String(decoding: header[4..<8], as: UTF8.self)
            if boxSize == 1 {
                guard header.count >= 16 else { break }
                let large = header[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                guard large <= UInt64(Int.max) else { break }
                boxSize = Int(large)
            } else if boxSize == 0 {
                boxSize = size - position
            }
            guard boxSize >= 8, position + boxSize <= size else { break }
            if type == "moov" || type == "moof" {
                guard boxSize <= Self.maximumHeaderBytes, let bytes = ElementaryStreamReader.read(fd, at: position, length: boxSize),
                    bytes.count == boxSize, let box = (try? Box.parse(ByteBuffer(bytes: bytes), base: position))?.first
                else { break }
                if type == "moov" { moov = box } else { fragments.append(box) }
            }
            position += boxSize
        }
        guard let moov else {
            close(fd)
            throw .unreadable(name: name, reason: "no moov box: not an MP4 file")
        }
        let read: [MovieTrackSamples]
        do {
            read = try MovieFile.samples(moov: moov, fragments: fragments)
        } catch {
            close(fd)
            throw .unreadable(name: name, reason: "\(error)")
        }
        // The H.264 track first, then the first audio track Vigil can send.
        var chosen: [(MovieTrackSamples, StoredTrack)] = []
        var parameterSets: [[UInt8]] = []
        if let video = read.first(where: { if case .h264 = $0.track.media { return true } else { return false } }),
            case .h264(let avc, _, _) = video.track.media, let sps = avc.sequenceParameterSets.first, let pps = avc.pictureParameterSets.first
        {
            chosen.append((video, StoredTrack(codec: .h264, clockRate: 90_000, parameters: .h264(sps: sps, pps: pps))))
            parameterSets = [sps, pps]
        }
        for candidate in read {
            guard case .audio = candidate.track.media, let stored = Self.storedAudio(candidate.track) else { continue }
            chosen.append((candidate, stored))
            break
        }
        guard chosen.contains(where: { $0.1.codec == .h264 }) else {
            close(fd)
            throw .unreadable(name: name, reason: "no H.264 video track")
        }
        var samples: [Sample] = []
        for (index, (movie, stored)) in chosen.enumerated() {
            let timescale = Int64(max(movie.track.timescale, 1))
            func nanoseconds(_ ticks: Int64) -> Int64 { ticks * 1_000_000_000 / timescale }
            var pending: Sample?
            let g711Run = Int(movie.track.timescale) * Self.g711UnitMilliseconds / 1000
            for sample in movie.samples {
                // What an edit list puts before the start (an encoder's priming) is not played.
                guard sample.presentationTime >= 0 || stored.codec == .h264 else { continue }
                let decode = sample.presentationTime - Int64(sample.compositionOffset)
                let made = Sample(
                    track: index, instant: nanoseconds(sample.presentationTime), decodeInstant: nanoseconds(decode),
                    duration: nanoseconds(Int64(sample.duration)), ticks: Int(sample.duration), isSync: sample.isSync || stored.codec != .h264,
                    offset: sample.offset, size: sample.size)
                if stored.codec == .pcmu || stored.codec == .pcma {
                    // Contiguous one-byte samples become 20 ms units.
                    if var run = pending, run.offset + run.size == made.offset, run.ticks + made.ticks <= g711Run {
                        run.size += made.size
                        run.ticks += made.ticks
                        run.duration = nanoseconds(Int64(run.ticks))
                        pending = run
                        continue
                    }
                    if let run = pending { samples.append(run) }
                    pending = made
                    continue
                }
                samples.append(made)
            }
            if let run = pending { samples.append(run) }
        }
        samples.sort { ($0.decodeInstant, $0.track) < ($1.decodeInstant, $1.track) }
        guard let firstKey = samples.firstIndex(where: { $0.track == 0 && $0.isSync }) else {
            close(fd)
            throw .unreadable(name: name, reason: "no key frame")
        }
        samples.removeFirst(firstKey)
        self.samples = samples
        self.tracks = chosen.map(\.1)
        self.codecs = chosen.map(\.1.codec)
        self.parameterSets = parameterSets
        self.descriptor = fd
        self.end = samples.filter { $0.track == 0 }.map { $0.instant + $0.duration }.max() ?? 0
    }

    deinit { close(descriptor) }

    /// Audio Vigil sends as it is stored: AAC (RFC 3640), Opus (RFC 7587), G.711.
    static func storedAudio(_ track: TrackDescription) -> StoredTrack? {
        guard case .audio(let format, let channels, let sampleRate, let codecBox) = track.media else { return nil }
        switch format {
        case "mp4a":
            guard let body = codecBox?.body, let config = try? MovieFile.audioSpecificConfig(esds: body) else { return nil }
            let described = AACFormat.describe(audioSpecificConfig: config)
            let rate = described?.sampleRate ?? sampleRate
            return StoredTrack(
                codec: .aac, clockRate: Int(track.timescale),
                parameters: .aac(audioSpecificConfig: config, sampleRate: rate, channels: described?.channels ?? channels))
        case "Opus":
            var preSkip = 312
            var inputRate = 48_000
            if let body = codecBox?.body, let opus = try? OpusConfiguration(parsing: ByteBuffer(bytes: body)) {
                preSkip = Int(opus.preSkip)
                inputRate = Int(opus.inputSampleRate)
            }
            guard track.timescale == 48_000 else { return nil }
            return StoredTrack(codec: .opus, clockRate: 48_000, parameters: .opus(preSkip: preSkip, inputSampleRate: inputRate))
        case "ulaw", "alaw":
            guard channels == 1 else { return nil }
            return StoredTrack(
                codec: format == "ulaw" ? .pcmu : .pcma, clockRate: Int(track.timescale), parameters: .g711(sampleRate: sampleRate))
        default:
            return nil
        }
    }

    public func seek(to instant: Int64) throws -> Int64? {
        guard instant < end else { return nil }
        var chosen: Int?
        for (index, sample) in samples.enumerated() where sample.track == 0 && sample.isSync {
            if sample.instant <= instant || chosen == nil { chosen = index }
            if sample.instant > instant { break }
        }
        guard let chosen else { return nil }
        position = chosen
        return samples[chosen].instant
    }

    public func next() throws -> StoredUnit? {
        while position < samples.count {
            let sample = samples[position]
            position += 1
            guard let bytes = ElementaryStreamReader.read(descriptor, at: sample.offset, length: sample.size), bytes.count == sample.size else {
                continue
            }
            let codec = codecs[sample.track]
            let instant = MediaInstant(nanoseconds: sample.instant)
            let duration = MediaDuration(nanoseconds: sample.duration)
            guard codec == .h264 else {
                return StoredUnit(
                    track: sample.track,
                    unit: EncodedUnit(codec: codec, parts: [bytes], instant: instant, isKeyFrame: true, sampleCount: sample.ticks, duration: duration),
                    decodeInstant: sample.decodeInstant)
            }
            let unit = EncodedUnit.storedH264(
                nalUnits: FragmentedMP4.nalUnits(inAVCSample: ByteBuffer(bytes: bytes)), instant: instant, isKeyFrame: sample.isSync,
                duration: duration, parameterSets: parameterSets.count == 2 ? (parameterSets[0], parameterSets[1]) : nil)
            return StoredUnit(track: sample.track, unit: unit, decodeInstant: sample.decodeInstant)
        }
        return nil
    }
}
