import Foundation
import XCTest

/// Multicast viewers (RFC 2326 §12.39): one copy of the stream on a group for all of them,
/// and silence on the group once the last one has left. Runs the vigil binary and ffmpeg in
/// a network namespace the test makes, whose loopback carries multicast.
final class MulticastTests: XCTestCase {
    var namespace = ""

    override func setUpWithError() throws {
        try XCTSkipUnless(getuid() == 0, "network namespaces need root")
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: ExecutableTests.binary.path), "vigil binary not built")
        namespace = "vigil-mc-\(getpid())"
        for command in [
            ["ip", "netns", "add", namespace],
            ["ip", "-n", namespace, "link", "set", "lo", "up"],
            ["ip", "-n", namespace, "link", "set", "lo", "multicast", "on"],
            ["ip", "-n", namespace, "route", "add", "224.0.0.0/4", "dev", "lo"],
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
            ExecutableTests.binary.path, "--port", "8554", "--width", "320", "--height", "240", "--bitrate", "400",
            "--log-level", "warning",
        ])
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            server.interrupt()
            server.waitUntilExit()
        }
        Thread.sleep(forTimeInterval: 1.5)
        let url = "rtsp://127.0.0.1:8554/live"

        // Two viewers at once, each decoding 3 s.
        let outputs = LockedBox<[ProcessResult]>([])
        let viewers = DispatchGroup()
        let namespace = self.namespace
        for _ in 0..<2 {
            viewers.enter()
            DispatchQueue.global().async {
                let result = try? runProcess("/usr/sbin/ip", ["netns", "exec", namespace] + [
                    "/usr/bin/ffmpeg", "-nostdin", "-v", "error", "-rtsp_transport", "udp_multicast", "-t", "3", "-i", url,
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

        // After both have left (TEARDOWN), nothing is sent to the group.
        Thread.sleep(forTimeInterval: 0.5)
        let listener = try runProcess("/usr/sbin/ip", inNamespace([
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
        XCTAssertEqual(listener.status, 0, listener.stderr)
        XCTAssertEqual(String(decoding: listener.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines), "0", "the group is silent without viewers")
    }
}
