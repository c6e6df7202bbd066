import Foundation
import Hummingbird
import MediaCore
import Record

/// The span a recordings request asks for: `start` and `end` as ISO 8601 instants
/// (`2026-12-02T03:00:00Z`, fractions and offsets allowed, or the basic form
/// `20261202T030000Z`), or `duration` (seconds, or `"90s"`, `"10m"`) after `start`. A
/// listing defaults to everything up to now; a clip needs `start`.
struct RecordingQuery: Equatable {
    var start: Int64
    var end: Int64

    struct Problem: Error, CustomStringConvertible, Equatable {
        var description: String
    }

    /// Longest text an instant may have (`2026-12-02T03:00:00.123456789+01:00` is 35).
    static let maximumInstantLength = 40

    static func parse(_ parameters: Parameters, now: Int64, clip: Bool) -> Result<RecordingQuery, Problem> {
        parse(start: parameters["start"].map(String.init), end: parameters["end"].map(String.init),
              duration: parameters["duration"].map(String.init), now: now, clip: clip)
    }

    static func parse(start: String?, end: String?, duration: String?, now: Int64, clip: Bool) -> Result<RecordingQuery, Problem> {
        var from: Int64 = 0
        if let start {
            guard let instant = instant(start) else { return .failure(Problem(description: "start must be an ISO 8601 instant like 2026-12-02T03:00:00Z, got \"\(start.prefix(64))\"")) }
            from = instant
        } else if clip {
            return .failure(Problem(description: "start is required for a clip (an ISO 8601 instant like 2026-12-02T03:00:00Z)"))
        }
        var to = clip ? now : Int64.max
        if let end, duration != nil {
            _ = end
            return .failure(Problem(description: "give end or duration, not both"))
        }
        if let end {
            guard let instant = instant(end) else { return .failure(Problem(description: "end must be an ISO 8601 instant like 2026-12-02T03:10:00Z, got \"\(end.prefix(64))\"")) }
            to = instant
        } else if let duration {
            guard let length = ConfigQuantity.duration(duration), length.nanoseconds > 0 else {
                return .failure(Problem(description: "duration must be seconds or a number with ms, s, m, h, got \"\(duration.prefix(64))\""))
            }
            let (sum, overflow) = from.addingReportingOverflow(length.nanoseconds)
            to = overflow ? .max : sum
        }
        guard to > from else { return .failure(Problem(description: "end must come after start")) }
        if clip && to - from > StatusAPI.longestClip {
            return .failure(Problem(description: "a clip may last at most 24 hours"))
        }
        return .success(RecordingQuery(start: from, end: to))
    }

    /// The parameters of a URL query string (`start=…&end=…`), percent-decoded; the first of
    /// each name wins.
    static func parameters(_ query: String?) -> [String: String] {
        var result: [String: String] = [:]
        for pair in (query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { continue }
            let name = String(parts[0])
            let value = String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(parts[1])
            if result[name] == nil { result[name] = value }
        }
        return result
    }

    /// Nanoseconds since the Unix epoch of an ISO 8601 instant with a zone (`Z` or an offset).
    static func instant(_ text: String) -> Int64? {
        guard text.count <= maximumInstantLength, text.allSatisfy({ $0.isASCII }) else { return nil }
        var text = text
        // The basic form (as in RTSP's clock= ranges) becomes the extended one.
        if text.count >= 16, text.dropFirst(8).first == "T", !text.contains("-"), !text.contains(":") {
            let characters = Array(text)
            guard characters.count >= 16 else { return nil }
            let date = String(characters[0..<8])
            let time = String(characters[9..<15])
            let rest = String(characters[15...])
            text = "\(date.prefix(4))-\(date.dropFirst(4).prefix(2))-\(date.suffix(2))T\(time.prefix(2)):\(time.dropFirst(2).prefix(2)):\(time.suffix(2))\(rest)"
        }
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        guard let date = plain.date(from: text) ?? withFraction.date(from: text) else { return nil }
        let seconds = date.timeIntervalSince1970
        guard seconds > 0, seconds < 1e10 else { return nil }
        return Int64((seconds * 1000).rounded()) * 1_000_000
    }
}

/// What `GET /api/v1/recordings/PATH` answers, and `vigil recordings PATH` prints.
struct RecordingListing: Codable, Equatable {
    struct Span: Codable, Equatable {
        var start: String
        var end: String
        var duration: Double
        var bytes: Int64?
    }

    var stream: String
    var spans: [Span]
    var gaps: [Span]
    var bytes: Int64

    init(stream: String, from: Int64, to: Int64, segments: [RecordedSegment]) {
        let timeline = RecordingTimeline(segments: segments, from: from, to: to)
        self.stream = stream
        self.spans = timeline.spans.map { Span(start: Self.iso($0.start), end: Self.iso($0.end), duration: Double($0.end - $0.start) / 1e9, bytes: $0.bytes) }
        self.gaps = timeline.gaps.map { Span(start: Self.iso($0.start), end: Self.iso($0.end), duration: Double($0.end - $0.start) / 1e9, bytes: nil) }
        self.bytes = timeline.spans.reduce(0) { $0 + $1.bytes }
    }

    static func iso(_ nanoseconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(nanoseconds / 1_000_000) / 1000))
    }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return encoder
    }
}

/// `vigil recordings PATH`: what the index under the configured state directory holds for a
/// stream, read beside a running daemon (the index is opened read-only).
public func listRecordings(
    settings: VigilSettings, stream: String, start: String? = nil, end: String? = nil, json: Bool,
    environment: [String: String] = ProcessInfo.processInfo.environment
) throws -> String {
    let directory = settings.access.resolvedStateDirectory(environment: environment)
    let path = (directory as NSString).appendingPathComponent(RecordingIndex.fileName)
    guard FileManager.default.fileExists(atPath: path) else {
        throw VigilStartupError(description: "no recording index at \(path): nothing has been recorded with this state directory")
    }
    let query: RecordingQuery
    switch RecordingQuery.parse(start: start, end: end, duration: nil, now: MediaClock.wallClockNanoseconds(), clip: false) {
    case .success(let parsed): query = parsed
    case .failure(let problem): throw VigilStartupError(description: problem.description)
    }
    let index = try RecordingIndex(readingOnly: path)
    let segments = try index.segments(stream: stream, from: query.start, to: query.end)
    let listing = RecordingListing(stream: stream, from: query.start, to: query.end, segments: segments)
    if json { return String(decoding: try RecordingListing.encoder.encode(listing), as: UTF8.self) }
    guard !listing.spans.isEmpty else { return "\(stream): nothing recorded" }
    var lines = ["\(stream): \(listing.spans.count) span\(listing.spans.count == 1 ? "" : "s"), \(listing.bytes) bytes"]
    for span in listing.spans {
        lines.append("  \(span.start) – \(span.end)  \(String(format: "%.1f", span.duration)) s  \(span.bytes ?? 0) bytes")
    }
    for gap in listing.gaps {
        lines.append("  gap \(gap.start) – \(gap.end)  \(String(format: "%.1f", gap.duration)) s")
    }
    return lines.joined(separator: "\n")
}

