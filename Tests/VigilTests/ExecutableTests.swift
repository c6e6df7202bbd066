import Foundation
import NIOCore
import NIOPosix
import ServeWire
import XCTest

/// The `vigil` binary itself: with no arguments beyond a port it serves the synthetic source,
/// prints the URL, and on SIGTERM/SIGINT says BYE to its viewers and exits 0.
final class ExecutableTests: XCTestCase {
    /// This build's `vigil` (see `TestEnvironment.binDirectory`).
    static var binary: URL { TestEnvironment.binDirectory.appendingPathComponent("vigil") }

    func testSIGTERMShutsDownGracefully() async throws {
        try await runAndStop(signal: SIGTERM)
    }

    func testSIGINTShutsDownGracefully() async throws {
        try await runAndStop(signal: SIGINT)
    }

    private func runAndStop(signal: Int32) async throws {
        let binary = try TestEnvironment.vigilBinary()
        // Port 0: the kernel picks a free one and the daemon prints it; a port drawn at random
        // here could be taken.
        let daemon = try DaemonProcess(binary: binary, arguments: [
            "--port", "0", "--host", "127.0.0.1", "--udp-port-base", "\(40_000 + Int.random(in: 0..<5000) * 2)",
            "--width", "320", "--height", "240", "--bitrate", "400", "--log-level", "warning", "--http-port", "0",
        ])
        defer { if daemon.process.isRunning { daemon.signal(SIGKILL) } }
        // The URL is printed once the listener is bound.
        let port = try await daemon.waitForStdout(#"Vigil serving rtsp://127\.0\.0\.1:(\d+)/live"#, timeout: 15)
        let url = "rtsp://127.0.0.1:\(port)/live"

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let viewer = try await TestViewer.start(port: Int(port)!, url: url, transport: .udp, group: group)
        await waitUntil { viewer.rtpPackets(track: 0).count > 10 && !viewer.rtpPackets(track: 1).isEmpty }
        XCTAssertGreaterThan(viewer.rtpPackets(track: 0).count, 10)

        daemon.signal(signal)
        let exit = try await daemon.waitForExit(timeout: 10)
        XCTAssertEqual(exit, 0, "exited 0 after the signal: \(daemon.stderr.value)")
        // The BYEs were sent before the exit; they may still be on their way through this loop.
        await waitUntil(timeout: 5) { (0..<2).allSatisfy { !viewer.goodbyes(track: $0).isEmpty } }
        for track in 0..<2 {
            XCTAssertEqual(viewer.goodbyes(track: track).count, 1, "BYE on track \(track)")
        }
        await viewer.close()
        try await group.shutdownGracefully()
    }
}
