import Foundation
import XCTest

/// The unit file: systemd accepts it (`systemd-analyze verify`), its hardening rates at most
/// 2.5 ("OK") in `systemd-analyze security`, and it asks for what the daemon does.
final class SystemdUnitTests: XCTestCase {
    static var unit: URL { ConfigTests.root.appendingPathComponent("Systemd/vigil.service") }

    /// The unit with ExecStart pointing at the binary just built (verify checks it exists).
    func unitForThisBuild() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-unit-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let text = try String(contentsOf: Self.unit, encoding: .utf8)
            .replacingOccurrences(of: "/usr/bin/vigil", with: ExecutableTests.binary.path)
        let copy = directory.appendingPathComponent("vigil.service")
        try text.write(to: copy, atomically: true, encoding: .utf8)
        return copy
    }

    func testSystemdAnalyzeVerifyAcceptsTheUnit() throws {
        try TestEnvironment.requireExecutables(["/usr/bin/systemd-analyze"])
        _ = try TestEnvironment.vigilBinary()
        let copy = try unitForThisBuild()
        defer { try? FileManager.default.removeItem(at: copy.deletingLastPathComponent()) }
        let result = try runProcess("/usr/bin/systemd-analyze", ["verify", copy.path], timeout: 30)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines), "", "no warnings")
    }

    func testSecurityExposureIsAtMost2Point5() throws {
        try TestEnvironment.requireExecutables(["/usr/bin/systemd-analyze"])
        let result = try runProcess("/usr/bin/systemd-analyze", ["security", "--offline=true", "--no-pager", Self.unit.path], timeout: 30)
        let output = String(decoding: result.stdout, as: UTF8.self) + result.stderr
        let line = try XCTUnwrap(output.split(separator: "\n").first { $0.contains("Overall exposure level") }, output)
        let number = try XCTUnwrap(line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) }, String(line))
        print("systemd-analyze security: exposure \(number)")
        XCTAssertLessThanOrEqual(number, 2.5, String(line))
    }

    func testUnitAsksForNotifyWatchdogRestartAndHardening() throws {
        let text = try String(contentsOf: Self.unit, encoding: .utf8)
        let settings = text.split(separator: "\n").filter { !$0.hasPrefix("#") && $0.contains("=") }.map(String.init)
        func values(_ key: String) -> [String] {
            settings.filter { $0.hasPrefix("\(key)=") }.map { String($0.dropFirst(key.count + 1)) }
        }
        XCTAssertEqual(values("Type"), ["notify"])
        XCTAssertEqual(values("ExecStart"), ["/usr/bin/vigil run"], "reads /etc/vigil/vigil.toml; missing means the synthetic default")
        XCTAssertEqual(values("ExecReload"), ["/bin/kill -HUP $MAINPID"])
        XCTAssertEqual(values("Restart"), ["on-failure"])
        XCTAssertEqual(values("WatchdogSec").count, 1)
        XCTAssertEqual(values("NoNewPrivileges"), ["yes"])
        XCTAssertEqual(values("ProtectSystem"), ["strict"])
        XCTAssertEqual(values("PrivateTmp"), ["yes"])
        XCTAssertEqual(values("StateDirectory"), ["vigil"])
        XCTAssertEqual(values("DevicePolicy"), ["closed"])
        XCTAssertEqual(Set(values("DeviceAllow")), ["char-video4linux rw", "char-alsa rw"], "video and sound devices only")
    }
}
