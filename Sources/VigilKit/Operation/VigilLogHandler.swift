#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging

/// Log lines for the journal: one line per event, `label: message key=value …`, the level as
/// a syslog priority prefix (`<6>`, sd-daemon(3)) when stderr is the journal
/// (`$JOURNAL_STREAM`), else with a timestamp and the level spelled out. The level is shared
/// by every logger and changes on reload (`[log] level`).
public struct VigilLogHandler: LogHandler {
    private static let shared = LevelBox()
    /// The level every handler of the process logs at.
    public static var level: Logger.Level {
        get { shared.value }
        set { shared.value = newValue }
    }

    public let label: String
    public var metadata: Logger.Metadata = [:]
    let journal: Bool

    public init(label: String, journal: Bool = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] != nil) {
        self.label = label
        self.journal = journal
    }

    public var logLevel: Logger.Level {
        get { Self.level }
        set { Self.level = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var line = journal ? "<\(Self.priority(event.level))>" : "\(Self.timestamp()) \(event.level.rawValue.uppercased()) "
        line += "\(label): \(event.message)"
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        for key in merged.keys.sorted() {
            let value = "\(merged[key]!)"
            line += value.contains(" ") || value.isEmpty ? " \(key)=\"\(value)\"" : " \(key)=\(value)"
        }
        // One write per event, so lines from several threads never interleave; newlines
        // inside a message would split the event in the journal.
        line = line.replacingOccurrences(of: "\n", with: " ⏎ ") + "\n"
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { raw in
            _ = write(STDERR_FILENO, raw.baseAddress, raw.count)
        }
    }

    /// syslog(3) priorities, as journald reads them.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var time = now.tv_sec
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec, Int(now.tv_nsec / 1_000_000))
    }

    private final class LevelBox: @unchecked Sendable {
        private let lock = NSLock()
        private var _value: Logger.Level = .info
        var value: Logger.Level {
            get { lock.withLock { _value } }
            set { lock.withLock { _value = newValue } }
        }
    }
}
