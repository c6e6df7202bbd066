#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few file operations the certificate store needs, on POSIX calls: `EINTR` is retried
/// here and nowhere else, and each failure names the path and the call's errno text.
enum FileIO {
    /// PEM files are a few hundred bytes; anything larger is not ours.
    static let maximumFileLength = 64 * 1024

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func contents(of path: String) throws -> String {
        let descriptor = try retryingEINTR(path, "open") { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = try retryingEINTR(path, "read") { chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) } }
            if count == 0 { break }
            bytes += chunk[0..<count]
            guard bytes.count <= maximumFileLength else { throw DTLSError.certificateFile(path: path, reason: "longer than \(maximumFileLength) bytes") }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func makeDirectory(_ path: String) throws {
        if mkdir(path, 0o700) == 0 || errno == EEXIST { return }
        throw failure(path, "mkdir")
    }

    /// Writes `text` to `path` through a temporary file in the same directory: written with
    /// `mode` (set with fchmod, so the umask cannot loosen or tighten it), fsynced, renamed
    /// over `path`, and the directory fsynced so the rename itself is durable.
    static func writeAtomically(_ path: String, _ text: String, mode: mode_t) throws {
        let temporary = path + ".tmp"
        let descriptor = try retryingEINTR(temporary, "open") {
            open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode)
        }
        var closed = false
        defer { if !closed { close(descriptor) } }
        guard fchmod(descriptor, mode) == 0 else { throw failure(temporary, "fchmod") }
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = try retryingEINTR(temporary, "write") {
                bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            }
            offset += written
        }
        _ = try retryingEINTR(temporary, "fsync") { Int(fsync(descriptor)) }
        closed = true
        guard close(descriptor) == 0 else { throw failure(temporary, "close") }
        guard rename(temporary, path) == 0 else { throw failure(path, "rename") }
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let directoryDescriptor = try retryingEINTR(directory, "open") { open(directory.isEmpty ? "/" : directory, O_RDONLY | O_CLOEXEC) }
        defer { close(directoryDescriptor) }
        _ = try retryingEINTR(directory, "fsync") { Int(fsync(directoryDescriptor)) }
    }

    /// Calls `body` until it returns something other than -1 with `EINTR`.
    private static func retryingEINTR<Result: BinaryInteger>(_ path: String, _ call: String, _ body: () -> Result) throws -> Result {
        while true {
            let result = body()
            if result != -1 { return result }
            if errno != EINTR { throw failure(path, call) }
        }
    }

    private static func failure(_ path: String, _ call: String) -> DTLSError {
        .certificateFile(path: path, reason: "\(call): \(String(cString: strerror(errno)))")
    }
}
