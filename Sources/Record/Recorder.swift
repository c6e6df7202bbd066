import Container
import Foundation
import Logging
import MediaCore
import NIOCore

/// What one stream's recorder is told at start.
public struct RecorderConfiguration: Sendable {
    public var stream: String
    /// The stream's own directory of segment files.
    public var directory: String
    public var writer: SegmentWriter.Configuration
    /// Units and encoded bytes the recorder may fall behind by before it is cut off
    /// (it then misses up to a key-frame interval and starts a new segment).
    public var queueCapacity = 900
    public var queueByteCapacity = 32 << 20
    /// How long a paused recorder (disk full, write error) waits before it tries again.
    public var retryInterval: Double = 2

    public init(stream: String, directory: String, writer: SegmentWriter.Configuration) {
        self.stream = stream
        self.directory = directory
        self.writer = writer
    }
}

/// One stream's recorder: a consumer of the stream's encoded units that writes fMP4
/// segments on its own thread, each part made durable (`fdatasync`) before the index says
/// it exists, and each segment's name made durable (directory `fsync`) when it is created
/// and closed. A `kill -9` or a power cut loses at most the part being written; the
/// recovery scan at the next start closes what was torn.
///
/// It never holds up capture or the live viewers: units reach it through its own
/// `EncodedUnitQueue`, which cuts it off when the disk is too slow. A write error or a full
/// disk pauses it (one warning, `pauses` counts it); it tries again every `retryInterval`
/// and resumes on the next key frame once a segment can be created.
public final class Recorder: EncodedUnitConsumer, @unchecked Sendable {
    // @unchecked: `writer`, `current` and the state behind `stateLock` are used only on the
    // recorder's thread; the counters and status are guarded by `stateLock`.
    public enum State: String, Sendable {
        case starting, waitingForKeyFrame = "waiting", recording, paused, stopped
    }

    public struct Statistics: Sendable {
        public var state: State
        public var segmentsWritten: UInt64
        public var partsWritten: UInt64
        public var bytesWritten: UInt64
        /// Times a write error or a full disk paused recording.
        public var pauses: UInt64
        /// Times the recorder fell behind and was cut off by its queue.
        public var cutOffs: UInt64
        public var lastError: String?
    }

    public let configuration: RecorderConfiguration
    let index: RecordingIndex
    let anchor: WallClockAnchor
    let leases: SegmentLeases
    let logger: Logger
    let requestKeyFrame: @Sendable () -> Void
    let queue: EncodedUnitQueue
    private var writer: SegmentWriter
    private var current: (file: RecordingFile, id: Int64, start: MediaInstant, durationField: Int?)?
    private let stateLock = NSLock()
    private var state = State.starting
    private var segmentsWritten: UInt64 = 0
    private var partsWritten: UInt64 = 0
    private var bytesWritten: UInt64 = 0
    private var pauses: UInt64 = 0
    private var lastError: String?
    private var retryAt: Date?
    /// Set by a pause, cleared when a segment opens again: one pause (one warning, one count)
    /// however many retries fail in between.
    private var outOfService = false
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)
    /// Told after each part, so the cleaner checks space as fast as it is used.
    let afterPart: @Sendable () -> Void

    public init(
        configuration: RecorderConfiguration, index: RecordingIndex, anchor: WallClockAnchor, leases: SegmentLeases,
        logger: Logger, requestKeyFrame: @escaping @Sendable () -> Void = {}, afterPart: @escaping @Sendable () -> Void = {}
    ) {
        self.configuration = configuration
        self.index = index
        self.anchor = anchor
        self.leases = leases
        self.logger = logger
        self.requestKeyFrame = requestKeyFrame
        self.afterPart = afterPart
        self.queue = EncodedUnitQueue(capacity: configuration.queueCapacity, byteCapacity: configuration.queueByteCapacity)
        self.writer = SegmentWriter(configuration: configuration.writer)
    }

    public var statistics: Statistics {
        stateLock.withLock {
            Statistics(
                state: state, segmentsWritten: segmentsWritten, partsWritten: partsWritten, bytesWritten: bytesWritten,
                pauses: pauses, cutOffs: queue.cutOffs, lastError: lastError)
        }
    }

    public func offer(_ unit: EncodedUnit, track: Int) {
        guard track == 0 || track == configuration.writer.audio?.track else { return }
        queue.push(unit, track: track)
    }

    /// Scans the directory (recovery), then records on its own thread until `stop`.
    public func start() {
        let thread = Thread { [self] in
            nameCurrentThread("vigil-record")
            run()
            finished.signal()
        }
        thread.name = "vigil-record"
        self.thread = thread
        thread.start()
    }

    /// Closes the open segment with what has arrived and waits for the thread.
    public func stop() {
        queue.close()
        if thread != nil { finished.wait() }
        thread = nil
    }

    private func set(_ new: State) { stateLock.withLock { state = new } }

    private func run() {
        do {
            try RecordingDirectory.create(configuration.directory)
            let report = RecoveryScan(directory: configuration.directory, stream: configuration.stream, index: index, logger: logger).run()
            if !report.isEmpty { logger.notice("recovery scan", metadata: report.metadata) }
        } catch {
            pause(error)
        }
        if stateLock.withLock({ state == .starting }) { set(.waitingForKeyFrame) }
        requestKeyFrame()
        while let event = queue.pop() {
            if let retryAt {
                guard Date() >= retryAt else { continue }
                // Still shown as paused until a segment opens.
                self.retryAt = nil
                requestKeyFrame()
            }
            switch event {
            case .gap:
                logger.warning("recorder fell behind and was cut off; resuming at the next key frame")
                execute(writer.finish())
                if !outOfService { set(.waitingForKeyFrame) }
            case .unit(let unit, let track):
                execute(writer.take(unit, track: track))
            }
        }
        execute(writer.finish())
        set(.stopped)
    }

    private func execute(_ actions: [SegmentWriter.Action]) {
        for action in actions {
            guard retryAt == nil else { return }
            do {
                try perform(action)
            } catch {
                pause(error)
                return
            }
        }
    }

    private func perform(_ action: SegmentWriter.Action) throws(RecordError) {
        switch action {
        case .open(let start, let initialization):
            // Again at every segment: the directory may have been missing at start, or removed.
            try RecordingDirectory.create(configuration.directory)
            let wall = anchor.wallClockNanoseconds(at: start)
            var suffix = 0
            var file: RecordingFile
            while true {
                let path = (configuration.directory as NSString).appendingPathComponent(SegmentName.name(wallClockNanoseconds: wall, suffix: suffix))
                do {
                    file = try RecordingFile(creating: path)
                    break
                } catch .system(_, _, let code) where code == EEXIST && suffix < 100 {
                    suffix += 1
                }
            }
            leases.hold(file.path)
            do {
                try file.append(initialization)
                try file.sync()
                try RecordingDirectory.sync(configuration.directory)
                let id = try index.add(stream: configuration.stream, file: file.path, start: wall, bytes: Int64(file.size))
                current = (file, id, start, FragmentedMP4.movieExtendsDurationField(in: initialization))
            } catch {
                // Nothing of it is worth keeping.
                file.close()
                try? RecordingDirectory.remove(file.path)
                leases.release(file.path)
                throw error
            }
            stateLock.withLock {
                if !outOfService { state = .recording }
                segmentsWritten += 1
            }
        case .write(let fragment, let end):
            guard let current else { return }
            let before = current.file.size
            do {
                try current.file.append(fragment)
                try current.file.sync()
            } catch {
                try? current.file.truncate(to: before)
                throw error
            }
            try index.update(id: current.id, duration: (end - current.start).nanoseconds, bytes: Int64(current.file.size), complete: false)
            stateLock.withLock {
                partsWritten += 1
                bytesWritten += UInt64(fragment.readableBytes)
                state = .recording
                if outOfService { lastError = nil }
            }
            if outOfService {
                // Back in service only once a part is durable again: a full disk may still
                // take a new file's few hundred header bytes.
                outOfService = false
                logger.notice("recording resumed", metadata: ["file": "\(current.file.path)"])
            }
            afterPart()
        case .close(let end):
            guard let open = current else { return }
            current = nil
            defer { leases.release(open.file.path) }
            let duration = (end - open.start).nanoseconds
            if let field = open.durationField { try? open.file.patch(Self.milliseconds(duration), at: field) }
            try open.file.sync()
            open.file.close()
            try RecordingDirectory.sync(configuration.directory)
            try index.update(id: open.id, duration: duration, bytes: Int64(open.file.size), complete: true)
        }
    }

    /// `mehd`'s 64-bit duration in the movie timescale (milliseconds), big-endian.
    static func milliseconds(_ nanoseconds: Int64) -> [UInt8] {
        withUnsafeBytes(of: UInt64(max(0, nanoseconds) / 1_000_000).bigEndian) { Array($0) }
    }

    /// Stops writing until `retryInterval` has passed: the open segment keeps its whole
    /// parts and is closed; the next one starts on a key frame after the retry.
    private func pause(_ error: RecordError) {
        if let open = current {
            // Keep its whole parts and close it as the recovery scan would.
            current = nil
            try? open.file.truncate(to: open.file.size)
            if let scanned = try? RecordedFile(path: open.file.path), scanned.fragments.isEmpty {
                // Only its header made it: nothing to keep.
                try? RecordingDirectory.remove(open.file.path)
                try? index.remove(id: open.id)
            } else if let scanned = try? RecordedFile(path: open.file.path) {
                let duration = scanned.mediaDurationNanoseconds
                if let field = open.durationField { try? open.file.patch(Self.milliseconds(duration), at: field) }
                try? open.file.sync()
                try? index.update(id: open.id, duration: duration, bytes: Int64(scanned.wholeEnd), complete: true)
            }
            open.file.close()
            leases.release(open.file.path)
        }
        writer = SegmentWriter(configuration: configuration.writer)
        retryAt = Date(timeIntervalSinceNow: configuration.retryInterval)
        let first = !outOfService
        outOfService = true
        stateLock.withLock {
            state = .paused
            lastError = error.description
            if first { pauses += 1 }
        }
        if first {
            logger.warning(
                error.isOutOfSpace ? "recording paused: the disk is full; live viewers are not affected" : "recording paused by a write error",
                metadata: ["error": "\(error)", "directory": "\(configuration.directory)"])
        }
    }
}
