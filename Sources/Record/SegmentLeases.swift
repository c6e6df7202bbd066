import Synchronization

/// Segment files in use — being written, or being read by a clip download — which the
/// retention cleaner must not delete. Shared by the recorders, the cleaner and the API.
public final class SegmentLeases: Sendable {
    private let holders = Mutex<[String: Int]>([:])

    public init() {}

    /// Marks `file` in use until the matching `release`.
    public func hold(_ file: String) {
        holders.withLock { $0[file, default: 0] += 1 }
    }

    public func release(_ file: String) {
        holders.withLock { map in
            if let count = map[file], count > 1 { map[file] = count - 1 } else { map[file] = nil }
        }
    }

    public func isHeld(_ file: String) -> Bool { holders.withLock { $0[file] != nil } }

    /// Runs `body` with every file of `files` held.
    public func holding<T>(_ files: [String], _ body: () async throws -> T) async rethrows -> T {
        for file in files { hold(file) }
        defer { for file in files { release(file) } }
        return try await body()
    }
}
