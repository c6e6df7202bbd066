import Foundation
import NIOCore
import NIOPosix
import ServeWire
import XCTest

/// The `vigil` binary itself: with no arguments beyond a port it serves the synthetic source,
/// prints the URL, and on SIGTERM/SIGINT says BYE to its viewers and exits 0.
final class ExecutableTests: XCTestCase {
    static var binary: URL {
        // Tests/VigilTests/ExecutableTests.swift → package root → .build/debug/vigil
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/vigil")
    }

    func testSIGTERMShutsDownGracefully() async throws {
        try await runAndStop(signal: SIGTERM)
    }

    func testSIGINTShutsDownGracefully() async throws {
        try await runAndStop(signal: SIGINT)
    }

    private func runAndStop(signal: Int32) async throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: Self.binary.path), "vigil binary not built at \(Self.binary.path)")
        let port = 20_000 + Int.random(in: 0..<10_000)
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = [
            "--port", "\(port)", "--host", "127.0.0.1", "--udp-port-base", "\(40_000 + Int.random(in: 0..<5000) * 2)",
            "--width", "320", "--height", "240", "--bitrate", "400", "--log-level", "warning", "--http-port", "0",
        ]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        // The URL is printed once the listener is bound.
        let printed = LockedBox("")
        let reader = Thread {
            let handle = out.fileHandleForReading
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                printed.mutate { $0 += String(decoding: data, as: UTF8.self) }
            }
        }
        reader.start()
        let url = "rtsp://127.0.0.1:\(port)/live"
        let deadline = Date(timeIntervalSinceNow: 15)
        while Date() < deadline && !printed.value.contains(url) { try await Task.sleep(nanoseconds: 50_000_000) }
        XCTAssertTrue(printed.value.contains("Vigil serving \(url)"), "printed: \(printed.value)")

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let viewer = try await TestViewer.start(port: port, url: url, transport: .udp, group: group)
        try await Task.sleep(nanoseconds: 1_000_000_000)
        XCTAssertGreaterThan(viewer.rtpPackets(track: 0).count, 10)

        kill(process.processIdentifier, signal)
        let exitDeadline = Date(timeIntervalSinceNow: 10)
        while process.isRunning && Date() < exitDeadline { try await Task.sleep(nanoseconds: 50_000_000) }
        XCTAssertFalse(process.isRunning, "exited after the signal")
        XCTAssertEqual(process.terminationStatus, 0)
        try await Task.sleep(nanoseconds: 100_000_000)
        for track in 0..<2 {
            let byes = viewer.rtcpPackets(track: track).flatMap { $0 }.filter {
                if case .goodbye = $0 { return true }
                return false
            }
            XCTAssertEqual(byes.count, 1, "BYE on track \(track)")
        }
        await viewer.close()
        try await group.shutdownGracefully()
    }
}
