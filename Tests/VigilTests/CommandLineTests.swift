import Access
import Foundation
import VigilKit
import XCTest

/// The command line: every subcommand with --help, version, check-config's exit codes and
/// messages, and the refusals of `run` before it starts anything.
final class CommandLineTests: XCTestCase {
    var binary: String { ExecutableTests.binary.path }

    override func setUpWithError() throws {
        _ = try TestEnvironment.vigilBinary()
    }

    func testEverySubcommandHasHelp() throws {
        let root = try runProcess(binary, ["--help"])
        XCTAssertEqual(root.status, 0)
        let rootText = String(decoding: root.stdout, as: UTF8.self)
        for name in ["run (default)", "devices", "check-config", "status", "passwd", "version"] {
            XCTAssertTrue(rootText.contains(name), "\(name) listed: \(rootText)")
        }
        for name in ["run", "devices", "check-config", "status", "passwd", "version"] {
            let result = try runProcess(binary, [name, "--help"])
            XCTAssertEqual(result.status, 0, name)
            XCTAssertTrue(String(decoding: result.stdout, as: UTF8.self).contains("USAGE: vigil \(name)"), name)
        }
        let run = String(decoding: try runProcess(binary, ["run", "--help"]).stdout, as: UTF8.self)
        XCTAssertTrue(run.contains("--config <config>"))
        XCTAssertTrue(run.contains("--http-port <http-port>"))
    }

    func testVersion() throws {
        let result = try runProcess(binary, ["version"])
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(String(decoding: result.stdout, as: UTF8.self), "vigil 0.3.0\n")
        XCTAssertEqual(String(decoding: try runProcess(binary, ["--version"]).stdout, as: UTF8.self), "0.3.0\n")
    }

    func testCheckConfigExitCodesAndMessages() throws {
        let example = ConfigTests.root.appendingPathComponent("Systemd/vigil.toml").path
        let good = try runProcess(binary, ["check-config", example])
        XCTAssertEqual(good.status, 0, good.stderr)
        let goodText = String(decoding: good.stdout, as: UTF8.self)
        XCTAssertTrue(goodText.hasPrefix("\(example): OK\n"), goodText)
        XCTAssertTrue(goodText.contains("stream live (synthetic, 1280x720@30, 2000 kbit/s)"), goodText)

        let bad = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-bad-\(UUID()).toml")
        defer { try? FileManager.default.removeItem(at: bad) }
        try "[rtsp]\nport = 99999\n\n[[stream]]\n[stream.video]\nfps = \"x\"\ncolour = 1\n".write(to: bad, atomically: true, encoding: .utf8)
        let result = try runProcess(binary, ["check-config", bad.path])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr.split(separator: "\n").map(String.init), [
            "\(bad.path):2: rtsp.port: must be 0...65535, got 99999",
            "\(bad.path):6: stream.video.fps: must be an integer in 1...120, got a string",
            "\(bad.path):7: stream.video.colour: unknown key; allowed in [stream.video]: source, width, height, fps, codec, bitrate, preset, tune, profile, keyint, threads, adaptive_bitrate, adaptive_policy, rtcp_profile, retransmission, min_bitrate, device, file, format, loop, pattern",
            "\(bad.path): 3 problems; not usable",
        ])

        let missing = try runProcess(binary, ["check-config", bad.path + ".missing"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("no such file"))
    }

    func testRunRefusesBadConfigAndMixedOptionsBeforeStarting() throws {
        let bad = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-bad-\(UUID()).toml")
        defer { try? FileManager.default.removeItem(at: bad) }
        try "[log]\nlevel = \"loud\"\n".write(to: bad, atomically: true, encoding: .utf8)
        let refused = try runProcess(binary, ["run", "--config", bad.path], timeout: 20)
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("config problem: line 2: log.level: must be one of"), refused.stderr)

        let mixed = try runProcess(binary, ["run", "--config", bad.path, "--port", "9000"], timeout: 20)
        XCTAssertNotEqual(mixed.status, 0)
        XCTAssertTrue(mixed.stderr.contains("--port and --config do not mix"), mixed.stderr)
    }

    /// Runs the binary with `input` on stdin.
    func run(_ arguments: [String], input: String) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    /// `vigil passwd`: the printed line verifies the password, and its MD5 HA1 is what an
    /// independent implementation (Python's hashlib) computes for user:realm:password.
    func testPasswdPrintsACredentialLineThatVerifies() throws {
        try TestEnvironment.requireExecutables(["/usr/bin/python3"])
        for (user, realm, password) in [("alice", "Porch", "correct horse"), ("bob", "Vigil", "p\u{e4}ss:w$rd\"")] {
            var arguments = ["passwd", "--user", user]
            if realm != "Vigil" { arguments += ["--realm", realm] }
            let result = try run(arguments, input: password + "\nsecond line ignored\n")
            XCTAssertEqual(result.status, 0, result.stderr)
            let printed = result.stdout
            XCTAssertTrue(printed.hasPrefix("password = \"v1$\(realm)$pbkdf2-sha256$\(StoredCredential.defaultIterations)$"), printed)
            XCTAssertTrue(printed.hasSuffix("\"\n"), printed)
            let line = String(printed.dropFirst("password = \"".count).dropLast(2))
            let credential = try StoredCredential(line)
            XCTAssertEqual(credential.realm, realm)
            XCTAssertTrue(credential.verify(password: password))
            XCTAssertFalse(credential.verify(password: password + "x"))
            let python = try runProcess("/usr/bin/python3", [
                "-c", "import hashlib, sys; print(hashlib.md5(sys.argv[1].encode('utf-8')).hexdigest())", "\(user):\(realm):\(password)",
            ])
            XCTAssertEqual(python.status, 0, python.stderr)
            XCTAssertEqual(credential.ha1(for: .md5), String(decoding: python.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
            // The line is what the config takes.
            let config = try VigilConfigFile.parse("[access]\nrealm = \"\(realm)\"\n[[user]]\nname = \"\(user)\"\n\(printed)")
            XCTAssertEqual(config.access.users.map(\.name), [user])
        }
        // A fresh salt each time: the same password never gives the same line.
        let once = try run(["passwd", "--user", "alice"], input: "pw\n")
        let twice = try run(["passwd", "--user", "alice"], input: "pw\n")
        XCTAssertNotEqual(once.stdout, twice.stdout)

        for input in ["", "\n"] {
            let empty = try run(["passwd", "--user", "alice"], input: input)
            XCTAssertEqual(empty.status, 1)
            XCTAssertTrue(empty.stderr.contains("no password on stdin"), empty.stderr)
            XCTAssertEqual(empty.stdout, "")
        }
        let colon = try run(["passwd", "--user", "a:b"], input: "pw\n")
        XCTAssertEqual(colon.status, 1)
        XCTAssertTrue(colon.stderr.contains("has a colon"), colon.stderr)
    }

    func testStatusSaysWhenNoDaemonAnswers() throws {
        let result = try runProcess(binary, ["status", "--api", "127.0.0.1:1"], timeout: 20)
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("cannot reach the API at 127.0.0.1:1"), result.stderr)
    }
}
