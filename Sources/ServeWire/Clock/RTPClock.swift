import MediaCore

/// Maps capture instants on the media clock to one stream's RTP time:
/// `offset + (instant − epoch) × clockRate`, in exact integer arithmetic rounded to the
/// nearest tick, wrapping modulo 2³² like the RTP timestamp field (RFC 3550 §5.1).
///
/// Instants before `epoch` are fine: they map to earlier timestamps, wrapping below the offset.
/// The offset is an init parameter so the stream's random initial timestamp (RFC 3550 §5.1) is
/// drawn once by the composition root, never here.
public struct RTPClock: Hashable, Sendable {
    public let clockRate: Int
    public let timestampOffset: UInt32
    public let epoch: MediaInstant

    public init(clockRate: Int, timestampOffset: UInt32, epoch: MediaInstant) {
        precondition(clockRate > 0, "an RTP clock needs a positive rate")
        self.clockRate = clockRate
        self.timestampOffset = timestampOffset
        self.epoch = epoch
    }

    /// The RTP timestamp of a media instant.
    public func timestamp(at instant: MediaInstant) -> UInt32 {
        timestampOffset &+ UInt32(truncatingIfNeeded: ticks(since: instant))
    }

    /// The (NTP, RTP) pair for ONE media instant, for a sender report (RFC 3550 §6.4.1: "the
    /// same time as the NTP timestamp"). Both halves come from `instant`, never from "now", so
    /// the pair is exact however late the report is sent.
    public func senderReportTimes(at instant: MediaInstant, anchor: WallClockAnchor) -> (ntp: NTPTimestamp, rtp: UInt32) {
        let ntp = NTPTimestamp(unixNanoseconds: anchor.wallClockNanoseconds(at: instant))
        return (ntp, timestamp(at: instant))
    }

    /// Whole clock ticks from the epoch to `instant`, rounded to nearest.
    ///
    /// The elapsed time is split into whole seconds and a non-negative nanosecond remainder so
    /// that no product overflows: seconds × rate stays below 2⁶³ for ~3 × 10⁶ years at 90 kHz,
    /// and remainder × rate < 10⁹ × rate.
    private func ticks(since instant: MediaInstant) -> Int64 {
        let perSecond = NTPTimestamp.nanosecondsPerSecond
        let elapsed = instant.nanoseconds &- epoch.nanoseconds
        var wholeSeconds = elapsed / perSecond
        var remainder = elapsed % perSecond
        if remainder < 0 {
            wholeSeconds -= 1
            remainder += perSecond
        }
        let rate = Int64(clockRate)
        return wholeSeconds &* rate &+ (remainder * rate + perSecond / 2) / perSecond
    }
}
