import Foundation
import NIOCore
import NIOPosix
import ServeWire
import VigilKit
import XCTest

/// Reload (SIGHUP re-reads the file): per-stream diff. An unchanged stream keeps its hub,
/// pipeline and viewers — its RTP sequence runs on without a gap; a changed one restarts; a
/// bad file changes nothing.
final class ReloadTests: XCTestCase {
    static func twoStreams() -> VigilSettings {
        var settings = VigilFixture.smallSettings()
        var b = settings.streams[0]
        settings.streams[0].path = "a"
        b.path = "b"
        b.video.bitrateKbps = 300
        settings.streams.append(b)
        return settings
    }

    static func configText(_ fixture: VigilFixture, bBitrate: Int, extra: String = "") -> String {
        let settings = fixture.vigil.settings
        func stream(_ path: String, bitrate: Int) -> String {
            """
            [[stream]]
            path = "\(path)"
            [stream.video]
            width = 320
            height = 240
            fps = 30
            bitrate = \(bitrate)
            threads = 1

            """
        }
        return """
            [rtsp]
            host = "127.0.0.1"
            port = 0
            udp_port_base = \(settings.rtsp.udpPortBase)
            [http]
            enabled = false
            [webrtc]
            port = \(settings.webRTC.port)
            [log]
            level = "warning"

            """ + stream("a", bitrate: 500) + stream("b", bitrate: bBitrate) + extra
    }

    func testUnchangedStreamKeepsItsViewerWithoutASequenceGap() async throws {
        let fixture = try await VigilFixture(settings: Self.twoStreams())
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let hubA = fixture.vigil.streams[0].hub
        let pipelineA = fixture.vigil.streams[0].pipeline
        let hubB = fixture.vigil.streams[1].hub
        let viewerA = try await TestViewer.start(port: fixture.port, url: fixture.url("a"), transport: .udp, group: group)
        let viewerB = try await TestViewer.start(port: fixture.port, url: fixture.url("b"), transport: .tcp, group: group)
        await waitUntil { viewerA.rtpPackets(track: 0).count > 5 }
        let before = viewerA.rtpPackets(track: 0).count
        XCTAssertGreaterThan(before, 5)

        // The file: a unchanged, b at a new bitrate, c new.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-reload-\(UUID()).toml")
        defer { try? FileManager.default.removeItem(at: file) }
        let extra = "[[stream]]\npath = \"c\"\n[stream.video]\nwidth = 320\nheight = 240\nbitrate = 200\nthreads = 1\n[stream.audio]\nenabled = false\n"
        try Self.configText(fixture, bBitrate: 400, extra: extra).write(to: file, atomically: true, encoding: .utf8)
        let result = await fixture.vigil.reload(from: file.path, missingIsDefault: false)
        let outcome = try result.get()
        XCTAssertEqual(outcome.kept, ["a"])
        XCTAssertEqual(outcome.restarted, ["b"])
        XCTAssertEqual(outcome.added, ["c"])
        XCTAssertEqual(outcome.removed, [])
        XCTAssertEqual(outcome.needsRestart, [], "the listeners in the file are the running ones")
        XCTAssertEqual(VigilLogHandler.level, .warning, "[log] level applies at once")
        VigilLogHandler.level = .info
        XCTAssertEqual(fixture.vigil.streams.map(\.path), ["a", "b", "c"])
        XCTAssertTrue(fixture.vigil.streams[0].hub === hubA, "a keeps its hub")
        XCTAssertTrue(fixture.vigil.streams[0].pipeline === pipelineA, "a keeps its pipeline")
        XCTAssertFalse(fixture.vigil.streams[1].hub === hubB, "b was rebuilt")
        XCTAssertEqual(fixture.vigil.streams[1].settings.video.bitrateKbps, 400)

        await waitUntil { viewerA.rtpPackets(track: 0).count > before + 10 && !viewerB.goodbyes(track: 0).isEmpty }
        // a's viewer went on receiving, every packet in sequence across the reload.
        let packets = viewerA.rtpPackets(track: 0)
        XCTAssertGreaterThan(packets.count, before + 10, "a's viewer still receives")
        XCTAssertEqual(sequenceGaps(packets), 0, "no RTP sequence gap across the reload")
        XCTAssertEqual(Set(packets.map(\.header.ssrc)).count, 1, "same SSRC: same stream, not a restart")
        XCTAssertTrue(viewerA.rtcpPackets(track: 0).flatMap { $0 }.allSatisfy {
            if case .goodbye = $0 { return false }
            return true
        }, "no BYE for a")
        // b's viewer was told goodbye; b and c can be played now.
        let byes = viewerB.rtcpPackets(track: 0).flatMap { $0 }.filter {
            if case .goodbye = $0 { return true }
            return false
        }
        XCTAssertEqual(byes.count, 1, "b's viewer got a BYE when b restarted")
        for path in ["b", "c"] {
            let viewer = try await TestViewer.start(port: fixture.port, url: fixture.url(path), transport: .udp, group: group)
            await waitUntil { viewer.rtpPackets(track: 0).count > 5 }
            XCTAssertGreaterThan(viewer.rtpPackets(track: 0).count, 5, "\(path) plays after the reload")
            await viewer.close()
        }

        // Removing b: its path is gone, a still untouched.
        // The HTTP listener and the WebRTC server change too: they need a restart, so they are
        // reported, not applied.
        let maxPeers = fixture.vigil.settings.webRTC.maxPeers
        try (Self.configText(fixture, bBitrate: 400).replacingOccurrences(of: "path = \"b\"", with: "path = \"b2\"")
            .replacingOccurrences(of: "enabled = false", with: "enabled = true\nport = 0")
            .replacingOccurrences(of: "[webrtc]\n", with: "[webrtc]\nmax_peers = \(maxPeers + 1)\n"))
            .write(to: file, atomically: true, encoding: .utf8)
        let second = try await fixture.vigil.reload(from: file.path, missingIsDefault: false).get()
        XCTAssertEqual(second.needsRestart, ["http", "webrtc"])
        XCTAssertFalse(fixture.vigil.settings.http.enabled, "listeners stay as they started")
        XCTAssertEqual(fixture.vigil.settings.webRTC.maxPeers, maxPeers, "the WebRTC server keeps the limits it started with")
        XCTAssertNil(fixture.vigil.statusAPI)
        XCTAssertEqual(second.kept, ["a"])
        XCTAssertEqual(Set(second.removed), ["b", "c"])
        XCTAssertEqual(second.added, ["b2"])
        let probe = try await TestRTSPClient.connect(port: fixture.port, group: group)
        let describe = try await probe.request("DESCRIBE", fixture.url("c"), headers: [("Accept", "application/sdp")])
        XCTAssertEqual(describe.status.code, 404, "a removed stream's path is gone")
        await probe.close()
        XCTAssertEqual(sequenceGaps(viewerA.rtpPackets(track: 0)), 0)

        await viewerA.close()
        await viewerB.close()
        try await fixture.stop()
        try await group.shutdownGracefully()
    }

    func testBadFileIsRefusedAndEverythingKeepsRunning() async throws {
        let fixture = try await VigilFixture(settings: Self.twoStreams())
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let streams = fixture.vigil.streams
        let settings = fixture.vigil.settings
        let viewer = try await TestViewer.start(port: fixture.port, url: fixture.url("b"), transport: .udp, group: group)
        await waitUntil { viewer.rtpPackets(track: 0).count > 5 }

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-bad-\(UUID()).toml")
        defer { try? FileManager.default.removeItem(at: file) }
        let bad = Self.configText(fixture, bBitrate: 999_999).replacingOccurrences(of: "fps = 30", with: "fps = \"fast\"")
        try bad.write(to: file, atomically: true, encoding: .utf8)
        let result = await fixture.vigil.reload(from: file.path, missingIsDefault: false)
        guard case .failure(let error) = result else { return XCTFail("a bad file is refused") }
        XCTAssertEqual(error.problems.map(\.key), ["stream.video.fps", "stream.video.fps", "stream.video.bitrate"])
        XCTAssertTrue(error.problems.allSatisfy { $0.line != nil })

        XCTAssertEqual(fixture.vigil.settings, settings, "the running configuration stays")
        XCTAssertTrue(zip(fixture.vigil.streams, streams).allSatisfy { $0 === $1 }, "the same streams run")
        let count = viewer.rtpPackets(track: 0).count
        await waitUntil { viewer.rtpPackets(track: 0).count > count + 5 }
        XCTAssertGreaterThan(viewer.rtpPackets(track: 0).count, count + 5, "the viewer still receives")
        XCTAssertEqual(sequenceGaps(viewer.rtpPackets(track: 0)), 0)

        // A file that is not there at all (explicit path) is refused the same way.
        let missing = await fixture.vigil.reload(from: file.path + ".missing", missingIsDefault: false)
        if case .success = missing { XCTFail("a missing explicit file is refused") }
        XCTAssertTrue(zip(fixture.vigil.streams, streams).allSatisfy { $0 === $1 })

        await viewer.close()
        try await fixture.stop()
        try await group.shutdownGracefully()
    }

    /// A stream that cannot be built (its raw input is missing) is reported and left out; the
    /// others run on, and the next reload tries it again.
    func testStreamThatCannotStartIsReportedAndOthersRunOn() async throws {
        let fixture = try await VigilFixture(settings: Self.twoStreams())
        let streamA = fixture.vigil.streams[0]
        var requested = fixture.vigil.settings
        let missing = "/nonexistent/vigil-\(UUID()).yuv"
        requested.streams[1].videoSource = .rawInput(.init(path: missing, format: .i420, width: 320, height: 240, frameRate: 30))
        let outcome = try await fixture.vigil.apply(requested)
        XCTAssertEqual(outcome.kept, ["a"])
        XCTAssertEqual(outcome.restarted, ["b"])
        XCTAssertEqual(Array(outcome.failed.keys), ["b"])
        XCTAssertTrue(outcome.failed["b"]?.contains(missing) == true, "\(outcome.failed)")
        XCTAssertEqual(fixture.vigil.streams.map(\.path), ["a"])
        XCTAssertTrue(fixture.vigil.streams[0] === streamA)
        let frames = streamA.pipeline.framesEncoded
        await waitUntil { streamA.pipeline.framesEncoded > frames }
        XCTAssertGreaterThan(streamA.pipeline.framesEncoded, frames, "a runs on")

        let again = try await fixture.vigil.apply(Self.twoStreams())
        XCTAssertEqual(again.added, ["b"], "the next reload tries it again")
        XCTAssertEqual(fixture.vigil.streams.map(\.path), ["a", "b"])
        try await fixture.stop()
    }
}
