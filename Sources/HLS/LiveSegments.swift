import MediaCore
import NIOCore
import Record

/// One part of a live segment: one fMP4 fragment (`moof` + `mdat`), as the recorder's
/// muxer cut it.
public struct HLSPart: Sendable {
    public var duration: MediaDuration
    /// The part starts with a key frame (the first part of each segment).
    public var independent: Bool
    public var bytes: ByteBuffer
}

/// One live segment: parts from a key frame on, complete once the next key frame closed it.
public struct HLSSegment: Sendable {
    /// The media sequence number.
    public var sequence: Int
    /// Which initialization segment (`maps`) it follows.
    public var map: Int
    public var start: MediaInstant
    /// The wall-clock time of its first sample (`EXT-X-PROGRAM-DATE-TIME`).
    public var wallClockNanoseconds: Int64
    public var parts: [HLSPart] = []
    /// Set when the segment is complete.
    public var duration: MediaDuration?
    /// Its parts back to back, once complete: what a player of whole segments fetches.
    public var bytes = ByteBuffer()

    public var isComplete: Bool { duration != nil }
}

/// Where in the live playlist a blocking request wants to be (RFC 8216bis §6.2.5.2).
public enum HLSPosition: Sendable, Hashable {
    /// Segment `sequence` complete (`_HLS_msn` alone).
    case segment(Int)
    /// Part `part` of segment `sequence`, or anything later (`_HLS_msn` and `_HLS_part`).
    case part(Int, Int)
    /// The first complete segment: where a new playlist session starts.
    case firstSegment
}

/// The live window of an HLS stream, fed by the recorder's muxer (`SegmentWriter` with a
/// continuous timeline): segments in memory, each a list of parts, the newest `window`
/// complete ones kept and the one being made. Pure: no clock, no I/O, no locks.
public struct LiveSegments: Sendable {
    /// Complete segments kept (RFC 8216 §6.2.2: a live playlist keeps at least three
    /// target durations; players start three segments from the end).
    public let window: Int
    public let anchor: WallClockAnchor
    /// Initialization segments by number, the ones the kept segments follow.
    public private(set) var maps: [Int: ByteBuffer] = [:]
    public private(set) var segments: [HLSSegment] = []
    private var lastMap: (number: Int, bytes: ByteBuffer)?
    private var nextSequence = 0
    private var partStart: MediaInstant?
    /// Parts made since the start, for status.
    public private(set) var partsMade: UInt64 = 0

    public init(window: Int, anchor: WallClockAnchor, firstSequence: Int = 0) {
        self.window = max(3, window)
        self.anchor = anchor
        self.nextSequence = firstSequence
    }

    /// Takes what the muxer says; returns true when a part or segment became available.
    public mutating func apply(_ action: SegmentWriter.Action) -> Bool {
        switch action {
        case .open(let start, let initialization):
            let map: Int
            if let lastMap, lastMap.bytes == initialization {
                map = lastMap.number
            } else {
                map = (lastMap?.number ?? -1) + 1
                lastMap = (map, initialization)
                maps[map] = initialization
            }
            if let last = segments.last, !last.isComplete {
                // A segment the muxer abandoned (it never sends that, but the window must stay whole).
                segments.removeLast()
            }
            segments.append(HLSSegment(
                sequence: nextSequence, map: map, start: start, wallClockNanoseconds: anchor.wallClockNanoseconds(at: start)))
            nextSequence += 1
            partStart = start
            return false
        case .write(let fragment, let end):
            guard var segment = segments.last, !segment.isComplete, let begin = partStart else { return false }
            segment.parts.append(HLSPart(duration: end - begin, independent: segment.parts.isEmpty, bytes: fragment))
            segments[segments.count - 1] = segment
            partStart = end
            partsMade += 1
            return true
        case .close(let end):
            guard var segment = segments.last, !segment.isComplete else { return false }
            if segment.parts.isEmpty {
                segments.removeLast()
                return false
            }
            segment.duration = end - segment.start
            var bytes = ByteBuffer()
            bytes.reserveCapacity(segment.parts.reduce(0) { $0 + $1.bytes.readableBytes })
            for part in segment.parts { bytes.writeImmutableBuffer(part.bytes) }
            segment.bytes = bytes
            segments[segments.count - 1] = segment
            trim()
            return true
        }
    }

    private mutating func trim() {
        let complete = segments.count { $0.isComplete }
        if complete > window { segments.removeFirst(complete - window) }
        let used = Set(segments.map(\.map))
        maps = maps.filter { used.contains($0.key) }
    }

    public func segment(_ sequence: Int) -> HLSSegment? {
        guard let first = segments.first, sequence >= first.sequence, sequence - first.sequence < segments.count else { return nil }
        return segments[sequence - first.sequence]
    }

    public func part(_ sequence: Int, _ index: Int) -> HLSPart? {
        guard let segment = segment(sequence), index >= 0, index < segment.parts.count else { return nil }
        return segment.parts[index]
    }

    /// The newest part's place, if any.
    public var lastPart: (sequence: Int, part: Int)? {
        for segment in segments.reversed() where !segment.parts.isEmpty {
            return (segment.sequence, segment.parts.count - 1)
        }
        return nil
    }

    /// The newest complete segment's number.
    public var lastCompleteSegment: Int? { segments.last(where: \.isComplete)?.sequence }

    /// Whether the playlist now reaches `position`.
    public func reaches(_ position: HLSPosition) -> Bool {
        switch position {
        case .firstSegment:
            return lastCompleteSegment != nil
        case .segment(let sequence):
            return (lastCompleteSegment ?? -1) >= sequence
        case .part(let sequence, let index):
            guard let last = lastPart else { return false }
            if last.sequence != sequence { return last.sequence > sequence }
            return last.part >= index
        }
    }

    /// The next segment number the muxer will open.
    public var upcomingSequence: Int { nextSequence }
}
