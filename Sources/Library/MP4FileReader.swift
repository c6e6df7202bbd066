import MediaCore

/// An MP4 file (progressive or fragmented) read as stored media.
public final class MP4FileReader: StoredMediaReader {
    public let tracks: [StoredTrack] = []
    public var timeline: StoredTimeline { .mediaTime }
    public var start: Int64 { 0 }
    public var end: Int64 { 0 }

    public init(path: String, name: String) throws(LibraryError) {
        throw .unreadable(name: name, reason: "MP4 files are not read yet")
    }

    public func seek(to instant: Int64) throws -> Int64? { nil }
    public func next() throws -> StoredUnit? { nil }
}
