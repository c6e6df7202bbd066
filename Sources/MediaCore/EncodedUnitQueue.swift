import Foundation

/// A consumer's own bounded queue of encoded units, between the encoder threads (which
/// never wait) and a consumer's thread (which may, on a disk for instance).
///
/// Encoded units depend on each other, so dropping the oldest one would leave undecodable
/// pictures behind it. When the queue fills, the consumer is **cut off** instead: everything
/// queued is discarded and counted, a `.gap` is queued, and nothing is taken again until the
/// next video key frame, from which decoding can restart. The encoders and the other
/// consumers never notice.
public final class EncodedUnitQueue: @unchecked Sendable {
    // @unchecked: every stored property is guarded by `condition`.
    public enum Event: Sendable {
        case unit(EncodedUnit, track: Int)
        /// Units were lost here (the queue overflowed); what follows starts at a key frame.
        case gap
    }

    private let condition = NSCondition()
    private var events: [Event] = []
    private var head = 0
    private var bytes = 0
    private var closed = false
    private var waitingForKeyFrame = false
    private var _cutOffs: UInt64 = 0
    private var _unitsLost: UInt64 = 0
    /// Most units held before a cut-off.
    public let capacity: Int
    /// Most encoded bytes held before a cut-off.
    public let byteCapacity: Int

    public init(capacity: Int, byteCapacity: Int) {
        precondition(capacity > 0 && byteCapacity > 0, "an encoded-unit queue needs room")
        self.capacity = capacity
        self.byteCapacity = byteCapacity
    }

    /// Times the consumer fell too far behind and was cut off.
    public var cutOffs: UInt64 { condition.withLock { _cutOffs } }
    /// Units discarded by cut-offs, or refused while waiting for a key frame after one.
    public var unitsLost: UInt64 { condition.withLock { _unitsLost } }

    /// Queues `unit` without blocking. Returns false if it was not taken (closed, cut off and
    /// waiting for a key frame, or cut off now).
    @discardableResult
    public func push(_ unit: EncodedUnit, track: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if closed { return false }
        if waitingForKeyFrame {
            guard unit.codec.isVideo && unit.isKeyFrame else {
                _unitsLost += 1
                return false
            }
            waitingForKeyFrame = false
        }
        if events.count - head >= capacity || bytes + unit.byteCount > byteCapacity {
            for event in events[head...] { if case .unit = event { _unitsLost += 1 } }
            _unitsLost += 1
            _cutOffs += 1
            events.removeAll(keepingCapacity: true)
            head = 0
            bytes = 0
            events.append(.gap)
            waitingForKeyFrame = !(unit.codec.isVideo && unit.isKeyFrame)
            if waitingForKeyFrame {
                condition.signal()
                return false
            }
        }
        events.append(.unit(unit, track: track))
        bytes += unit.byteCount
        condition.signal()
        return true
    }

    /// Takes the oldest event, blocking until one comes. Nil once closed and drained, or
    /// when `timeout` (seconds) passes with nothing to take.
    public func pop(timeout: Double? = nil) -> Event? {
        condition.lock()
        defer { condition.unlock() }
        let deadline = timeout.map { Date(timeIntervalSinceNow: $0) }
        while head == events.count && !closed {
            if let deadline {
                if !condition.wait(until: deadline) && head == events.count { return nil }
            } else {
                condition.wait()
            }
        }
        if head == events.count { return nil }
        let event = events[head]
        head += 1
        if case .unit(let unit, _) = event { bytes -= unit.byteCount }
        if head == events.count {
            events.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 256 && head * 2 > events.count {
            events.removeFirst(head)
            head = 0
        }
        return event
    }

    /// Refuses later pushes; pops drain what is left, then return nil.
    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
