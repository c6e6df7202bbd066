import Access
import Foundation

/// Access control's clocks for tests: real monotonic time (nonces, back-off), and a wall
/// clock (token lifetimes) that moves only when the test says so.
final class ManualAccessClock: AccessClock, @unchecked Sendable {
    private let origin = ContinuousClock.now
    // LockedBox guards the date; that is what makes the class Sendable.
    private let wall: LockedBox<Date>

    init(_ start: Date = Date()) { wall = LockedBox(start) }

    func monotonicNow() -> Duration { ContinuousClock.now - origin }
    func wallClockNow() -> Date { wall.value }
    func advance(seconds: Double) { wall.mutate { $0 += seconds } }
}
