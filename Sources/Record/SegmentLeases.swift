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

    /// Holds `files` until the returned lease is released or goes away, whichever comes first
    /// (a response body that is never written must not pin its files forever).
    public func lease(_ files: [String]) -> Lease {
        for file in files { hold(file) }
        return Lease(leases: self, files: files)
    }

    public final class Lease: Sendable {
        let leases: SegmentLeases
        let files: [String]
        private let released = Mutex(false)

        init(leases: SegmentLeases, files: [String]) {
            self.leases = leases
            self.files = files
        }

        public func release() {
            let first = released.withLock { done in
                defer { done = true }
                return !done
            }
            if first { for file in files { leases.release(file) } }
        }

        deinit { release() }
    }
}
