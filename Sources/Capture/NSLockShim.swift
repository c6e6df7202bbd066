import Foundation

/// A lock with a closure form, for the small counters sources keep.
struct NSLockShim: @unchecked Sendable {
    private let lock = NSLock()
    func with<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
