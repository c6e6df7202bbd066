import MediaCore

/// How a live media playlist names and times its resources; the live window renders into
/// a `MediaPlaylist` through it.
public struct LivePlaylist: Sendable, Hashable {
    /// `EXT-X-TARGETDURATION`: the longest segment rounded up (the key-frame interval, or the
    /// configured segment length when that is longer).
    public var targetDuration: Int
    /// `PART-TARGET`, seconds.
    public var partTarget: Double
    /// Segments at the end that list their parts (the one being made and the two before it:
    /// more than the three part targets a player holds back).
    public var segmentsWithParts = 3

    public init(targetDuration: Int, partTarget: Double) {
        self.targetDuration = targetDuration
        self.partTarget = partTarget
    }

    /// `PART-HOLD-BACK`: three part targets, as RFC 8216bis §4.4.3.8 recommends (at least two).
    public var partHoldBack: Double { 3 * partTarget }

    public static func mapName(_ number: Int) -> String { "init-\(number).mp4" }
    public static func segmentName(_ sequence: Int) -> String { "seg-\(sequence).m4s" }
    public static func partName(_ sequence: Int, _ index: Int) -> String { "part-\(sequence).\(index).m4s" }

    /// A resource name back to what it names.
    public enum Resource: Sendable, Hashable {
        case map(Int)
        case segment(Int)
        case part(Int, Int)
    }

    public static func resource(named name: String) -> Resource? {
        func number(_ text: Substring) -> Int? {
            guard !text.isEmpty, text.count <= 9, text.allSatisfy(\.isASCII), let value = Int(text), value >= 0 else { return nil }
            return value
        }
        if name.hasPrefix("init-"), name.hasSuffix(".mp4") {
            return number(name.dropFirst(5).dropLast(4)).map(Resource.map)
        }
        if name.hasPrefix("seg-"), name.hasSuffix(".m4s") {
            return number(name.dropFirst(4).dropLast(4)).map(Resource.segment)
        }
        if name.hasPrefix("part-"), name.hasSuffix(".m4s") {
            let body = name.dropFirst(5).dropLast(4)
            let fields = body.split(separator: ".", omittingEmptySubsequences: false)
            guard fields.count == 2, let sequence = number(fields[0]), let index = number(fields[1]) else { return nil }
            return .part(sequence, index)
        }
        return nil
    }

    /// The playlist of `window` as it is now; `query` (e.g. `?s=…`) follows every URI.
    public func render(_ window: LiveSegments, query: String) -> MediaPlaylist {
        var playlist = MediaPlaylist(version: 9, targetDuration: targetDuration, mediaSequence: window.segments.first?.sequence ?? 0)
        playlist.partTarget = partTarget
        playlist.partHoldBack = partHoldBack
        playlist.canBlockReload = true
        let withParts = window.segments.count - segmentsWithParts
        var map: Int?
        for (offset, segment) in window.segments.enumerated() {
            if segment.map != map {
                map = segment.map
                playlist.entries.append(.map(uri: Self.mapName(segment.map) + query, range: nil))
            }
            playlist.entries.append(.programDateTime(nanoseconds: segment.wallClockNanoseconds))
            if offset >= withParts || !segment.isComplete {
                for (index, part) in segment.parts.enumerated() {
                    playlist.entries.append(.part(
                        duration: part.duration.seconds, uri: Self.partName(segment.sequence, index) + query,
                        independent: part.independent))
                }
            }
            if let duration = segment.duration {
                playlist.entries.append(.segment(duration: duration.seconds, uri: Self.segmentName(segment.sequence) + query, range: nil))
            }
        }
        if let last = window.segments.last {
            let next = last.isComplete ? (window.upcomingSequence, 0) : (last.sequence, last.parts.count)
            playlist.entries.append(.preloadHint(uri: Self.partName(next.0, next.1) + query))
        }
        return playlist
    }
}
