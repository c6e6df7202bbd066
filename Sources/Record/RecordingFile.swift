#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// A recording file opened for appending, owning its descriptor. Every call retries `EINTR`
/// here and throws `RecordError.system` with the call and errno; nothing is buffered in
/// user space, so what `sync()` returns from is on the disk.
final class RecordingFile {
    let path: String
    private var descriptor: Int32
    /// Bytes in the file (everything written so far).
    private(set) var size: Int

    /// Creates `path`, which must not exist yet (0644: the owner's other tools may read it).
    init(creating path: String) throws(RecordError) {
        self.path = path
        let fd = retryingEINTR { open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644) }
        guard fd >= 0 else { throw .system(call: "open", path: path, errno: errno) }
        self.descriptor = fd
        self.size = 0
    }

    /// Opens an existing file to repair it (truncate, patch).
    init(repairing path: String) throws(RecordError) {
        self.path = path
        let fd = retryingEINTR { open(path, O_RDWR | O_CLOEXEC) }
        guard fd >= 0 else { throw .system(call: "open", path: path, errno: errno) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let error = errno
            Glibc.close(fd)
            throw .system(call: "fstat", path: path, errno: error)
        }
        self.descriptor = fd
        self.size = Int(info.st_size)
    }

    deinit { if descriptor >= 0 { Glibc.close(descriptor) } }

    /// Appends all of `bytes`. On a failure the file may hold part of them; the caller
    /// truncates back to `size` (which counts only whole writes) before going on.
    func append(_ bytes: ByteBuffer) throws(RecordError) {
        var done = 0
        let count = bytes.readableBytes
        while done < count {
            let written = bytes.withUnsafeReadableBytes { raw in
                retryingEINTR { pwrite(descriptor, raw.baseAddress! + done, count - done, off_t(size + done)) }
            }
            guard written > 0 else { throw .system(call: "write", path: path, errno: written == 0 ? EIO : errno) }
            done += written
        }
        size += count
    }

    /// Writes `bytes` at `offset` inside what is already written (a duration field).
    func patch(_ bytes: [UInt8], at offset: Int) throws(RecordError) {
        precondition(offset + bytes.count <= size, "patches stay inside the file")
        let written = bytes.withUnsafeBytes { raw in
            retryingEINTR { pwrite(descriptor, raw.baseAddress!, bytes.count, off_t(offset)) }
        }
        guard written == bytes.count else { throw .system(call: "pwrite", path: path, errno: written < 0 ? errno : EIO) }
    }

    /// Makes the data written so far durable (`fdatasync`: the size is data too).
    func sync() throws(RecordError) {
        guard retryingEINTR({ fdatasync(descriptor) }) == 0 else { throw .system(call: "fdatasync", path: path, errno: errno) }
    }

    /// Cuts the file to `length` bytes.
    func truncate(to length: Int) throws(RecordError) {
        guard retryingEINTR({ ftruncate(descriptor, off_t(length)) }) == 0 else {
            throw .system(call: "ftruncate", path: path, errno: errno)
        }
        size = length
    }

    func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }
}

/// Directory and file-system calls the recorder needs.
enum RecordingDirectory {
    /// Creates `path` and its parents (0750) if missing.
    static func create(_ path: String) throws(RecordError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o750) != 0 && errno != EEXIST {
                throw .system(call: "mkdir", path: prefix, errno: errno)
            }
        }
    }

    /// `fsync` on the directory, so that files created or removed in it stay so after a
    /// power cut (a file's own fdatasync does not cover its name).
    static func sync(_ path: String) throws(RecordError) {
        let fd = retryingEINTR { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0 else { throw .system(call: "open", path: path, errno: errno) }
        defer { close(fd) }
        guard retryingEINTR({ fsync(fd) }) == 0 else { throw .system(call: "fsync", path: path, errno: errno) }
    }

    /// The `.mp4` files in `path`, by name (which sorts by start time).
    static func recordings(in path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasSuffix(".mp4") && !name.hasPrefix(".") { names.append(name) }
        }
        return names.sorted()
    }

    /// Space on the file system holding `path`.
    static func space(at path: String) throws(RecordError) -> (available: Int64, total: Int64) {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { throw .system(call: "statvfs", path: path, errno: errno) }
        let unit = Int64(info.f_frsize)
        return (Int64(info.f_bavail) * unit, Int64(info.f_blocks) * unit)
    }

    /// Removes a file; a file already gone is not an error.
    static func remove(_ path: String) throws(RecordError) {
        if unlink(path) != 0 && errno != ENOENT { throw .system(call: "unlink", path: path, errno: errno) }
    }

    /// Reads `length` bytes at `offset` (short at the end of the file).
    static func read(_ path: String, offset: Int, length: Int) throws(RecordError) -> ByteBuffer {
        let fd = retryingEINTR { open(path, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { throw .system(call: "open", path: path, errno: errno) }
        defer { close(fd) }
        return try read(descriptor: fd, path: path, offset: offset, length: length)
    }

    static func read(descriptor fd: Int32, path: String, offset: Int, length: Int) throws(RecordError) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(length)
        var done = 0
        while done < length {
            let got = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length - done) { raw in
                max(0, retryingEINTR { pread(fd, raw.baseAddress!, length - done, off_t(offset + done)) })
            }
            if got == 0 { break }
            done += got
        }
        return buffer
    }

    static func fileSize(_ path: String) -> Int? {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : nil
    }
}

/// Runs a system call again while it fails with EINTR.
@inline(__always)
func retryingEINTR<T: BinaryInteger>(_ call: () -> T) -> T {
    while true {
        let result = call()
        if result < 0 && errno == EINTR { continue }
        return result
    }
}
