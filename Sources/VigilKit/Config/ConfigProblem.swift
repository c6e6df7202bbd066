/// One thing wrong with a config file: which key, on which line, and what is allowed.
public struct ConfigProblem: Sendable, Hashable, CustomStringConvertible {
    /// 1-based; nil when the problem is about something missing from the file.
    public var line: Int?
    /// The dotted key as written in the file (`stream.video.fps`), or the table (`stream`).
    public var key: String
    public var message: String

    public init(line: Int?, key: String, message: String) {
        self.line = line
        self.key = key
        self.message = message
    }

    public var description: String {
        let place = line.map { "line \($0): " } ?? ""
        return key.isEmpty ? "\(place)\(message)" : "\(place)\(key): \(message)"
    }
}

/// A config file that cannot be used, with every problem in it (not just the first).
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var path: String?
    public var problems: [ConfigProblem]

    public init(path: String?, problems: [ConfigProblem]) {
        self.path = path
        self.problems = problems
    }

    /// One problem per line, each prefixed with the file (`vigil.toml:12: stream.video.fps: …`).
    public var description: String {
        problems.map { problem in
            let file = path ?? "config"
            let place = problem.line.map { "\(file):\($0)" } ?? file
            return problem.key.isEmpty ? "\(place): \(problem.message)" : "\(place): \(problem.key): \(problem.message)"
        }.joined(separator: "\n")
    }
}
