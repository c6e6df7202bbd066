import Foundation

/// The two times access control reads, injected so tests drive them.
public protocol AccessClock: Sendable {
    /// Time since a fixed origin on a clock that never steps: nonce ages and back-off.
    func monotonicNow() -> Duration
    /// Wall-clock time: token lifetimes, which outlive the process.
    func wallClockNow() -> Date
}

/// The real clocks: `ContinuousClock` from the moment of creation, and `Date()`.
public struct SystemAccessClock: AccessClock {
    private let origin: ContinuousClock.Instant

    public init() { origin = .now }

    public func monotonicNow() -> Duration { ContinuousClock.now - origin }
    public func wallClockNow() -> Date { Date() }
}
