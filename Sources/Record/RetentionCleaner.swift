import Foundation
import Logging
import MediaCore

/// How much of one stream's recording to keep.
public struct RetentionPolicy: Sendable, Hashable {
    /// Free space to leave on the file system that holds the recordings.
    public enum FreeSpace: Sendable, Hashable {
        case bytes(Int64)
        /// A fraction (0...1) of the file system's size.
        case fraction(Double)

        func bytes(ofTotal total: Int64) -> Int64 {
            switch self {
            case .bytes(let bytes): bytes
            case .fraction(let fraction): Int64(Double(total) * fraction)
            }
        }
    }

    public var stream: String
    public var directory: String
    /// Segments that ended longer ago than this go (nanoseconds).
    public var keep: Int64?
    /// The stream's recordings may take at most this many bytes.
    public var maxSize: Int64?
    public var minFree: FreeSpace?

    public init(stream: String, directory: String, keep: Int64? = nil, maxSize: Int64? = nil, minFree: FreeSpace? = nil) {
        self.stream = stream
        self.directory = directory
        self.keep = keep
        self.maxSize = maxSize
        self.minFree = minFree
    }
}

/// The one retention cleaner: deletes the oldest segments of a stream while any of its
/// bounds is passed — age (`keep`), total size (`max_size`), free space (`min_free`). It
/// runs every `interval` and whenever a recorder finishes a part (`poke`), so free space
/// is checked as fast as it is used. A segment being written or read (`SegmentLeases`) is
/// never deleted; a bound it cannot meet without one waits for the next sweep.
public final class RetentionCleaner: @unchecked Sendable {
    // @unchecked: `policies` and the counters are guarded by `lock`; sweeps run on the
    // cleaner's thread (or a test's) one at a time under `sweepLock`.
    public enum Reason: String, Sendable, CaseIterable {
        case age, size, space
    }

    public struct Report: Sendable, Hashable {
        public var deleted: [Reason: Int] = [:]
        public var bytes: Int64 = 0
        public var files: [String] = []
    }

    private var _policies: [RetentionPolicy]
    let index: RecordingIndex
    let leases: SegmentLeases
    let logger: Logger
    let interval: Double
    let wallClock: @Sendable () -> Int64
    private let wake = NSCondition()
    private var poked = false
    private var stopping = false
    private var thread: Thread?
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private let sweepLock = NSLock()
    private var deletedCounts: [Reason: UInt64] = [:]
    private var deletedBytes: UInt64 = 0

    public init(
        policies: [RetentionPolicy], index: RecordingIndex, leases: SegmentLeases, logger: Logger, interval: Double = 1,
        wallClock: @escaping @Sendable () -> Int64 = { MediaClock.wallClockNanoseconds() }
    ) {
        self._policies = policies
        self.index = index
        self.leases = leases
        self.logger = logger
        self.interval = interval
        self.wallClock = wallClock
    }

    /// The streams and bounds it keeps (a reload replaces them).
    public var policies: [RetentionPolicy] {
        get { lock.withLock { _policies } }
        set { lock.withLock { _policies = newValue } }
    }

    /// Segments deleted so far, by reason, and their bytes.
    public var deleted: (counts: [Reason: UInt64], bytes: UInt64) { lock.withLock { (deletedCounts, deletedBytes) } }

    public func start() {
        let thread = Thread { [self] in
            nameCurrentThread("vigil-retention")
            while true {
                wake.lock()
                if !stopping && !poked { _ = wake.wait(until: Date(timeIntervalSinceNow: interval)) }
                poked = false
                let stop = stopping
                wake.unlock()
                if stop { break }
                _ = sweep()
            }
            done.signal()
        }
        thread.name = "vigil-retention"
        self.thread = thread
        thread.start()
    }

    public func stop() {
        wake.withLock {
            stopping = true
            wake.signal()
        }
        if thread != nil { done.wait() }
        thread = nil
    }

    /// Asks for a sweep now (a part was written).
    public func poke() {
        wake.withLock {
            poked = true
            wake.signal()
        }
    }

    /// One pass over every policy.
    @discardableResult
    public func sweep() -> Report {
        sweepLock.withLock {
            var report = Report()
            for policy in policies { sweep(policy, into: &report) }
            if !report.files.isEmpty {
                logger.info(
                    "retention deleted segments",
                    metadata: [
                        "age": "\(report.deleted[.age] ?? 0)", "size": "\(report.deleted[.size] ?? 0)",
                        "space": "\(report.deleted[.space] ?? 0)", "bytes": "\(report.bytes)",
                    ])
            }
            return report
        }
    }

    private func sweep(_ policy: RetentionPolicy, into report: inout Report) {
        guard var segments = try? index.segments(stream: policy.stream) else { return }
        segments.removeAll { leases.isHeld($0.file) }  // oldest first, none in use
        var total = (try? index.totalBytes(stream: policy.stream)) ?? 0
        func delete(_ segment: RecordedSegment, _ reason: Reason) {
            do {
                try RecordingDirectory.remove(segment.file)
                try index.remove(id: segment.id)
            } catch {
                logger.warning("retention could not delete a segment", metadata: ["file": "\(segment.file)", "error": "\(error)"])
                return
            }
            total -= segment.bytes
            report.deleted[reason, default: 0] += 1
            report.bytes += segment.bytes
            report.files.append(segment.file)
            lock.withLock {
                deletedCounts[reason, default: 0] += 1
                deletedBytes += UInt64(max(0, segment.bytes))
            }
        }
        var removedAny = false
        if let keep = policy.keep {
            let horizon = wallClock() - keep
            while let oldest = segments.first, oldest.end < horizon {
                delete(segments.removeFirst(), .age)
                removedAny = true
            }
        }
        if let maxSize = policy.maxSize {
            while total > maxSize, !segments.isEmpty {
                delete(segments.removeFirst(), .size)
                removedAny = true
            }
        }
        if let minFree = policy.minFree {
            while !segments.isEmpty, let space = try? RecordingDirectory.space(at: policy.directory),
                space.available < minFree.bytes(ofTotal: space.total)
            {
                delete(segments.removeFirst(), .space)
                removedAny = true
            }
        }
        if removedAny { try? RecordingDirectory.sync(policy.directory) }
    }
}

