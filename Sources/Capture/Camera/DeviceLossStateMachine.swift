import MediaCore

/// A capture device's life as the stream sees it: streaming, or lost and being retried with
/// backoff. A value with no I/O: the capture thread reports what happened and carries out
/// the actions it gets back, so the logging rule — once per condition, not once per frame or
/// per retry — is tested without a device.
public struct DeviceLossStateMachine: Sendable, Hashable {
    public enum State: Sendable, Hashable {
        /// Not opened yet.
        case starting
        case streaming(since: MediaInstant)
        /// Gone since `since`; the next attempt is due at `nextAttempt`.
        case lost(since: MediaInstant, attempts: Int, nextAttempt: MediaInstant)
    }

    public enum Action: Sendable, Hashable {
        /// Log, once, that the device is unavailable and why (a placeholder is shown meanwhile).
        case reportLost(String)
        /// Log that the device is back, and after how long.
        case reportRecovered(after: MediaDuration)
    }

    /// Waits between attempts to reopen: quick at first (a replug takes a moment), then
    /// settling at five seconds so a camera that is gone for good costs nothing.
    public static let backoff: [MediaDuration] = [.milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(5)]

    public private(set) var state: State = .starting

    public init() {}

    public var isStreaming: Bool {
        if case .streaming = state { return true }
        return false
    }

    /// The device opened and streams.
    public mutating func opened(at now: MediaInstant) -> [Action] {
        defer { state = .streaming(since: now) }
        if case .lost(let since, _, _) = state {
            return [.reportRecovered(after: now - since)]
        }
        return []
    }

    /// Opening or streaming failed. The first failure of a condition is reported; retries
    /// that fail again are not.
    public mutating func failed(at now: MediaInstant, reason: String) -> [Action] {
        switch state {
        case .starting, .streaming:
            state = .lost(since: now, attempts: 1, nextAttempt: now + Self.backoff[0])
            return [.reportLost(reason)]
        case .lost(let since, let attempts, _):
            let wait = Self.backoff[min(attempts, Self.backoff.count - 1)]
            state = .lost(since: since, attempts: attempts + 1, nextAttempt: now + wait)
            return []
        }
    }

    /// Whether to try opening the device now.
    public func shouldAttempt(at now: MediaInstant) -> Bool {
        switch state {
        case .starting: return true
        case .streaming: return false
        case .lost(_, _, let next): return now >= next
        }
    }
}
