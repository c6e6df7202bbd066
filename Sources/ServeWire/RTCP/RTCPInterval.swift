/// The RTCP transmission interval — RFC 3550 §6.3.1 and Appendix A.7, deterministic: the caller
/// supplies the random draw, so tests need no randomness and this file reads no clock.
public enum RTCPInterval {
    /// §6.2: "the recommended value for a fixed minimum interval is 5 seconds".
    public static let defaultMinimumInterval = 5.0
    /// §6.2: "the recommended value for the reduced minimum in seconds is 360 divided by the
    /// session bandwidth in kilobits/second" — 0.17 s for a 2 Mbit/s stream, so a viewer
    /// that joins learns the NTP↔RTP mapping (and its RTT) within a fraction of a second.
    public static func reducedMinimumInterval(sessionBandwidthKbps: Int) -> Double {
        min(defaultMinimumInterval, 360 / Double(max(1, sessionBandwidthKbps)))
    }

    /// §6.2: senders share 1/4 of the RTCP bandwidth when they are at most 1/4 of the members.
    static let senderBandwidthFraction = 0.25
    static let receiverBandwidthFraction = 1 - senderBandwidthFraction
    /// §6.3.1: randomizing to [0.5, 1.5) × the interval makes the average too short because of
    /// timer reconsideration; dividing by e − 3/2 ≈ 1.21828 compensates.
    static let compensation = 2.718_281_828_459_045 - 1.5

    /// Seconds until the next RTCP packet, already randomized and compensated.
    ///
    /// - Parameters:
    ///   - members: session members, including us.
    ///   - senders: members that sent RTP since the last report, including us if `weSent`.
    ///   - rtcpBandwidth: octets per second for RTCP (usually 5% of the session bandwidth);
    ///     zero or less means "as slow as allowed", the minimum interval.
    ///   - averageRTCPSize: average compound RTCP packet size in octets, lower-layer headers included.
    ///   - initial: true before the first RTCP packet: the minimum is halved (§6.2).
    ///   - randomUnit: a uniform draw in [0, 1), clamped into that range.
    public static func compute(
        members: Int, senders: Int, rtcpBandwidth: Double, weSent: Bool, averageRTCPSize: Double, initial: Bool,
        randomUnit: Double, minimumInterval: Double = defaultMinimumInterval
    ) -> Double {
        let minimum = initial ? minimumInterval / 2 : minimumInterval
        var bandwidth = rtcpBandwidth
        var n = Double(members)
        if Double(senders) <= Double(members) * senderBandwidthFraction {
            if weSent {
                bandwidth *= senderBandwidthFraction
                n = Double(senders)
            } else {
                bandwidth *= receiverBandwidthFraction
                n -= Double(senders)
            }
        }
        var interval = bandwidth > 0 ? averageRTCPSize * n / bandwidth : minimum
        if !(interval >= minimum) { interval = minimum }  // also catches NaN
        let unit = min(max(randomUnit, 0), 1.0.nextDown)
        return interval * (unit + 0.5) / compensation
    }
}
