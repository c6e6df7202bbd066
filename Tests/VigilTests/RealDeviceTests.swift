import Foundation
import XCTest

/// Real capture on real kernel drivers: Scripts/vm/capture-test boots a Debian guest kernel
/// under QEMU with vivid (a webcam) and snd-aloop (a loopback sound card) and runs this
/// build's vigil binary against them; see that script for the checks (size and picture
/// count, the tone found again, camera → NO SIGNAL → camera while vivid is unloaded and
/// reloaded under a connected viewer, loss and recovery logged once).
final class RealDeviceTests: XCTestCase {
    func testCaptureFromVividAndSndAloopInAGuestKernel() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let script = root.appendingPathComponent("Scripts/vm/capture-test").path
        let binary = try TestEnvironment.vigilBinary().path
        // The harness installs QEMU and fetches the guest kernel with apt: that needs root.
        let canPrepare = getuid() == 0 || FileManager.default.isExecutableFile(atPath: "/usr/bin/qemu-system-x86_64")
        try TestEnvironment.require(canPrepare, "QEMU is not installed and installing it needs root")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script]
        var environment = ProcessInfo.processInfo.environment
        environment["VIGIL_BIN"] = binary
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        print(output)
        XCTAssertEqual(process.terminationStatus, 0, output)
        XCTAssertTrue(output.contains("capture-test: 0 failed"), output)
        XCTAssertFalse(output.contains("FAIL:"), output)
        XCTAssertGreaterThanOrEqual(output.components(separatedBy: "PASS:").count - 1, 14, "every check ran")
    }
}
