/// One track of stored media (a recording, a media file): what a player needs to announce and
/// packetize it.
public struct StoredTrack: Sendable, Hashable {
    public var codec: MediaCodec
    /// Ticks per second of the codec's RTP clock: 90 000 for video, the sample rate for G.711,
    /// 48 000 for Opus.
    public var clockRate: Int
    /// Video: the parameter sets (H.264) or picture size (H.263) the track starts with.
    public var parameters: CodecParameters?

    public init(codec: MediaCodec, clockRate: Int, parameters: CodecParameters?) {
        self.codec = codec
        self.clockRate = clockRate
        self.parameters = parameters
    }
}

/// One unit read from stored media, and the track it belongs to.
public struct StoredUnit: Sendable {
    public var track: Int
    /// `instant` is on the reader's timeline (see `StoredMediaReader.timeline`): when the
    /// unit is shown or heard.
    public var unit: EncodedUnit
    /// When it must be decoded, on the same timeline: earlier than `instant` for pictures a
    /// B-frame is predicted from. Players send by it.
    public var decodeInstant: Int64

    public init(track: Int, unit: EncodedUnit, decodeInstant: Int64? = nil) {
        self.track = track
        self.unit = unit
        self.decodeInstant = decodeInstant ?? unit.instant.nanoseconds
    }
}

/// Stored media read unit by unit in time order across its tracks: what a file player sends.
///
/// Reads block on the disk: a reader is used from one thread at a time, never an event loop.
public protocol StoredMediaReader: AnyObject {
    var tracks: [StoredTrack] { get }
    /// What the timeline's nanoseconds are.
    var timeline: StoredTimeline { get }
    /// The first and the end instant of what can be played, on the timeline.
    var start: Int64 { get }
    var end: Int64 { get }
    /// Moves to the video key frame at or before `instant` (the first one after it when there
    /// is none before), so that the next unit read starts a decodable picture; audio resumes
    /// with the first unit at or after the key frame. Returns the key frame's instant, or nil
    /// when nothing can be played at or after `instant`.
    func seek(to instant: Int64) throws -> Int64?
    /// The next unit, or nil at the end. Video units of H.264 key frames carry their SPS and
    /// PPS as the first parts, so a decoder can start at any of them.
    func next() throws -> StoredUnit?
}

public enum StoredTimeline: Sendable, Hashable {
    /// Nanoseconds since 1970, UTC: a recording, whose sender reports give this wall clock.
    case wallClock
    /// Nanoseconds from the start of a file.
    case mediaTime
}

extension EncodedUnit {
    /// An H.264 picture read back from storage, as every reader of stored media hands it on:
    /// a key frame carries `parameterSets` (SPS, PPS) in-band first, unless it has its own,
    /// and as its parameters, so a decoder can start at any key frame; access unit delimiters
    /// and filler data (types 9, 12), which mean nothing on RTP (RFC 6184 §5.3), are left out.
    public static func storedH264(
        nalUnits: [[UInt8]], instant: MediaInstant, isKeyFrame: Bool, duration: MediaDuration, parameterSets: (sps: [UInt8], pps: [UInt8])?
    ) -> EncodedUnit {
        var parts = nalUnits.filter { !$0.isEmpty && $0[0] & 0x1F != 9 && $0[0] & 0x1F != 12 }
        var parameters: CodecParameters?
        if isKeyFrame, let parameterSets {
            if !parts.contains(where: { $0[0] & 0x1F == 7 }) { parts.insert(contentsOf: [parameterSets.sps, parameterSets.pps], at: 0) }
            parameters = .h264(sps: parameterSets.sps, pps: parameterSets.pps)
        }
        return EncodedUnit(codec: .h264, parts: parts, instant: instant, isKeyFrame: isKeyFrame, duration: duration, parameters: parameters)
    }
}
