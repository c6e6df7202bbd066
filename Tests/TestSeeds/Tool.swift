import Foundation

/// Runs the suite's independent tools (ffmpeg, ffprobe, gst-launch-1.0) to completion, with a
/// time limit, reading both pipes while it runs so a full pipe never blocks it.
public enum Tool {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: Data
        public var stderr: String
        public var text: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// `executable` by absolute path, or a name under /usr/bin.
    public static func run(_ executable: String, _ arguments: [String], timeout: Double = 60) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/\(executable)")
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let collected = Collected()
        let readers = DispatchGroup()
        readers.enter()
        DispatchQueue.global().async {
            collected.set(out: out.fileHandleForReading.readDataToEndOfFile())
            readers.leave()
        }
        readers.enter()
        DispatchQueue.global().async {
            collected.set(err: err.fileHandleForReading.readDataToEndOfFile())
            readers.leave()
        }
        let deadline = Date(timeIntervalSinceNow: timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            process.terminate()
            usleep(200_000)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        _ = readers.wait(timeout: .now() + 5)
        let (stdout, stderr) = collected.values
        return Result(status: process.terminationStatus, stdout: stdout, stderr: String(decoding: stderr, as: UTF8.self))
    }

    private final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private var out = Data()
        private var err = Data()
        func set(out data: Data) { lock.withLock { out = data } }
        func set(err data: Data) { lock.withLock { err = data } }
        var values: (Data, Data) { lock.withLock { (out, err) } }
    }
}
