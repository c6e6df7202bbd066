import Foundation
import NIOCore
import XCTest

/// Files and processes for the tests that hand Vigil's bytes to ffmpeg and ffprobe.
extension XCTestCase {
    /// A temporary file holding `contents`, removed when the test ends.
    func temporary(_ name: String, contents: ByteBuffer) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)-\(name)")
        try Data(contents.readableBytesView).write(to: url)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }

    /// A temporary path with nothing there yet (for a tool to write), removed when the test ends.
    func temporaryPath(_ name: String) -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)-\(name)")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }

    func run(_ executable: String, _ arguments: [String]) throws -> (out: String, err: String) {
        try runProcess(executable, arguments)
    }
}

/// Runs `executable` to its end: what it wrote to standard output and to standard error. For
/// fixtures made once per class, where there is no test case to ask.
func runProcess(_ executable: String, _ arguments: [String]) throws -> (out: String, err: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}
