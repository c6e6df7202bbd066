import Container
import MediaCore
import NIOCore

/// What a recorded file holds besides H.264: the audio track, if any, and where it comes
/// from in the stream's fan-out.
public struct RecordedAudio: Sendable, Hashable {
    /// The fan-out track that carries it (1: the stream's audio; 2: a browser-playable copy).
    public var track: Int
    public var timescale: UInt32
    public var media: TrackDescription.Media

    public init(track: Int, timescale: UInt32, media: TrackDescription.Media) {
        self.track = track
        self.timescale = timescale
        self.media = media
    }

    /// G.711 as QuickTime's `ulaw`/`alaw` sample entry (ffmpeg and GStreamer read it).
    public static func g711(track: Int, muLaw: Bool, sampleRate: Int) -> RecordedAudio {
        RecordedAudio(
            track: track, timescale: UInt32(sampleRate),
            media: .audio(format: muLaw ? "ulaw" : "alaw", channels: 1, sampleRate: sampleRate, codecBox: nil))
    }
}

/// The recorder's muxing, as a value that turns encoded units into file actions (no I/O, no
/// clock): segments that start on key frames and last about `segmentDuration`, each an
/// initialization segment and then one fragment per part of about `partDuration`.
///
/// Media time in a segment counts from its first key frame's capture instant, in each
/// track's timescale; a picture lasts until the next one's capture instant, so dropped
/// frames leave no drift. Audio keeps its own sample count and is re-aligned to its capture
/// instants only when they differ by more than `audioRealignment` (a real gap). A part is cut
/// on the first picture past its length, once the audio up to that instant is in (or after
/// `audioWait`), so the fragments of both tracks cover the same span.
public struct SegmentWriter {
    public struct Configuration: Sendable, Hashable {
        public var segmentDuration: MediaDuration
        public var partDuration: MediaDuration
        public var width: Int
        public var height: Int
        public var audio: RecordedAudio?
        /// How long a part waits for audio that lags its pictures (the audio encoder runs on
        /// its own thread).
        public var audioWait = MediaDuration.milliseconds(300)
        /// Audio placement follows the sample count unless the capture instants say it is
        /// off by more than this.
        public var audioRealignment = MediaDuration.milliseconds(20)
        /// Where media time counts from. A recorded file stands alone, so its time starts at its
        /// first key frame (`.perSegment`, with a `mehd` the recorder patches at close); HLS
        /// segments share one initialization segment and one timeline (`.continuous`: from
        /// the first segment's start, no `mehd`, fragment numbers never restart).
        public var timeline = Timeline.perSegment

        public enum Timeline: Sendable, Hashable {
            case perSegment
            case continuous
        }

        public init(segmentDuration: MediaDuration, partDuration: MediaDuration, width: Int, height: Int, audio: RecordedAudio?) {
            self.segmentDuration = segmentDuration
            self.partDuration = partDuration
            self.width = width
            self.height = height
            self.audio = audio
        }
    }

    public enum Action {
        /// Create a segment file starting at `start`, beginning with `initialization`.
        case open(start: MediaInstant, initialization: ByteBuffer)
        /// Append one fragment (a part) that covers media up to `end`, and make it durable.
        case write(fragment: ByteBuffer, end: MediaInstant)
        /// The segment is complete; it lasts until `end`.
        case close(end: MediaInstant)
    }

    static let videoTrackID: UInt32 = 1
    static let audioTrackID: UInt32 = 2
    static let videoTimescale: UInt32 = 90_000

    public let configuration: Configuration
    private var segment: (start: MediaInstant, sps: [UInt8], pps: [UInt8])?
    /// Media time zero: the open segment's start, or with a continuous timeline the first's.
    private var origin: MediaInstant?
    private var sequenceNumber: UInt32 = 0
    private var partStart = MediaInstant(nanoseconds: 0)
    private var video: [EncodedUnit] = []
    private var audio: [EncodedUnit] = []
    private var boundary: (instant: MediaInstant, closesSegment: Bool)?
    /// Where the next audio sample goes, in audio ticks from the segment start.
    private var audioNextTicks: Int64?
    /// Pictures dropped while waiting for a key frame to start a segment on.
    public private(set) var picturesBeforeKeyFrame: UInt64 = 0

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// True while a segment is open.
    public var isRecording: Bool { segment != nil }

    /// Takes the next unit of `track` (others are ignored) and says what to do with the files.
    public mutating func take(_ unit: EncodedUnit, track: Int) -> [Action] {
        var actions: [Action] = []
        if track == 0 {
            guard unit.codec == .h264 else { return [] }
            guard let current = segment else {
                guard unit.isKeyFrame, case .h264(let sps, let pps)? = unit.parameters else {
                    picturesBeforeKeyFrame += 1
                    return []
                }
                actions.append(open(at: unit.instant, sps: sps, pps: pps))
                video = [unit]
                return actions
            }
            if video.last.map({ unit.instant <= $0.instant }) ?? false { return [] }  // never backwards
            video.append(unit)
            if boundary == nil {
                var changed = false
                if unit.isKeyFrame, case .h264(let sps, let pps)? = unit.parameters { changed = sps != current.sps || pps != current.pps }
                if unit.isKeyFrame && (changed || unit.instant - current.start >= configuration.segmentDuration) {
                    boundary = (unit.instant, true)
                } else if unit.instant - partStart >= configuration.partDuration {
                    boundary = (unit.instant, false)
                }
            }
        } else if let recorded = configuration.audio, track == recorded.track {
            guard let current = segment, unit.instant >= current.start else { return [] }
            if audio.last.map({ unit.instant <= $0.instant }) ?? false { return [] }
            audio.append(unit)
        } else {
            return []
        }
        actions += cutIfReady()
        return actions
    }

    /// Ends the open segment with everything pending: the stream stopped, the recorder was
    /// cut off or paused. The next segment starts on the next key frame.
    public mutating func finish() -> [Action] {
        guard segment != nil, let last = video.last else {
            segment = nil
            return []
        }
        let end = last.instant + (last.duration.nanoseconds > 0 ? last.duration : .milliseconds(40))
        var actions: [Action] = []
        if let fragment = part(until: end, lastPictureEnds: end) { actions.append(.write(fragment: fragment, end: end)) }
        actions.append(.close(end: end))
        reset()
        return actions
    }

    private mutating func reset() {
        segment = nil
        if configuration.timeline == .perSegment { origin = nil }
        video.removeAll()
        audio.removeAll()
        boundary = nil
        audioNextTicks = nil
    }

    private mutating func open(at start: MediaInstant, sps: [UInt8], pps: [UInt8]) -> Action {
        segment = (start, sps, pps)
        partStart = start
        if configuration.timeline == .perSegment || origin == nil {
            origin = start
            sequenceNumber = 0
            audioNextTicks = nil
        }
        var tracks: [TrackDescription] = []
        if let avc = try? AVCConfiguration(sps: [sps], pps: [pps]) {
            tracks.append(TrackDescription(
                id: Self.videoTrackID, timescale: Self.videoTimescale,
                media: .h264(avc, width: configuration.width, height: configuration.height)))
        }
        if let recorded = configuration.audio {
            tracks.append(TrackDescription(id: Self.audioTrackID, timescale: recorded.timescale, media: recorded.media))
        }
        let movieDuration: UInt64? = configuration.timeline == .perSegment ? 0 : nil
        return .open(start: start, initialization: FragmentedMP4.initializationSegment(tracks: tracks, fragmentDuration: movieDuration))
    }

    private mutating func cutIfReady() -> [Action] {
        guard let cut = boundary, let latest = video.last else { return [] }
        if configuration.audio != nil {
            let audioEnd = audio.last.map { $0.instant + $0.duration }
            let caughtUp = audioEnd.map { $0 >= cut.instant } ?? false
            guard caughtUp || latest.instant - cut.instant >= configuration.audioWait else { return [] }
        }
        boundary = nil
        var actions: [Action] = []
        if let fragment = part(until: cut.instant, lastPictureEnds: nil) {
            actions.append(.write(fragment: fragment, end: cut.instant))
        }
        partStart = cut.instant
        if cut.closesSegment {
            actions.append(.close(end: cut.instant))
            let rest = video
            let restAudio = audio
            segment = nil
            guard let key = rest.first, case .h264(let sps, let pps)? = key.parameters else {
                reset()
                return actions
            }
            actions.append(open(at: key.instant, sps: sps, pps: pps))
            video = rest
            audio = restAudio.filter { $0.instant >= key.instant }
        }
        return actions
    }

    /// One fragment with the pictures before `end` and the audio that starts before it, taken
    /// off the pending lists. `lastPictureEnds` gives the last picture's end when no later
    /// picture is pending (at `finish`).
    private mutating func part(until end: MediaInstant, lastPictureEnds: MediaInstant?) -> ByteBuffer? {
        guard segment != nil, let origin else { return nil }
        let pictures = video.prefix { $0.instant < end }
        guard !pictures.isEmpty else { return nil }
        func videoTicks(_ instant: MediaInstant) -> Int64 {
            ticks(instant - origin, timescale: Self.videoTimescale)
        }
        var samples: [Sample] = []
        samples.reserveCapacity(pictures.count)
        for (index, picture) in pictures.enumerated() {
            let nextInstant = index + 1 < video.count ? video[index + 1].instant : (lastPictureEnds ?? end)
            let duration = max(1, videoTicks(nextInstant) - videoTicks(picture.instant))
            samples.append(Sample(
                duration: UInt32(clamping: duration), isSync: picture.isKeyFrame,
                data: FragmentedMP4.avcSample(nalUnits: picture.parts)))
        }
        var runs = [TrackRun(trackID: Self.videoTrackID, baseDecodeTime: UInt64(videoTicks(pictures[pictures.startIndex].instant)), samples: samples)]
        video.removeFirst(pictures.count)

        if let recorded = configuration.audio {
            let sounds = audio.prefix { $0.instant < end }
            if let first = sounds.first {
                let placed = ticks(first.instant - origin, timescale: recorded.timescale)
                let tolerance = ticks(configuration.audioRealignment, timescale: recorded.timescale)
                var base = audioNextTicks ?? placed
                if abs(placed - base) > tolerance { base = placed }
                base = max(0, base)
                var audioSamples: [Sample] = []
                var total: Int64 = 0
                for sound in sounds {
                    var data = ByteBuffer()
                    for part in sound.parts { data.writeBytes(part) }
                    audioSamples.append(Sample(duration: UInt32(sound.sampleCount), isSync: true, data: data))
                    total += Int64(sound.sampleCount)
                }
                runs.append(TrackRun(trackID: Self.audioTrackID, baseDecodeTime: UInt64(base), samples: audioSamples))
                audioNextTicks = base + total
                audio.removeFirst(sounds.count)
            }
        }
        sequenceNumber += 1
        return FragmentedMP4.fragment(sequenceNumber: sequenceNumber, runs: runs)
    }

    private func ticks(_ duration: MediaDuration, timescale: UInt32) -> Int64 {
        // Rounded to the nearest tick; durations here are hours at most, far from overflow.
        (duration.nanoseconds * Int64(timescale) + 500_000_000) / 1_000_000_000
    }
}
