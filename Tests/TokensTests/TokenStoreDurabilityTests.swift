import Foundation
import XCTest
@testable import Tokens

/// Tokens survive a clean restart, a crash image of the files, and a real `kill -9`.
final class TokenStoreDurabilityTests: XCTestCase {
    func testRestartKeepsTokensAndRemainingUses() async throws {
        let path = try temporaryDirectory(self).appendingPathComponent(TokenStore.fileName).path
        let store = try TokenStore(path: path)
        let issued = try await store.mint(app: "door", duration: .seconds(3600), limit: 3, label: "restart", now: t0)
        _ = try await store.redeem(token: issued.token.text, path: "door", now: t0)
        try await store.close()

        let reopened = try TokenStore(path: path)
        let listed = try await reopened.list(now: t0)
        XCTAssertEqual(listed, [
            TokenInfo(token: issued.token, app: "door", label: "restart", created: t0, expires: t0 + 3600, remaining: 2, status: .live),
        ])
        let verdict = try await reopened.redeem(token: issued.token.text, path: "door", now: t0)
        XCTAssertEqual(verdict, .valid(remaining: 1))
    }

    /// What a crash leaves: the main file and the WAL, never checkpointed, never closed. The
    /// copy is taken while the store is open, as if the process had vanished at that moment.
    /// (The -shm index is left behind on purpose: SQLite rebuilds it from the WAL.)
    func testCrashImageWithoutCloseKeepsCommittedState() async throws {
        let directory = try temporaryDirectory(self)
        let path = directory.appendingPathComponent(TokenStore.fileName).path
        let store = try TokenStore(path: path)
        let issued = try await store.mint(limit: 3, now: t0)
        _ = try await store.redeem(token: issued.token.text, path: "door", now: t0)
        let revoked = try await store.mint(now: t0)
        _ = try await store.revoke(token: revoked.token.text)

        let walSize = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? NSNumber)
        XCTAssertGreaterThan(walSize.intValue, 0, "the committed state is (at least partly) only in the WAL")

        let crash = directory.appendingPathComponent("crash", isDirectory: true)
        try FileManager.default.createDirectory(at: crash, withIntermediateDirectories: true)
        let copy = crash.appendingPathComponent(TokenStore.fileName).path
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        try FileManager.default.copyItem(atPath: path + "-wal", toPath: copy + "-wal")

        // Proof the WAL is what carries it: the main file alone holds none of it yet.
        let mainOnly = crash.appendingPathComponent("main-only.sqlite").path
        try FileManager.default.copyItem(atPath: path, toPath: mainOnly)
        let withoutWAL = try TokenStore(path: mainOnly)
        let unseen = try await withoutWAL.list(now: t0)
        XCTAssertEqual(unseen, [])

        let recovered = try TokenStore(path: copy)
        let listed = try await recovered.list(now: t0)
        XCTAssertEqual(listed.map(\.token), [issued.token])
        XCTAssertEqual(listed.map(\.remaining), [2])
        let verdict = try await recovered.redeem(token: issued.token.text, path: "door", now: t0)
        XCTAssertEqual(verdict, .valid(remaining: 1))
        let original = try await store.list(now: t0)  // and the original was open all along
        XCTAssertEqual(original, listed)
    }

    /// A real `kill -9`: this test binary runs itself as a child that mints, redeems, revokes,
    /// writes down its tokens and sends itself SIGKILL; the parent then opens the files the
    /// dead process left behind.
    func testKillMinus9KeepsCommittedState() async throws {
        #if !os(Linux)
        throw XCTSkip("re-runs itself through /proc/self/exe")
        #endif
        let directory = try temporaryDirectory(self)
        let path = directory.appendingPathComponent(TokenStore.fileName).path

        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        child.arguments = ["\(String(reflecting: Self.self))/testCrashChild"]
        child.environment = ProcessInfo.processInfo.environment.merging([Self.childVariable: path]) { $1 }
        child.standardOutput = FileHandle.nullDevice
        child.standardError = FileHandle.nullDevice
        try child.run()
        child.waitUntilExit()
        XCTAssertEqual(child.terminationReason, .uncaughtSignal, "the child should die by signal, not exit")
        XCTAssertEqual(child.terminationStatus, SIGKILL)

        let written = try String(contentsOfFile: path + ".tokens", encoding: .utf8).split(separator: " ")
        XCTAssertEqual(written.count, 2)
        let (kept, spent) = (String(written[0]), String(written[1]))
        let store = try TokenStore(path: path)
        let listed = try await store.list(now: t0)
        XCTAssertEqual(listed.map(\.token.text), [kept], "the revoked token stays revoked")
        XCTAssertEqual(listed.map(\.remaining), [1], "both uses spent before the kill stay spent")
        let verdicts = [
            try await store.redeem(token: kept, path: "door", now: t0),
            try await store.redeem(token: kept, path: "door", now: t0),
            try await store.redeem(token: spent, path: "door", now: t0),
        ]
        XCTAssertEqual(verdicts, [.valid(remaining: 0), .exhausted, .unknown])
    }

    static let childVariable = "VIGIL_TOKENS_CRASH_CHILD"

    /// The child's half of `testKillMinus9KeepsCommittedState`; in a normal run (no
    /// `VIGIL_TOKENS_CRASH_CHILD`) it does nothing.
    func testCrashChild() async throws {
        guard let path = ProcessInfo.processInfo.environment[Self.childVariable] else { return }
        let store = try TokenStore(path: path)
        let kept = try await store.mint(limit: 3, now: t0).token.text
        _ = try await store.redeem(token: kept, path: "door", now: t0)
        _ = try await store.redeem(token: kept, path: "door", now: t0)
        let spent = try await store.mint(now: t0).token.text
        _ = try await store.revoke(token: spent)
        try (kept + " " + spent).write(toFile: path + ".tokens", atomically: true, encoding: .utf8)
        kill(getpid(), SIGKILL)
    }
}
