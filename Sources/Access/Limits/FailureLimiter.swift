/// Back-off per address after repeated authentication failures.
///
/// `threshold` failures within `window` from one address start a *burst*: the address is
/// refused for `initialBackOff`, and every further failure once a back-off has run out refuses
/// it for twice as long as the last, up to `maximumBackOff` (1 s, 2 s, 4 s … 60 s). A success
/// ends the burst and forgets the address; so does a quiet `window` after the last back-off.
/// `recordFailure` says when a burst starts, so the caller logs once per burst, with the
/// address, and not once per failure.
///
/// Addresses are grouped the way networks hand them out: an IPv4 address (or an IPv4-mapped
/// IPv6 one) alone, an IPv6 address by its /64, since one host usually holds a whole /64.
///
/// Memory is bounded: at most `capacity` groups. When a new one arrives and the table is full,
/// groups that have gone quiet are dropped first, then the one whose last failure is oldest.
/// An attacker spread over more than `capacity` groups can so push a blocked one out; this
/// slows a guesser at one address, it is not a defence against a botnet.
///
/// Time is a monotonic `Duration` from the caller's clock, so tests drive it.
public struct FailureLimiter: Sendable {
    public struct Configuration: Hashable, Sendable {
        /// Failures within `window` that start a burst. Five forgives a few typos.
        public var threshold: Int
        public var window: Duration
        public var initialBackOff: Duration
        public var maximumBackOff: Duration
        /// Address groups tracked at once; about 100 bytes each.
        public var capacity: Int

        public init(
            threshold: Int = 5, window: Duration = .seconds(60), initialBackOff: Duration = .seconds(1),
            maximumBackOff: Duration = .seconds(60), capacity: Int = 1024
        ) {
            precondition(threshold > 0 && capacity > 0, "a failure limiter needs a positive threshold and capacity")
            precondition(window > .zero && initialBackOff > .zero && maximumBackOff >= initialBackOff, "back-off durations must be positive and ordered")
            self.threshold = threshold
            self.window = window
            self.initialBackOff = initialBackOff
            self.maximumBackOff = maximumBackOff
            self.capacity = capacity
        }
    }

    /// What one failure did.
    public struct Failure: Hashable, Sendable {
        /// This failure started a burst: log it, once, with the address.
        public var startedBurst: Bool
        /// The address is now refused for this long (nil: not yet at the threshold).
        public var backOff: Duration?
    }

    public let configuration: Configuration
    private var entries: [AddressGroup: Entry] = [:]

    private struct AddressGroup: Hashable {
        var bytes: [UInt8]

        init(_ address: IPAddress) {
            let address = address.unmapped
            bytes = address.isIPv4 ? address.bytes : Array(address.bytes.prefix(8))
        }
    }

    private struct Entry {
        var windowStart: Duration
        var failures: Int
        var lastFailure: Duration
        /// Set once the threshold is reached: the burst is on.
        var blockedUntil: Duration?
        var lastBackOff: Duration = .zero
    }

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// How long `address` must still wait, or nil when it may try now.
    public func retryAfter(for address: IPAddress, now: Duration) -> Duration? {
        guard let entry = entries[AddressGroup(address)], let until = entry.blockedUntil, now < until else { return nil }
        return until - now
    }

    public mutating func recordFailure(from address: IPAddress, now: Duration) -> Failure {
        let group = AddressGroup(address)
        var entry: Entry
        if let existing = entries[group], !isQuiet(existing, now: now) {
            entry = existing
        } else {
            if entries[group] == nil, entries.count >= configuration.capacity { makeRoom(now: now) }
            entry = Entry(windowStart: now, failures: 0, lastFailure: now)
        }
        defer {
            entry.lastFailure = now
            entries[group] = entry
        }
        if let until = entry.blockedUntil {
            // In a burst. A failure during a back-off (the caller should have refused it
            // unchecked) does not lengthen it; the first one after it doubles it.
            guard now >= until else { return Failure(startedBurst: false, backOff: nil) }
            let next = min(entry.lastBackOff * 2, configuration.maximumBackOff)
            entry.lastBackOff = next
            entry.blockedUntil = now + next
            return Failure(startedBurst: false, backOff: next)
        }
        if now - entry.windowStart > configuration.window {
            entry.windowStart = now
            entry.failures = 0
        }
        entry.failures += 1
        guard entry.failures >= configuration.threshold else { return Failure(startedBurst: false, backOff: nil) }
        entry.lastBackOff = configuration.initialBackOff
        entry.blockedUntil = now + configuration.initialBackOff
        return Failure(startedBurst: true, backOff: configuration.initialBackOff)
    }

    /// A success from `address`: its burst, if any, is over.
    public mutating func recordSuccess(from address: IPAddress) {
        entries[AddressGroup(address)] = nil
    }

    /// Address groups tracked now.
    public var trackedCount: Int { entries.count }

    /// An entry that no longer matters: outside its window and not in a burst, or a window past
    /// the end of its last back-off.
    private func isQuiet(_ entry: Entry, now: Duration) -> Bool {
        if let until = entry.blockedUntil { return now - until > configuration.window }
        return now - entry.windowStart > configuration.window
    }

    private mutating func makeRoom(now: Duration) {
        entries = entries.filter { !isQuiet($0.value, now: now) }
        guard entries.count >= configuration.capacity,
              let oldest = entries.min(by: { $0.value.lastFailure < $1.value.lastFailure })
        else { return }
        entries[oldest.key] = nil
    }
}
