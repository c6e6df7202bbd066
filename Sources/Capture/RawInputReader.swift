#if canImport(Glibc)
import Glibc
#endif

/// Reads whole records (pictures, audio chunks) from a regular file or a FIFO.
///
/// A regular file is read as fast as asked and rewound at its end when looping. A FIFO is
/// opened non-blocking and polled, so `stop` is never stuck behind a silent writer; when the
/// writer goes away the reader waits for the next one (a generator that restarts just
/// reconnects).
/// Used by one source thread at a time.
final class RawInputReader: @unchecked Sendable {
    let path: String
    let isFIFO: Bool
    let recordSize: Int
    let loop: Bool
    private var fd: Int32
    /// The FIFO record being filled, read into in place (no staging copy), and how much of it
    /// has arrived. A 720p picture is 1.4 MB: copying or zeroing it per read was most of the
    /// raw-input overhead (Scripts/bench, encode path).
    private var record: [UInt8] = []
    private var filled = 0
    /// How long one poll waits before the stop flag is looked at again.
    static let pollMilliseconds: Int32 = 100

    init(path: String, recordSize: Int, loop: Bool) throws(CaptureError) {
        guard recordSize > 0 else { throw .invalidSettings("record size must be positive") }
        var info = stat()
        guard stat(path, &info) == 0 else { throw .cannotOpen(path: path, errno: errno) }
        let fifo = (info.st_mode & S_IFMT) == S_IFIFO
        if !fifo && (info.st_mode & S_IFMT) == S_IFREG && Int(info.st_size) < recordSize {
            throw .invalidSettings("\(path) holds \(info.st_size) bytes, less than one record of \(recordSize)")
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | (fifo ? O_NONBLOCK : 0))
        guard descriptor >= 0 else { throw .cannotOpen(path: path, errno: errno) }
        self.path = path
        self.isFIFO = fifo
        self.recordSize = recordSize
        self.loop = loop
        self.fd = descriptor
    }

    deinit {
        close(fd)
    }

    enum Outcome {
        case record([UInt8])
        /// The file ended and does not loop, or a read failed.
        case finished(CaptureError?)
        /// Nothing yet (FIFO): look at the stop flag and ask again.
        case idle
    }

    /// The next whole record.
    func next() -> Outcome {
        isFIFO ? nextFromFIFO() : nextFromFile()
    }

    /// A record's worth of storage, not zeroed: every byte is read into before it is handed out.
    private func uninitializedRecord() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: recordSize) { _, count in count = recordSize }
    }

    private func nextFromFile() -> Outcome {
        var record = uninitializedRecord()
        var filled = 0
        var rewound = false
        while filled < recordSize {
            let n = record.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, recordSize - filled) }
            if n > 0 {
                filled += n
            } else if n == 0 {
                // End of file: a partial record at the end is dropped.
                guard loop, !rewound else { return .finished(nil) }
                lseek(fd, 0, SEEK_SET)
                rewound = true
                filled = 0
            } else if errno != EINTR {
                return .finished(.readFailed(path: path, errno: errno))
            }
        }
        return .record(record)
    }

    private func nextFromFIFO() -> Outcome {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, Self.pollMilliseconds)
        if ready < 0 {
            return errno == EINTR ? .idle : .finished(.readFailed(path: path, errno: errno))
        }
        if ready == 0 { return .idle }
        if record.isEmpty {
            record = uninitializedRecord()
            filled = 0
        }
        // Take all that is there (the pipe holds 64 KiB at a time) before polling again.
        while true {
            let wanted = recordSize - filled
            let n = record.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, wanted) }
            if n > 0 {
                filled += n
                if filled == recordSize {
                    let full = record
                    record = []
                    filled = 0
                    return .record(full)
                }
                continue
            }
            if n == 0 {
                // No writer: drop the partial record and wait for the next writer without
                // spinning (poll reports POLLHUP at once).
                filled = 0
                usleep(50_000)
                return .idle
            }
            if errno == EINTR { continue }
            if errno == EAGAIN { return .idle }
            return .finished(.readFailed(path: path, errno: errno))
        }
    }
}
