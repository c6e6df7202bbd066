import Foundation
import GRDB

/// One recorded segment file, as the index knows it.
public struct RecordedSegment: Codable, FetchableRecord, Sendable, Hashable {
    public var id: Int64
    /// The stream's path (`live`, `cam/2`).
    public var stream: String
    /// The file's path.
    public var file: String
    /// Wall-clock time of its first picture (from the capture instant, through the same
    /// anchor the sender reports use), in nanoseconds since the Unix epoch.
    public var start: Int64
    /// Recorded media up to the last durable part, in nanoseconds.
    public var duration: Int64
    public var bytes: Int64
    /// False while it is being written (or after a crash, until the recovery scan closes it).
    public var complete: Bool

    public var end: Int64 { start + duration }
}

/// The recording index: which file holds which span of which stream, in SQLite through GRDB
/// (WAL; `DatabasePool`, so the API reads while a recorder writes). Media bytes never go
/// here; a lost index is rebuilt from the files by the recovery scan.
///
/// Writes are synchronous (the recorders and the cleaner call them from their own threads);
/// the HTTP API reads with `async` calls. Commits use `synchronous = NORMAL`: in WAL mode
/// that survives `kill -9`, and after a power cut the scan re-adds what a lost commit said.
public final class RecordingIndex: Sendable {
    /// The file's name under the state directory.
    public static let fileName = "recordings.sqlite"
    static let busyTimeout: TimeInterval = 5

    private let pool: DatabasePool

    public init(path: String) throws(RecordError) {
        do {
            var configuration = Configuration()
            configuration.label = "Vigil.Recordings"
            configuration.busyMode = .timeout(Self.busyTimeout)
            let pool = try DatabasePool(path: path, configuration: configuration)
            try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = NORMAL") }
            try Self.migrator.migrate(pool)
            self.pool = pool
        } catch {
            throw .index("cannot open \(path): \(error)")
        }
    }

    /// Opens an existing index for reading only (`vigil recordings`), beside a running daemon.
    public init(readingOnly path: String) throws(RecordError) {
        do {
            var configuration = Configuration()
            configuration.readonly = true
            configuration.busyMode = .timeout(Self.busyTimeout)
            self.pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw .index("cannot read \(path): \(error)")
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE segment (
                    id INTEGER PRIMARY KEY,
                    stream TEXT NOT NULL,
                    file TEXT NOT NULL UNIQUE,
                    start INTEGER NOT NULL,
                    duration INTEGER NOT NULL DEFAULT 0,
                    bytes INTEGER NOT NULL DEFAULT 0,
                    complete BOOLEAN NOT NULL DEFAULT 0
                );
                CREATE INDEX segment_by_stream_start ON segment (stream, start);
                """)
        }
        return migrator
    }

    private func write<T>(_ body: (Database) throws -> T) throws(RecordError) -> T {
        do { return try pool.write(body) } catch { throw .index("\(error)") }
    }

    private func read<T>(_ body: (Database) throws -> T) throws(RecordError) -> T {
        do { return try pool.read(body) } catch { throw .index("\(error)") }
    }

    /// Adds a segment that is being written (or one the scan found); returns its id.
    @discardableResult
    public func add(stream: String, file: String, start: Int64, duration: Int64 = 0, bytes: Int64 = 0, complete: Bool = false) throws(RecordError) -> Int64 {
        try write { db in
            try db.execute(
                sql: "INSERT INTO segment (stream, file, start, duration, bytes, complete) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [stream, file, start, duration, bytes, complete])
            return db.lastInsertedRowID
        }
    }

    /// Records what a segment holds now.
    public func update(id: Int64, duration: Int64, bytes: Int64, complete: Bool) throws(RecordError) {
        try write { db in
            try db.execute(
                sql: "UPDATE segment SET duration = ?, bytes = ?, complete = ? WHERE id = ?",
                arguments: [duration, bytes, complete, id])
        }
    }

    public func remove(id: Int64) throws(RecordError) {
        try write { db in try db.execute(sql: "DELETE FROM segment WHERE id = ?", arguments: [id]) }
    }

    /// Every segment of `stream`, oldest first.
    public func segments(stream: String) throws(RecordError) -> [RecordedSegment] {
        try read { db in
            try RecordedSegment.fetchAll(db, sql: "SELECT * FROM segment WHERE stream = ? ORDER BY start", arguments: [stream])
        }
    }

    static let overlapping = "SELECT * FROM segment WHERE stream = ? AND start < ? AND start + duration > ? ORDER BY start"

    /// The segments of `stream` that overlap [from, to), oldest first.
    public func segments(stream: String, from: Int64, to: Int64) throws(RecordError) -> [RecordedSegment] {
        try read { db in
            try RecordedSegment.fetchAll(
                db, sql: Self.overlapping,
                arguments: [stream, to, from])
        }
    }

    /// The same, without blocking the caller's thread (the HTTP API).
    public func segments(stream: String, from: Int64, to: Int64) async throws -> [RecordedSegment] {
        try await pool.read { db in
            try RecordedSegment.fetchAll(
                db, sql: Self.overlapping,
                arguments: [stream, to, from])
        }
    }

    /// Segment `id` of `stream`, if it is indexed (a VOD playlist's file request), without
    /// blocking the caller's thread.
    public func segment(id: Int64, stream: String) async throws -> RecordedSegment? {
        try await pool.read { db in
            try RecordedSegment.fetchOne(db, sql: "SELECT * FROM segment WHERE id = ? AND stream = ?", arguments: [id, stream])
        }
    }

    /// The stream names that have segments.
    public func streams() throws(RecordError) -> [String] {
        try read { db in try String.fetchAll(db, sql: "SELECT DISTINCT stream FROM segment ORDER BY stream") }
    }

    /// Bytes recorded for `stream`.
    public func totalBytes(stream: String) throws(RecordError) -> Int64 {
        try read { db in try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(bytes), 0) FROM segment WHERE stream = ?", arguments: [stream]) ?? 0 }
    }
}

/// Spans of continuous recording and the gaps between them, as the API and
/// `vigil recordings` show them.
public struct RecordingTimeline: Sendable, Hashable, Codable {
    public struct Span: Sendable, Hashable, Codable {
        /// Wall-clock nanoseconds since the Unix epoch.
        public var start: Int64
        public var end: Int64
        public var bytes: Int64
        public var segments: Int
    }

    public var spans: [Span]
    /// The holes between spans: [end of one, start of the next).
    public var gaps: [Span] {
        zip(spans, spans.dropFirst()).map { Span(start: $0.end, end: $1.start, bytes: 0, segments: 0) }
    }

    /// Segments closer than this count as one span: a new segment starts exactly where the
    /// last one ended, but the end of a segment closed by a stop is its last picture's end.
    public static let joinTolerance: Int64 = 250_000_000

    /// The timeline of `segments` (oldest first), clipped to [from, to).
    public init(segments: [RecordedSegment], from: Int64 = .min, to: Int64 = .max) {
        var spans: [Span] = []
        for segment in segments where segment.duration > 0 {
            let start = max(segment.start, from)
            let end = min(segment.end, to)
            guard end > start else { continue }
            if let last = spans.last, start - last.end <= Self.joinTolerance {
                spans[spans.count - 1].end = max(last.end, end)
                spans[spans.count - 1].bytes += segment.bytes
                spans[spans.count - 1].segments += 1
            } else {
                spans.append(Span(start: start, end: end, bytes: segment.bytes, segments: 1))
            }
        }
        self.spans = spans
    }
}
