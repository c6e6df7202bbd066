import Foundation
import XCTest

/// The release package, built here by `Scripts/build-release` (optimized, static Swift
/// runtime, stripped): its control data and files as dpkg-deb shows them, and its binary,
/// extracted into a scratch root, serving the shipped config's stream to ffprobe.
final class DebPackageTests: XCTestCase {
    /// `Scripts/build-release --fast`: run here, or, when the whole suite runs, the one
    /// `Scripts/test` started in the background (VIGIL_RELEASE_BUILD names its folder), waited for.
    static func releaseBuild(root: URL) async throws -> (status: Int32, stdout: Data, stderr: String) {
        guard let folder = ProcessInfo.processInfo.environment["VIGIL_RELEASE_BUILD"], !folder.isEmpty else {
            let build = try runProcess("/bin/bash", [root.appendingPathComponent("Scripts/build-release").path, "--fast"], timeout: 1500)
            return (build.status, build.stdout, build.stderr)
        }
        let directory = URL(fileURLWithPath: folder)
        let status = directory.appendingPathComponent("status")
        let deadline = Date().addingTimeInterval(1500)
        while !FileManager.default.fileExists(atPath: status.path) {
            guard Date() < deadline else { return (-1, Data(), "the background Scripts/build-release did not finish in 1500 s") }
            try await Task.sleep(for: .seconds(1))
        }
        func read(_ name: String) -> Data { (try? Data(contentsOf: directory.appendingPathComponent(name))) ?? Data() }
        let code = Int32(String(decoding: read("status"), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        return (code, read("stdout"), String(decoding: read("stderr"), as: UTF8.self))
    }

    func testReleasePackageInstallsAndServes() async throws {
        let root = ConfigTests.root
        try TestEnvironment.requireExecutables(["/usr/bin/dpkg-deb", "/usr/bin/dpkg-shlibdeps", "/usr/bin/ffprobe"])
        let started = Date()
        let build = try await Self.releaseBuild(root: root)
        let buildSeconds = Date().timeIntervalSince(started)
        // A release that cannot link statically is a release that cannot ship: a failure.
        guard build.status == 0 else {
            return XCTFail("Scripts/build-release failed (\(build.status)): \(build.stderr.suffix(3000))")
        }
        let debPath = String(decoding: build.stdout, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
        let deb = debPath.hasPrefix("/") ? debPath : root.appendingPathComponent(debPath).path
        let size = (try? FileManager.default.attributesOfItem(atPath: deb)[.size] as? Int) ?? 0
        print("build-release (or the wait for the one Scripts/test started): \(Int(buildSeconds)) s, \(deb) is \(size) bytes")

        // Control data: Depends from dpkg-shlibdeps names the media libraries; the config is a conffile.
        let info = String(decoding: try runProcess("/usr/bin/dpkg-deb", ["-I", deb]).stdout, as: UTF8.self)
        XCTAssertTrue(info.contains("Package: vigil"), info)
        let depends = try XCTUnwrap(info.split(separator: "\n").first { $0.hasPrefix(" Depends: ") }, info)
        for library in ["libx264-", "libv4l-0 (>= ", "libasound2 (>= ", "libturbojpeg0 (>= ", "libc6 (>= "] {
            XCTAssertTrue(depends.contains(library), "\(library) in \(depends)")
        }
        XCTAssertFalse(depends.contains("swift"), "the Swift runtime is linked in: \(depends)")
        let files = String(decoding: try runProcess("/usr/bin/dpkg-deb", ["-c", deb]).stdout, as: UTF8.self)
        for path in ["./usr/bin/vigil", "./usr/lib/systemd/system/vigil.service", "./etc/vigil/vigil.toml", "./usr/share/doc/vigil/README.md"] {
            XCTAssertTrue(files.contains(" \(path)\n"), "\(path) in the package:\n\(files)")
        }
        XCTAssertTrue(files.contains("root/root"), "owned by root")

        // Extract into a scratch root (no maintainer scripts, no systemd needed).
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-root-\(UUID())")
        defer { try? FileManager.default.removeItem(at: scratch) }
        XCTAssertEqual(try runProcess("/usr/bin/dpkg", ["-x", deb, scratch.path]).status, 0)
        let control = scratch.appendingPathComponent("DEBIAN")
        XCTAssertEqual(try runProcess("/usr/bin/dpkg-deb", ["-e", deb, control.path]).status, 0)
        XCTAssertEqual(try String(contentsOf: control.appendingPathComponent("conffiles"), encoding: .utf8), "/etc/vigil/vigil.toml\n")
        let shipped = try String(contentsOf: scratch.appendingPathComponent("etc/vigil/vigil.toml"), encoding: .utf8)
        XCTAssertEqual(shipped, try String(contentsOf: root.appendingPathComponent("Systemd/vigil.toml"), encoding: .utf8))
        let binary = scratch.appendingPathComponent("usr/bin/vigil").path
        let sections = try runProcess("/usr/bin/readelf", ["-S", "-W", binary])
        XCTAssertFalse(String(decoding: sections.stdout, as: UTF8.self).contains(".symtab"), "stripped")
        XCTAssertEqual(String(decoding: try runProcess(binary, ["version"]).stdout, as: UTF8.self), "vigil 0.3.0\n")
        XCTAssertEqual(try runProcess(binary, ["check-config", scratch.appendingPathComponent("etc/vigil/vigil.toml").path]).status, 0)

        // The packaged binary serves the shipped config (on free ports, loopback only).
        let config = scratch.appendingPathComponent("etc/vigil/test.toml")
        try shipped
            .replacingOccurrences(of: "host = \"0.0.0.0\"", with: "host = \"127.0.0.1\"")
            .replacingOccurrences(of: "port = 8554", with: "port = 0")
            .replacingOccurrences(of: "port = 8080", with: "port = 0")
            .replacingOccurrences(of: "udp_port_base = 6970", with: "udp_port_base = \(44_000 + Int.random(in: 0..<2000) * 2)")
            .write(to: config, atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(binary: URL(fileURLWithPath: binary), arguments: ["run", "--config", config.path])
        defer { if daemon.process.isRunning { daemon.signal(SIGKILL) } }
        let port = try await daemon.waitForStdout(#"Vigil serving rtsp://127\.0\.0\.1:(\d+)/live"#)
        let probe = try runProcess("ffprobe", [
            "-v", "error", "-rtsp_transport", "tcp", "-show_entries", "stream=codec_name,width,height,sample_rate",
            "-of", "compact", "rtsp://127.0.0.1:\(port)/live",
        ], timeout: 30)
        let streams = String(decoding: probe.stdout, as: UTF8.self)
        XCTAssertEqual(probe.status, 0, probe.stderr)
        XCTAssertTrue(streams.contains("codec_name=h264|width=1280|height=720"), streams)
        XCTAssertTrue(streams.contains("codec_name=pcm_mulaw"), streams)
        daemon.signal(SIGTERM)
        let exit = try await daemon.waitForExit()
        XCTAssertEqual(exit, 0, daemon.stderr.value)
    }
}
