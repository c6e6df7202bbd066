import MediaCore

/// A moving I420 test picture, paced in real time on its own thread.
///
/// Picture n is captured at exactly `epoch + n / frameRate` (integer nanoseconds computed from
/// n, so there is no drift). **Sync marks**: the picture whose instant is `epoch + k ×
/// syncMarkInterval` is pure white (Y 255, U V 128) — exactly one picture — and every other
/// picture has a mean luma below 160. The synthetic tone beeps at the same instants.
public final class SyntheticVideoSource: @unchecked Sendable {
    public let settings: SyntheticVideoSettings
    public let epoch: MediaInstant
    private let output: BoundedQueue<RawFrame>
    private let thread = SourceThread(name: "vigil-synthetic-video")
    private let counters = Counters()

    public init(settings: SyntheticVideoSettings, epoch: MediaInstant, output: BoundedQueue<RawFrame>) {
        self.settings = settings
        self.epoch = epoch
        self.output = output
    }

    public var framesProduced: UInt64 { counters.produced }
    /// Pictures not produced because the thread woke too late for them.
    public var framesSkipped: UInt64 { counters.skipped }

    public func start() {
        let settings = settings
        let epoch = epoch
        let output = output
        let counters = counters
        thread.start { thread in
            var generator = SyntheticPicture(settings: settings)
            var index: UInt64 = 0
            let period = 1_000_000_000 / Int64(settings.frameRate)
            while !thread.isStopRequested {
                let instant = Self.instant(of: index, settings: settings, epoch: epoch)
                // More than a picture late (a stalled machine): skip ahead instead of bunching.
                let now = MediaClock.now()
                if now.nanoseconds - instant.nanoseconds > period {
                    let behind = UInt64((now.nanoseconds - instant.nanoseconds) / period)
                    index += behind
                    counters.addSkipped(behind)
                    continue
                }
                let frame = generator.frame(index: index, epoch: epoch)
                MediaClock.sleep(until: instant)
                output.push(frame)
                counters.addProduced()
                index += 1
            }
        }
    }

    public func stop() {
        thread.stop()
    }

    /// Picture `index` on its own: the pure function the thread uses, for tests and benchmarks.
    public static func makeFrame(settings: SyntheticVideoSettings, index: UInt64, epoch: MediaInstant) -> RawFrame {
        var generator = SyntheticPicture(settings: settings)
        return generator.frame(index: index, epoch: epoch)
    }

    /// `epoch + index / frameRate`, exact to the nanosecond (rounded down).
    public static func instant(of index: UInt64, settings: SyntheticVideoSettings, epoch: MediaInstant) -> MediaInstant {
        epoch + MediaDuration(nanoseconds: Int64(index) * 1_000_000_000 / Int64(settings.frameRate))
    }

    /// True when picture `index` falls exactly on a sync mark: `index / frameRate` is a whole
    /// multiple of the interval, compared in integers.
    public static func isSyncMark(_ index: UInt64, settings: SyntheticVideoSettings) -> Bool {
        let interval = settings.syncMarkInterval.nanoseconds
        guard interval > 0 else { return false }
        let numerator = Int64(index) * 1_000_000_000
        return numerator % (interval * Int64(settings.frameRate)) == 0
    }
}

/// Counters shared between a source thread and readers.
final class Counters: @unchecked Sendable {
    private let lock = NSLockShim()
    private var _produced: UInt64 = 0
    private var _skipped: UInt64 = 0
    var produced: UInt64 { lock.with { _produced } }
    var skipped: UInt64 { lock.with { _skipped } }
    func addProduced() { lock.with { _produced += 1 } }
    func addSkipped(_ n: UInt64) { lock.with { _skipped += n } }
}
