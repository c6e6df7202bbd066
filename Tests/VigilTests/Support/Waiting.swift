import Foundation
import TestSeeds
import XCTest

/// Waits until `condition` holds, looking every 20 ms, for at most `timeout` seconds, and
/// says whether it held. Tests wait on the very thing they are about to assert, never for a
/// fixed time: on a loaded machine a fixed sleep is too short (a flake), and on an idle one it
/// is time wasted. The deadline is only the point at which the test gives up.
@discardableResult
func waitUntil(timeout: Double = 10, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date(timeIntervalSinceNow: timeout)
    while true {
        if try await condition() { return true }
        if Date() >= deadline { return false }
        try? await Task.sleep(nanoseconds: 20_000_000)
    }
}

/// What the suite needs from the machine. `Scripts/test` installs all of it, so on CI
/// (`CI=true`) a missing piece is an install step that is missing: the test fails instead of
/// skipping, and the skip cannot hide it. On a developer's machine it is a visible skip.
enum TestEnvironment {
    static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    /// Skips (or on CI fails) the test unless `condition` holds.
    static func require(_ condition: Bool, _ reason: @autoclosure () -> String, file: StaticString = #filePath, line: UInt = #line) throws {
        guard !condition else { return }
        if isCI {
            XCTFail("CI=true and \(reason()): Scripts/test should have installed it", file: file, line: line)
            throw Missing(description: reason())
        }
        throw XCTSkip(reason(), file: file, line: line)
    }

    /// Skips (or on CI fails) unless every path is an executable file.
    static func requireExecutables(_ paths: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        for path in paths {
            try require(FileManager.default.isExecutableFile(atPath: path), "\(path) missing (Scripts/install-deps --test)", file: file, line: line)
        }
    }

    /// The folder of the build this test run belongs to, where `vigil` is: `VIGIL_BIN_DIR` when
    /// set (`Scripts/test` sets it from `swift build --show-bin-path`), else the folder the
    /// running test bundle was built into, which is the same (so `swift test` with any
    /// `--scratch-path` or configuration finds its own binary, not a stale `.build/debug`).
    static var binDirectory: URL {
        if let dir = ProcessInfo.processInfo.environment["VIGIL_BIN_DIR"], !dir.isEmpty {
            return URL(fileURLWithPath: dir)
        }
        // /proc/self/exe is …/<bin-path>/VigilPackageTests.xctest (a single executable on Linux).
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return exe.deletingLastPathComponent()
    }

    /// The `vigil` binary of this build; skips (on CI: fails) when it was not built.
    static func vigilBinary(file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        let binary = binDirectory.appendingPathComponent("vigil")
        try require(FileManager.default.isExecutableFile(atPath: binary.path), "vigil binary not built at \(binary.path)", file: file, line: line)
        return binary
    }

    /// The optimized, statically linked binary an appliance runs (the build of
    /// `Scripts/build-release`, same scratch path, so the two share it), built on first use in
    /// a test process (a no-op when it is current). For the tests that bound what something
    /// costs in CPU: in a debug build most of such a budget goes to NIO's unspecialized
    /// generics and debug-only checks (perf on the half-open flood: `debugOnly`,
    /// `assertInEventLoop` and `_IntegerBitPacking` ahead of any Vigil code), which is neither
    /// what ships nor what the bound is about.
    static func releaseBinary(file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        let result = releaseBuild
        guard result.status == 0 else {
            XCTFail("the release build failed (\(result.status)): \(result.stderr.suffix(3000))", file: file, line: line)
            throw XCTSkip("no release binary")
        }
        let binary = packageRoot.appendingPathComponent(".build/static/release/vigil")
        try require(FileManager.default.isExecutableFile(atPath: binary.path), "release vigil not built at \(binary.path)", file: file, line: line)
        return binary
    }

    private static let releaseBuild: (status: Int32, stderr: String) = {
        let started = Date()
        do {
            let result = try Tool.run("/usr/bin/env", [
                "swift", "build", "--package-path", packageRoot.path, "-c", "release", "--static-swift-stdlib", "--product", "vigil",
                "--scratch-path", packageRoot.appendingPathComponent(".build/static").path,
            ], timeout: 1800)
            print("release build of vigil: \(Int(Date().timeIntervalSince(started))) s")
            return (result.status, result.stderr + result.text)
        } catch {
            return (-1, "swift build could not be run: \(error)")
        }
    }()

    /// The package root (Tests/VigilTests/Support/Waiting.swift → three folders up).
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}
