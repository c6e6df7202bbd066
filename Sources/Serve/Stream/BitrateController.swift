/// Fits the shared encoder's bitrate to what the viewers' paths carry, from their RTCP
/// receiver reports (RFC 3550 §6.4.2: fraction lost, interarrival jitter).
///
/// A value with no clock and no I/O: the hub feeds it reports and asks it for a decision
/// once a second, so every rule is tested on recorded report sequences.
///
/// Policy (default): each viewer has an estimate of what its path carries. Loss above 2 %
/// means the path delivers `rate × (1 − loss)`: the estimate drops 5 % below that, and that
/// delivered rate becomes the viewer's ceiling for a while. Loss under 2 % with jitter not
/// growing raises the estimate by 8 %, but not past 97 % of a recent ceiling, so the rate
/// settles just under a bottleneck instead of bouncing off it (the loss-based half of
/// Google Congestion Control, draft-ietf-rmcat-gcc §6, made to settle). The stream follows the **median** viewer, so one bad viewer cannot starve the rest;
/// a viewer whose estimate is below half of the stream's rate falls back to key frames only.
/// Changes smaller than 5 % are ignored, and a change waits two seconds after the last one
/// (hysteresis: x264 needs a moment to settle at a new rate before reports mean anything).
public struct BitrateController: Sendable {
    /// Whose path the shared encoder follows.
    public enum Policy: String, Sendable, Hashable, CaseIterable {
        /// The median viewer: one bad path cannot starve the rest; it gets key frames only.
        case median
        /// The worst viewer: nobody loses pictures, everybody gets its rate.
        case lowest
    }

    public struct Configuration: Sendable, Hashable {
        public var minimumKbps: Int
        public var maximumKbps: Int
        public var policy = Policy.median
        public var lowLoss = 0.02
        /// How long a ceiling learnt from loss holds probing back, in seconds.
        public var ceilingLifetime = 30.0
        public var increase = 0.08
        public var hold = 2.0
        public var smallestChange = 0.05
        public var keyFramesOnlyBelow = 0.5

        public init(minimumKbps: Int, maximumKbps: Int) {
            self.minimumKbps = minimumKbps
            self.maximumKbps = maximumKbps
        }
    }

    public struct Decision: Sendable, Hashable {
        public var kbps: Int
        public var reason: String
    }

    public let configuration: Configuration
    public private(set) var currentKbps: Int
    /// The rate before the last change: reports that arrive within `hold` of a change mostly
    /// describe packets sent at it.
    private var previousKbps: Int
    private var estimates: [String: Double] = [:]
    private var lastJitter: [String: Double] = [:]
    private var ceilings: [String: (kbps: Double, until: Double)] = [:]
    private var lastChange = -Double.infinity

    public init(configuration: Configuration, startKbps: Int) {
        self.configuration = configuration
        self.currentKbps = min(max(startKbps, configuration.minimumKbps), configuration.maximumKbps)
        self.previousKbps = currentKbps
    }

    /// One receiver report from `viewer` at `now` (seconds): loss as a fraction of 1, jitter
    /// in seconds.
    public mutating func observe(viewer: String, fractionLost: Double, jitterSeconds: Double, now: Double = 0) {
        var estimate = estimates[viewer] ?? Double(currentKbps)
        let previousJitter = lastJitter[viewer] ?? jitterSeconds
        let jitterGrowing = jitterSeconds > previousJitter * 1.5 + 0.005
        if fractionLost > configuration.lowLoss {
            // A report covers the seconds before it: just after a change, the loss it counts
            // happened at the old rate, and charging it to the new one would overshoot down.
            let sentAt = now - lastChange < configuration.hold ? max(previousKbps, currentKbps) : currentKbps
            let delivered = Double(sentAt) * (1 - fractionLost)
            estimate = min(estimate, delivered * 0.95)
            ceilings[viewer] = (delivered, now + configuration.ceilingLifetime)
        } else if !jitterGrowing {
            // Probe upwards from what is being sent, not from an old estimate far above it.
            estimate = min(estimate, Double(currentKbps)) * (1 + configuration.increase)
            if let ceiling = ceilings[viewer], ceiling.until > now {
                estimate = min(estimate, max(ceiling.kbps * 0.97, min(estimate, Double(currentKbps))))
            }
        }
        estimates[viewer] = min(max(estimate, Double(configuration.minimumKbps) / 2), Double(configuration.maximumKbps))
        lastJitter[viewer] = jitterSeconds
    }

    public mutating func forget(viewer: String) {
        estimates[viewer] = nil
        lastJitter[viewer] = nil
        ceilings[viewer] = nil
    }

    /// The followed viewer's estimate (per the policy), clamped to the configured bounds.
    public var target: Int? {
        guard !estimates.isEmpty else { return nil }
        let sorted = estimates.values.sorted()
        let followed: Double
        switch configuration.policy {
        case .median:
            followed = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        case .lowest:
            followed = sorted[0]
        }
        return min(max(Int(followed), configuration.minimumKbps), configuration.maximumKbps)
    }

    /// Viewers whose path carries less than half of the stream: they get key frames only.
    public var keyFramesOnly: Set<String> {
        guard configuration.policy == .median else { return [] }
        let limit = Double(currentKbps) * configuration.keyFramesOnlyBelow
        return Set(estimates.filter { $0.value < limit }.map(\.key))
    }

    /// A new bitrate when the median viewer's estimate has moved enough, and long enough after
    /// the last change; nil otherwise. `now` in seconds on any monotonic scale.
    public mutating func decide(now: Double) -> Decision? {
        guard let target, now - lastChange >= configuration.hold else { return nil }
        let change = Double(target - currentKbps) / Double(currentKbps)
        let atBound = target == configuration.maximumKbps || target == configuration.minimumKbps
        guard abs(change) >= configuration.smallestChange || (atBound && target != currentKbps) else { return nil }
        let worst = estimates.values.min() ?? 0
        let reason = change < 0
            ? "\(configuration.policy == .median ? "median" : "lowest") viewer path carries about \(target) kbit/s (lossiest viewer ≈ \(Int(worst)) kbit/s)"
            : "viewers report no loss: probing up to \(target) kbit/s"
        previousKbps = currentKbps
        currentKbps = target
        lastChange = now
        return Decision(kbps: target, reason: reason)
    }
}
