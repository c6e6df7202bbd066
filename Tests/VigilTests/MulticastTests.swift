import Foundation
import XCTest

/// Multicast viewers (RFC 2326 §12.39): one copy of the stream on a group for all of them,
/// and silence on the group once the last one has left. Runs the vigil binary and ffmpeg in
/// a network namespace the test makes, whose loopback carries multicast.
final class MulticastTests: XCTestCase {
    var namespace = ""

    override func setUpWithError() throws {
        try TestEnvironment.require(getuid() == 0, "network namespaces need root")
        _ = try TestEnvironment.vigilBinary()
        namespace = "vigil-mc-\(getpid())"
        for command in [
            ["ip", "netns", "add", namespace],
            ["ip", "-n", namespace, "link", "set", "lo", "up"],
            ["ip", "-n", namespace, "link", "set", "lo", "multicast", "on"],
            // A host address for the viewers: reports to the group carry it as their source,
            // as they would from a viewer on a real network (loopback's own is host-scoped).
            ["ip", "-n", namespace, "addr", "add", "10.99.0.1/32", "dev", "lo"],
            ["ip", "-n", namespace, "route", "add", "224.0.0.0/4", "dev", "lo", "src", "10.99.0.1"],
        ] {
            let result = try runProcess("/usr/sbin/ip", Array(command.dropFirst()), timeout: 10)
            XCTAssertEqual(result.status, 0, "\(command): \(result.stderr)")
        }
    }

    override func tearDownWithError() throws {
        if !namespace.isEmpty { _ = try? runProcess("/usr/sbin/ip", ["netns", "del", namespace], timeout: 10) }
    }

    func inNamespace(_ arguments: [String]) -> [String] { ["netns", "exec", namespace] + arguments }

    func testTwoMulticastViewersDecodeAndTheGroupFallsSilentAfterThem() throws {
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        server.arguments = inNamespace([
            ExecutableTests.binary.path, "--port", "8554", "--width", "320", "--height", "240", "--bitrate", "1200", "--pattern", "noise",
            "--log-level", "debug",
        ])
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-multicast-\(getpid()).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let printed = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-multicast-\(getpid()).out")
        FileManager.default.createFile(atPath: printed.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: printed) }
        server.standardOutput = try FileHandle(forWritingTo: printed)
        server.standardError = try FileHandle(forWritingTo: log)
        try server.run()
        defer {
            server.interrupt()
            server.waitUntilExit()
        }
        // Until the listener is bound (it prints the URL then).
        let deadline = Date(timeIntervalSinceNow: 20)
        while Date() < deadline, !((try? String(contentsOf: printed, encoding: .utf8)) ?? "").contains("Vigil serving rtsp://") {
            Thread.sleep(forTimeInterval: 0.05)
        }
        let url = "rtsp://10.99.0.1:8554/live"

        // Two viewers at once, each decoding 4 s: ffmpeg sends a receiver report per ~280 kB.
        let outputs = LockedBox<[ProcessResult]>([])
        let viewers = DispatchGroup()
        let namespace = self.namespace
        for _ in 0..<2 {
            viewers.enter()
            DispatchQueue.global().async {
                let result = try? runProcess("/usr/sbin/ip", ["netns", "exec", namespace] + [
                    "/usr/bin/ffmpeg", "-nostdin", "-v", "error", "-rtsp_transport", "udp_multicast", "-t", "4", "-i", url,
                    "-map", "0:v:0", "-f", "rawvideo", "-pix_fmt", "gray", "-",
                ], timeout: 30)
                if let result { outputs.mutate { $0.append(result) } }
                viewers.leave()
            }
        }
        viewers.wait()
        XCTAssertEqual(outputs.value.count, 2)
        for result in outputs.value {
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertGreaterThanOrEqual(result.stdout.count / (320 * 240), 60, "a multicast viewer decoded ≥ 60 pictures")
        }

        // Their receiver reports went to the group's RTCP port, and Vigil heard them there.
        // (Two ffmpeg viewers on one host cannot be told apart: ffmpeg reports as the media
        // SSRC + 1, and both send from the group port. Viewers on different hosts can.)
        let logText = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        let heard = logText.split(separator: "\n").filter { $0.contains("multicast viewer reports to the group") && $0.contains("track=0") }
        XCTAssertEqual(Set(heard.compactMap { $0.split(separator: " ").first { $0.hasPrefix("session=") } }).count, 1, "the viewers' reports heard:\n\(heard.joined(separator: "\n"))")

        // After both have left (TEARDOWN), nothing is sent to the group: within 10 s the group
        // falls silent, and stays so for 1.5 s.
        func listen() throws -> ProcessResult {
            try runProcess("/usr/sbin/ip", inNamespace([
            "/usr/bin/python3", "-c", """
            import socket, struct, time
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("", 5004)); s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, struct.pack("4s4s", socket.inet_aton("239.255.42.1"), socket.inet_aton("127.0.0.1")))
            s.settimeout(0.2); n = 0; end = time.time() + 1.5
            while time.time() < end:
                try: s.recv(2048); n += 1
                except socket.timeout: pass
            print(n)
            """,
            ]), timeout: 10)
        }
        var listener = try listen()
        let silentBy = Date(timeIntervalSinceNow: 10)
        while listener.status == 0, String(decoding: listener.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) != "0", Date() < silentBy {
            listener = try listen()
        }
        XCTAssertEqual(listener.status, 0, listener.stderr)
        XCTAssertEqual(String(decoding: listener.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines), "0", "the group is silent without viewers")
    }
}
