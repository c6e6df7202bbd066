import Access
import Foundation
import Logging
import MediaCore
import NIOCore
import NIOPosix
import ServiceLifecycle
import TestSeeds
import VigilKit
import XCTest

/// The real composition root on a free port, run as it runs in production and shut down
/// gracefully at the end, so every live test also proves shutdown.
final class VigilFixture: @unchecked Sendable {
    let vigil: Vigil
    let group: ServiceGroup
    let port: Int
    private let task: Task<Void, any Error>

    static func smallSettings() -> VigilSettings {
        var settings = VigilSettings()
        settings.rtsp.host = "127.0.0.1"
        settings.rtsp.port = 0
        // Away from the default so a Vigil running on the same machine does not collide.
        settings.rtsp.udpPortBase = 30_000 + Int.random(in: 0..<1000) * 2
        settings.video.width = 320
        settings.video.height = 240
        settings.video.frameRate = 30
        settings.video.bitrateKbps = 500
        settings.video.threads = 1
        return settings
    }

    static func testLogger(_ label: String = "vigil-test") -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = ProcessInfo.processInfo.environment["VIGIL_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        return logger
    }

    /// `accessClock` drives token lifetimes (see `ManualAccessClock`).
    init(settings: VigilSettings = VigilFixture.smallSettings(), accessClock: any AccessClock = SystemAccessClock()) async throws {
        let vigil = try buildVigil(settings: settings, logger: Self.testLogger(), accessClock: accessClock)
        let group = vigil.makeServiceGroup(signals: false)
        self.vigil = vigil
        self.group = group
        self.task = Task { try await group.run() }
        self.port = try await vigil.rtspServer.boundPort()
        self.httpPort = try await vigil.statusAPI?.boundPort()
    }

    /// The HTTP API's port, when the settings enable it.
    let httpPort: Int?

    func url(_ path: String) -> String { "rtsp://127.0.0.1:\(port)/\(path)" }

    var url: String { "rtsp://127.0.0.1:\(port)/\(vigil.settings.streamPath)" }

    /// Triggers graceful shutdown and waits for every service to end.
    /// Graceful shutdown, as SIGTERM does it. One that does not finish within `timeout`
    /// (a request or service that never ends) fails the test instead of stalling the suite.
    func stop(timeout: Double = 60, file: StaticString = #filePath, line: UInt = #line) async throws {
        await group.triggerGracefulShutdown()
        let task = self.task
        let once = LockedBox(false)
        let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, any Error>?, Never>) in
            func finish(_ value: Result<Void, any Error>?) {
                let first = once.mutate { done in
                    defer { done = true }
                    return !done
                }
                if first { continuation.resume(returning: value) }
            }
            Task { finish(await task.result) }
            Task {
                try? await Task.sleep(nanoseconds: UInt64(timeout * 1e9))
                finish(nil)
            }
        }
        guard let outcome else {
            XCTFail("graceful shutdown did not finish within \(timeout) s: a request or a service never ends", file: file, line: line)
            task.cancel()
            return
        }
        try outcome.get()
        await vigil.shutdownEventLoops()
    }
}

/// Runs a program to completion, with a time limit, and returns its exit status and output
/// (the suite's one runner, `Tool.run` in TestSeeds).
typealias ProcessResult = Tool.Result

func runProcess(_ executable: String, _ arguments: [String], timeout: Double = 60) throws -> ProcessResult {
    try Tool.run(executable, arguments, timeout: timeout)
}

/// A value shared between threads in tests.
final class LockedBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var _value: T
    init(_ value: T) { _value = value }
    var value: T {
        get { lock.withLock { _value } }
        set { lock.withLock { _value = newValue } }
    }
    func mutate<R>(_ body: (inout T) -> R) -> R { lock.withLock { body(&_value) } }
}
