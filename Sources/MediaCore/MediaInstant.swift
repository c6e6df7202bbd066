#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An instant on the media clock: CLOCK_MONOTONIC, in nanoseconds.
///
/// Every captured frame and audio chunk carries the instant it was captured, and that instant
/// travels unchanged through encoding to the RTP clock of its stream. V4L2 and ALSA can both
/// stamp buffers on CLOCK_MONOTONIC, so camera and microphone share one timeline.
public struct MediaInstant: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Nanoseconds since an unspecified point (the system's monotonic clock origin).
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    public static func < (lhs: MediaInstant, rhs: MediaInstant) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }

    public static func + (lhs: MediaInstant, rhs: MediaDuration) -> MediaInstant {
        MediaInstant(nanoseconds: lhs.nanoseconds + rhs.nanoseconds)
    }

    public static func - (lhs: MediaInstant, rhs: MediaDuration) -> MediaInstant {
        MediaInstant(nanoseconds: lhs.nanoseconds - rhs.nanoseconds)
    }

    public static func - (lhs: MediaInstant, rhs: MediaInstant) -> MediaDuration {
        MediaDuration(nanoseconds: lhs.nanoseconds - rhs.nanoseconds)
    }

    public var description: String { "\(Double(nanoseconds) / 1e9)s" }
}

/// A signed span of media-clock time, in nanoseconds.
public struct MediaDuration: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    public static func seconds(_ s: Double) -> MediaDuration { MediaDuration(nanoseconds: Int64(s * 1e9)) }
    public static func milliseconds(_ ms: Int64) -> MediaDuration { MediaDuration(nanoseconds: ms * 1_000_000) }
    public static func microseconds(_ us: Int64) -> MediaDuration { MediaDuration(nanoseconds: us * 1_000) }

    public var seconds: Double { Double(nanoseconds) / 1e9 }

    public static func < (lhs: MediaDuration, rhs: MediaDuration) -> Bool { lhs.nanoseconds < rhs.nanoseconds }
    public static func + (lhs: MediaDuration, rhs: MediaDuration) -> MediaDuration {
        MediaDuration(nanoseconds: lhs.nanoseconds + rhs.nanoseconds)
    }
    public static func * (lhs: MediaDuration, rhs: Int64) -> MediaDuration {
        MediaDuration(nanoseconds: lhs.nanoseconds * rhs)
    }

    public var description: String { "\(seconds)s" }
}

/// The media clock itself, and the one place that reads it.
public enum MediaClock {
    /// The current instant on CLOCK_MONOTONIC.
    public static func now() -> MediaInstant {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return MediaInstant(nanoseconds: Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec))
    }

    /// Nanoseconds since the Unix epoch on CLOCK_REALTIME (the wall clock that RTCP's NTP
    /// timestamps are drawn from).
    public static func wallClockNanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// Sleeps the calling thread until `instant` on the media clock (absolute, so pacing
    /// loops do not drift), retrying when a signal interrupts the sleep.
    public static func sleep(until instant: MediaInstant) {
        var ts = timespec(
            tv_sec: Int(instant.nanoseconds / 1_000_000_000),
            tv_nsec: Int(instant.nanoseconds % 1_000_000_000)
        )
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nil) == EINTR {}
    }
}

/// Pairs the media clock with the wall clock at one moment, so that any media instant can be
/// expressed as wall-clock time (for RTCP sender reports) without reading the clock again.
///
/// Read once per process: every stream of one source then maps instants to NTP identically,
/// which is what lets a receiver line up audio and video.
public struct WallClockAnchor: Sendable, Hashable {
    public var instant: MediaInstant
    /// Nanoseconds since the Unix epoch at `instant`.
    public var wallClockNanoseconds: Int64

    public init(instant: MediaInstant, wallClockNanoseconds: Int64) {
        self.instant = instant
        self.wallClockNanoseconds = wallClockNanoseconds
    }

    /// Reads both clocks back to back.
    public static func now() -> WallClockAnchor {
        let wall = MediaClock.wallClockNanoseconds()
        let mono = MediaClock.now()
        return WallClockAnchor(instant: mono, wallClockNanoseconds: wall)
    }

    /// Wall-clock nanoseconds since the Unix epoch for a media instant.
    public func wallClockNanoseconds(at other: MediaInstant) -> Int64 {
        wallClockNanoseconds + (other.nanoseconds - instant.nanoseconds)
    }
}
