import Foundation
import NIOCore
import NIOPosix
import ServeWire
import TestSeeds
import VigilKit
import XCTest

/// The limits on file viewers: `[playback] max_viewers` refuses with 503 while the cap is
/// taken, and a TCP viewer that stops reading is paced down — the player holds its clock while
/// the connection cannot take more — instead of having its media queued (memory) or dropped.
final class FileViewerLimitsTests: XCTestCase {
    func library(noise: Bool) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-limits-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        let arguments: [String]
        if noise {
            // 6 s of 640x360 random pictures at 30 fps, nearly lossless: about 5 MB a second,
            // so a 4 s stall is far more than the kernel's buffers (tcp_wmem up to 4 MiB) and
            // NIO's 1 MiB write-buffer mark hold.
            arguments = [
                "-v", "error", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-video_size", "640x360", "-framerate", "30",
                "-i", "/dev/urandom", "-frames:v", "180", "-c:v", "libx264", "-preset", "ultrafast", "-qp", "12", "-g", "30",
                "-bf", "0", "-f", "h264", directory.appendingPathComponent("noise.264").path,
            ]
        } else {
            arguments = [
                "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=15", "-t", "3", "-c:v", "libx264", "-g", "15",
                "-f", "h264", directory.appendingPathComponent("small.264").path,
            ]
        }
        let made = try Tool.run("ffmpeg", arguments, timeout: 120)
        XCTAssertEqual(made.status, 0, made.stderr)
        return directory
    }

    func fixture(library: URL, maxFileViewers: Int = 256) async throws -> VigilFixture {
        var settings = VigilFixture.smallSettings()
        settings.library.paths = [library.path]
        settings.rtsp.maxFileViewers = maxFileViewers
        return try await VigilFixture(settings: settings)
    }

    static func setUp(_ client: TestRTSPClient, _ url: String) async throws -> (status: Int, session: String?) {
        let described = try await client.request("DESCRIBE", url)
        XCTAssertEqual(described.status.code, 200)
        let setup = try await client.request("SETUP", "\(url)/trackID=0", headers: [("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1")])
        return (Int(setup.status.code), setup.headers["Session"]?.split(separator: ";").first.map(String.init))
    }

    func testMaxViewersRefusesTheNextFileViewerWith503UntilAPlaceIsFree() async throws {
        let fixture = try await fixture(library: try library(noise: false), maxFileViewers: 1)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let url = fixture.url("vod/small.264")
        let first = try await TestRTSPClient.connect(port: fixture.port, group: group)
        let (firstStatus, firstSession) = try await Self.setUp(first, url)
        XCTAssertEqual(firstStatus, 200)
        let session = try XCTUnwrap(firstSession)

        let second = try await TestRTSPClient.connect(port: fixture.port, group: group)
        let (refused, _) = try await Self.setUp(second, url)
        XCTAssertEqual(refused, 503, "max_viewers = 1: the second file viewer waits for a place")

        let teardown = try await first.request("TEARDOWN", "\(url)/", headers: [("Session", session)])
        XCTAssertEqual(teardown.status.code, 200)
        let (admitted, admittedSession) = try await Self.setUp(second, url)
        XCTAssertEqual(admitted, 200, "the place the first viewer left is free")
        let play = try await second.request("PLAY", "\(url)/", headers: [("Session", try XCTUnwrap(admittedSession))])
        XCTAssertEqual(play.status.code, 200)
        let playing = await waitUntil(timeout: 5) { second.interleavedFrames.contains { $0.channel == 0 } }
        XCTAssertTrue(playing, "and it plays")
        await first.close()
        await second.close()
        try await group.shutdownGracefully()
        try await fixture.stop()
    }

    func testAStalledTCPFileViewerIsPacedDownNeitherQueuedNorDropped() async throws {
        let fixture = try await fixture(library: try library(noise: true))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let url = fixture.url("vod/noise.264")
        let client = try await TestRTSPClient.connect(port: fixture.port, group: group, receiveBuffer: 64 << 10)
        let (status, session) = try await Self.setUp(client, url)
        XCTAssertEqual(status, 200)
        let play = try await client.request("PLAY", "\(url)/", headers: [("Session", try XCTUnwrap(session))])
        XCTAssertEqual(play.status.code, 200)
        let started = Date()
        try await client.stopReading()
        let stall = 4.0
        try await Task.sleep(nanoseconds: UInt64(stall * 1e9))
        try await client.resumeReading()
        // What was held for the viewer (the kernel's buffers and NIO's) arrives at once; a
        // player that ran on during the stall would have queued (or dropped) 4 s of media.
        try await Task.sleep(nanoseconds: 300_000_000)
        let burst = client.interleavedFrames.filter { $0.channel == 0 }.compactMap { try? RTPPacket(parsing: $0.payload) }
        let burstMedia = burst.isEmpty ? 0 : Double(burst.last!.header.timestamp &- burst.first!.header.timestamp) / 90_000
        XCTAssertLessThan(burstMedia, stall - 1.5, "the player held its clock while the viewer stalled: \(burstMedia) s of media had left")

        let ended = await waitUntil(timeout: 30) {
            client.interleavedFrames.contains { $0.channel == 1 && PlaybackTests.isGoodbye($0.payload) }
        }
        XCTAssertTrue(ended, "the file plays to its end and its BYE")
        let duration = Date().timeIntervalSince(started)
        let packets = client.interleavedFrames.filter { $0.channel == 0 }.compactMap { try? RTPPacket(parsing: $0.payload) }
        var gaps = 0
        for (earlier, later) in zip(packets, packets.dropFirst()) where later.header.sequenceNumber != earlier.header.sequenceNumber &+ 1 {
            gaps += 1
        }
        XCTAssertEqual(gaps, 0, "nothing dropped: every packet in sequence")
        XCTAssertEqual(Set(packets.map(\.header.timestamp)).count, 180, "every picture of the file")
        // Paced down: the rest came at the media's pace after the stall, so the play took the
        // stall plus what had not left before it.
        XCTAssertGreaterThan(duration, stall + (6 - burstMedia) - 0.7, "the stall delayed the play (\(duration) s), it did not shorten it")
        print(String(format: "stalled viewer: %.2f s of media left during the %.0f s stall; played in %.2f s", burstMedia, stall, duration))
        await client.close()
        try await group.shutdownGracefully()
        try await fixture.stop()
    }
}
