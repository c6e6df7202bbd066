import MediaCore

/// Turns a V4L2 buffer's timestamp into a media instant (V4L2 spec, "Buffers": the
/// timestamp flags say which clock stamped it).
public enum TimestampMapping {
    /// V4L2_BUF_FLAG_TIMESTAMP_MASK and its values.
    static let mask: UInt32 = 0x0000_E000
    static let monotonic: UInt32 = 0x0000_2000
    static let copy: UInt32 = 0x0000_4000

    public enum Source: String, Sendable {
        /// The driver stamped the buffer on CLOCK_MONOTONIC when it captured it.
        case driver
        /// The driver gave no usable time; the dequeue time stands in (later than capture).
        case dequeue
    }

    /// The capture instant of a buffer: the driver's monotonic stamp when there is one, else
    /// `dequeuedAt`.
    public static func instant(flags: UInt32, seconds: Int, microseconds: Int, dequeuedAt: MediaInstant) -> (MediaInstant, Source) {
        let stamped = Int64(seconds) * 1_000_000_000 + Int64(microseconds) * 1_000
        if flags & mask == monotonic && stamped > 0 {
            return (MediaInstant(nanoseconds: stamped), .driver)
        }
        return (dequeuedAt, .dequeue)
    }

    /// Pictures the driver skipped between two dequeued buffers, from their sequence numbers.
    public static func dropped(previous: UInt32?, current: UInt32) -> UInt64 {
        guard let previous else { return 0 }
        let gap = current &- previous
        return gap > 0 && gap < 1 << 31 ? UInt64(gap - 1) : 0
    }
}
