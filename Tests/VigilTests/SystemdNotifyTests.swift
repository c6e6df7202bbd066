import Foundation
import NIOCore
import NIOPosix
import VigilKit
import XCTest

/// The `vigil` binary as systemd runs it (Type=notify, WatchdogSec=), with a notify socket the
/// test binds: READY=1 once the listeners answer, STATUS= with streams and viewers, WATCHDOG=1
/// only while pictures flow (the source is a FIFO the test stops feeding), RELOADING=1 with
/// MONOTONIC_USEC= and READY=1 around SIGHUP reloads (good and bad files), STOPPING=1 at
/// SIGTERM. The log is in journal form: one line per event with a syslog priority prefix.
final class SystemdNotifyTests: XCTestCase {
    func config(fifo: String, udpBase: Int, extraStream: Bool = false, badFPS: Bool = false) -> String {
        var text = """
            [rtsp]
            host = "127.0.0.1"
            port = 0
            udp_port_base = \(udpBase)
            [http]
            port = 0
            [log]
            level = "info"

            [[stream]]
            path = "cam"
            [stream.video]
            source = "raw"
            file = "\(fifo)"
            format = "i420"
            width = 160
            height = 120
            fps = \(badFPS ? "121" : "10")
            bitrate = 200
            threads = 1
            [stream.audio]
            enabled = false

            """
        if extraStream {
            text += """
                [[stream]]
                path = "extra"
                [stream.video]
                width = 160
                height = 120
                fps = 10
                bitrate = 100
                threads = 1
                [stream.audio]
                enabled = false

                """
        }
        return text
    }

    /// sd_notify(3): a NOTIFY_SOCKET starting with @ is in the abstract namespace; a path is a
    /// file. Both get the datagram as written; without NOTIFY_SOCKET there is no notifier, and
    /// the watchdog interval is half WATCHDOG_USEC, only for this process.
    func testNotifierReachesPathAndAbstractSockets() async throws {
        for abstract in [false, true] {
            let socket = try NotifySocket(abstract: abstract)
            defer { socket.close() }
            let notifier = try XCTUnwrap(SystemdNotifier.fromEnvironment(["NOTIFY_SOCKET": socket.path]))
            XCTAssertTrue(notifier.send("READY=1\nSTATUS=test"))
            let got = try await socket.wait(for: "READY=1", timeout: 3)
            XCTAssertEqual(got.message, "READY=1\nSTATUS=test")
        }
        XCTAssertNil(SystemdNotifier.fromEnvironment([:]))
        XCTAssertEqual(SystemdNotifier.watchdogInterval(["WATCHDOG_USEC": "20000000"]), .seconds(10))
        XCTAssertEqual(SystemdNotifier.watchdogInterval(["WATCHDOG_USEC": "20000000", "WATCHDOG_PID": "\(getpid())"]), .seconds(10))
        XCTAssertNil(SystemdNotifier.watchdogInterval(["WATCHDOG_USEC": "20000000", "WATCHDOG_PID": "1"]), "meant for another process")
        XCTAssertNil(SystemdNotifier.watchdogInterval([:]))
    }

    func testNotifyReadyStatusWatchdogReloadAndStopping() async throws {
        let binary = try TestEnvironment.vigilBinary()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-notify-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let notify = try NotifySocket()
        defer { notify.close() }
        let feeder = try FIFOFeeder(directory: directory, width: 160, height: 120, fps: 10)
        defer { feeder.close() }
        let udpBase = 42_000 + Int.random(in: 0..<3000) * 2
        let file = directory.appendingPathComponent("vigil.toml")
        try config(fifo: feeder.path, udpBase: udpBase).write(to: file, atomically: true, encoding: .utf8)

        let start = Date()
        let daemon = try DaemonProcess(binary: binary, arguments: ["run", "--config", file.path], environment: [
            "NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "1000000", "JOURNAL_STREAM": "8:12345",
        ])
        defer { if daemon.process.isRunning { daemon.signal(SIGKILL) } }

        // READY=1, with STATUS=, once both listeners are bound.
        let ready = try await notify.wait(for: "READY=1", after: start, timeout: 20)
        XCTAssertTrue(ready.message.contains("STATUS=Serving 1 stream — cam: 0 viewers"), ready.message)
        XCTAssertEqual(notify.messages.first?.message, ready.message, "READY=1 is the first notification")
        let rtspPort = try await Int(daemon.waitForStdout(#"Vigil serving rtsp://127\.0\.0\.1:(\d+)/cam"#)) ?? 0
        let apiPort = try await Int(daemon.waitForStdout(#"Vigil API http://127\.0\.0\.1:(\d+)/"#)) ?? 0
        XCTAssertGreaterThan(rtspPort, 0)
        XCTAssertGreaterThan(apiPort, 0)

        // WATCHDOG=1 every half WATCHDOG_USEC while pictures flow.
        await waitUntil { notify.messages(with: "WATCHDOG=1").filter { $0.at > ready.at }.count >= 2 }
        XCTAssertGreaterThanOrEqual(notify.messages(with: "WATCHDOG=1").filter { $0.at > ready.at }.count, 2)

        // A viewer shows in STATUS=, and `vigil status` reads the API.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let viewer = try await TestViewer.start(port: rtspPort, url: "rtsp://127.0.0.1:\(rtspPort)/cam", transport: .udp, group: group)
        _ = try await notify.wait(for: "STATUS=Serving 1 stream — cam: 1 viewer", after: ready.at, timeout: 5)
        let status = try runProcess(binary.path, ["status", "--api", "127.0.0.1:\(apiPort)"], timeout: 10)
        XCTAssertEqual(status.status, 0, status.stderr)
        let printed = String(decoding: status.stdout, as: UTF8.self)
        XCTAssertTrue(printed.contains("cam  rtsp://127.0.0.1:\(rtspPort)/cam"), printed)
        XCTAssertTrue(printed.contains("video  raw \(feeder.path)  h264 160x120@10"), printed)
        XCTAssertTrue(printed.contains("viewers 1"), printed)
        let json = try runProcess(binary.path, ["status", "--api", "127.0.0.1:\(apiPort)", "--json"], timeout: 10)
        XCTAssertTrue(String(decoding: json.stdout, as: UTF8.self).contains("\"frames_encoded\""))

        // SIGHUP with a second stream: RELOADING=1 + MONOTONIC_USEC=, then READY=1; cam's
        // viewer goes on without a gap.
        try config(fifo: feeder.path, udpBase: udpBase, extraStream: true).write(to: file, atomically: true, encoding: .utf8)
        let hup = Date()
        daemon.signal(SIGHUP)
        let reloading = try await notify.wait(for: "RELOADING=1", after: hup)
        let monotonic = reloading.message.split(separator: "\n").first { $0.hasPrefix("MONOTONIC_USEC=") }
        XCTAssertGreaterThan(UInt64(monotonic?.dropFirst("MONOTONIC_USEC=".count) ?? "") ?? 0, 0, reloading.message)
        let reloaded = try await notify.wait(for: "READY=1", after: reloading.at)
        XCTAssertTrue(reloaded.message.contains("STATUS=Serving 2 streams — cam: 1 viewer; extra: 0 viewers"), reloaded.message)

        // SIGHUP with a bad file: refused, logged with its problem; RELOADING/READY still pair up.
        try config(fifo: feeder.path, udpBase: udpBase, extraStream: true, badFPS: true).write(to: file, atomically: true, encoding: .utf8)
        let badHup = Date()
        daemon.signal(SIGHUP)
        let badReloading = try await notify.wait(for: "RELOADING=1", after: badHup)
        let badReady = try await notify.wait(for: "READY=1", after: badReloading.at)
        XCTAssertTrue(badReady.message.contains("extra: 0 viewers"), "the running configuration stays: \(badReady.message)")
        await waitUntil(timeout: 5) { daemon.stderr.value.contains("<3>vigil: reload refused") }
        XCTAssertTrue(daemon.stderr.value.contains("<3>vigil: config problem: line 18: stream.video.fps: must be 1...120, got 121"), daemon.stderr.value)
        XCTAssertTrue(daemon.stderr.value.contains("<3>vigil: reload refused; the running configuration stays"))
        XCTAssertEqual(sequenceGaps(viewer.rtpPackets(track: 0)), 0, "cam's viewer saw no gap across both reloads")

        // The FIFO goes quiet: the encoder has nothing, so WATCHDOG=1 stops (systemd would
        // restart the service after WatchdogSec).
        feeder.feeding.value = false
        let stalled = Date()
        // The stall limit is 1 s (the larger of 1 s and five frame intervals), checked every
        // 0.5 s; the pipe may still hold a picture or two. Pings must end well inside 2.5 s.
        let warning = "<4>vigil: no picture encoded; withholding the systemd watchdog"
        let warned = await waitUntil(timeout: 10) { daemon.stderr.value.contains(warning) }
        XCTAssertTrue(warned, daemon.stderr.value)
        // The warning is logged when the pings stop: none may follow it for three ping periods.
        try await Task.sleep(nanoseconds: 1_500_000_000)
        let lastPing = notify.messages(with: "WATCHDOG=1").last?.at ?? .distantPast
        XCTAssertLessThan(lastPing.timeIntervalSince(stalled), 2.5, "no WATCHDOG=1 once the stall is past its limit")
        // Fed again, the pings come back.
        feeder.feeding.value = true
        _ = try await notify.wait(for: "WATCHDOG=1", after: Date(), timeout: 5)

        // SIGTERM: STOPPING=1, then a clean exit.
        let term = Date()
        daemon.signal(SIGTERM)
        _ = try await notify.wait(for: "STOPPING=1", after: term)
        let exit = try await daemon.waitForExit()
        XCTAssertEqual(exit, 0)

        // The journal form: every line carries a priority; info is lifecycle only, never per frame.
        let lines = daemon.stderr.value.split(separator: "\n")
        XCTAssertTrue(lines.allSatisfy { $0.range(of: #"^<[0-7]>"#, options: .regularExpression) != nil }, "\(lines)")
        XCTAssertLessThan(lines.count, 40, "at info, one line per event: \(lines.joined(separator: "\n"))")
        await viewer.close()
        try await group.shutdownGracefully()
    }
}
