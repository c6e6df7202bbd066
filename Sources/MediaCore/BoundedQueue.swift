import Foundation

/// A blocking hand-off between two threads that holds at most `capacity` items.
///
/// When it is full, `push` drops the **oldest** item and counts it: a camera frame that the
/// encoder could not take in time is worth less than the one just captured. Used between
/// capture threads and encoder threads; never for encoded units, which are promised.
public final class BoundedQueue<Element: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Element] = []
    private var head = 0
    private var closed = false
    private var _dropped: UInt64 = 0
    private var _pushed: UInt64 = 0
    public let capacity: Int

    public init(capacity: Int) {
        precondition(capacity > 0, "a bounded queue needs room for at least one item")
        self.capacity = capacity
    }

    /// Items dropped because the queue was full.
    public var dropped: UInt64 {
        condition.lock()
        defer { condition.unlock() }
        return _dropped
    }

    /// Items accepted since the start (dropped ones included).
    public var pushed: UInt64 {
        condition.lock()
        defer { condition.unlock() }
        return _pushed
    }

    /// Adds an item, dropping the oldest if full. Returns false if the queue is closed.
    @discardableResult
    public func push(_ item: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if closed { return false }
        _pushed += 1
        if items.count - head >= capacity {
            head += 1
            _dropped += 1
        }
        items.append(item)
        if head > 64 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        condition.signal()
        return true
    }

    /// Takes the oldest item, blocking until one arrives. Returns nil once the queue is
    /// closed and empty, or when `timeout` passes with nothing to take.
    public func pop(timeout: Double? = nil) -> Element? {
        condition.lock()
        defer { condition.unlock() }
        let deadline = timeout.map { Date(timeIntervalSinceNow: $0) }
        while head == items.count && !closed {
            if let deadline {
                if !condition.wait(until: deadline) { return nil }
            } else {
                condition.wait()
            }
        }
        if head == items.count { return nil }
        let item = items[head]
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        }
        return item
    }

    /// Wakes every waiter; later pushes are refused and pops drain what is left.
    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
