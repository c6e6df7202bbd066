#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The `vigil` binary running in the background, its output collected as it comes.
final class DaemonProcess: @unchecked Sendable {
    let process = Process()
    let stdout = LockedBox("")
    let stderr = LockedBox("")

    init(binary: URL, arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = binary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        for (pipe, box) in [(out, stdout), (err, stderr)] {
            Thread {
                let handle = pipe.fileHandleForReading
                while true {
                    let data = handle.availableData
                    if data.isEmpty { break }
                    box.mutate { $0 += String(decoding: data, as: UTF8.self) }
                }
            }.start()
        }
    }

    deinit {
        if process.isRunning { process.terminate() }
    }

    var pid: Int32 { process.processIdentifier }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits until stdout matches `pattern` (a regular expression with one capture group)
    /// and returns the group.
    func waitForStdout(_ pattern: String, timeout: Double = 20) async throws -> String {
        let regex = try NSRegularExpression(pattern: pattern)
        let deadline = Date(timeIntervalSinceNow: timeout)
        while Date() < deadline {
            let text = stdout.value
            if let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
               let range = Range(match.range(at: 1), in: text) {
                return String(text[range])
            }
            if !process.isRunning { break }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        throw TestClientError.unexpected("no \(pattern) in stdout: \(stdout.value)\nstderr: \(stderr.value)")
    }

    /// The exit status, or nil if it is still running after `timeout`.
    func waitForExit(timeout: Double = 10) async throws -> Int32? {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while process.isRunning && Date() < deadline { try await Task.sleep(nanoseconds: 50_000_000) }
        return process.isRunning ? nil : process.terminationStatus
    }
}

/// Writes raw I420 pictures into a FIFO at a steady rate while `feeding` is true — a capture
/// source the test can hang on purpose.
final class FIFOFeeder: @unchecked Sendable {
    let path: String
    let feeding = LockedBox(true)
    private let running = LockedBox(true)
    private let fd: Int32

    init(directory: URL, width: Int, height: Int, fps: Int) throws {
        path = directory.appendingPathComponent("video.i420").path
        guard mkfifo(path, 0o600) == 0 else { throw TestClientError.unexpected("mkfifo \(path): errno \(errno)") }
        // Read-write: opening never waits for the daemon, and it never sees end-of-file.
        fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw TestClientError.unexpected("open \(path): errno \(errno)") }
        let size = width * height * 3 / 2
        Thread { [fd, feeding, running] in
            var n = 0
            while running.value {
                if feeding.value {
                    let picture = [UInt8](repeating: UInt8(truncatingIfNeeded: 16 + n * 7), count: size)
                    _ = picture.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                    n += 1
                }
                usleep(UInt32(1_000_000 / fps))
            }
        }.start()
    }

    func close() {
        running.value = false
        usleep(300_000)
        Glibc.close(fd)
        unlink(path)
    }
}
