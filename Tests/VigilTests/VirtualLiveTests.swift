import Foundation
import NIOCore
import NIOPosix
import ServeWire
import TestSeeds
import VigilKit
import XCTest

/// Virtual live (`source = "file"`, `loop = true`): a library file sent as a shared live
/// channel without re-encoding. Two viewers that join at different moments get the same
/// pictures under the same RTP times, and across the loop the RTP clock and the sender
/// reports run on.
final class VirtualLiveTests: XCTestCase {
    func testTwoViewersShareTheChannelAndTimeRunsOnAcrossTheLoop() async throws {
        let library = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-virtual-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: library, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: library) }
        // 2 s at 15 fps, a key frame a second, no B-frames (so RTP time only ever rises).
        let made = try Tool.run("ffmpeg", [
            "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=15", "-t", "2", "-c:v", "libx264", "-g", "15", "-bf", "0",
            "-f", "h264", library.appendingPathComponent("loop.264").path,
        ])
        XCTAssertEqual(made.status, 0, made.stderr)
        var settings = VigilFixture.smallSettings()
        settings.library.paths = [library.path]
        settings.streams[0].videoSource = .file(name: "loop.264", loop: true)
        let fixture = try await VigilFixture(settings: settings)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

        func join() async throws -> TestRTSPClient {
            let client = try await TestRTSPClient.connect(port: fixture.port, group: group)
            let describe = try await client.request("DESCRIBE", fixture.url)
            XCTAssertEqual(describe.status.code, 200)
            let sdp = String(buffer: describe.body)
            XCTAssertTrue(sdp.contains("a=range:npt=now-"), "announced as live: \(sdp)")
            let setup = try await client.request("SETUP", "\(fixture.url)/trackID=0", headers: [("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1")])
            XCTAssertEqual(setup.status.code, 200)
            let session = try XCTUnwrap(setup.headers["Session"]?.split(separator: ";").first.map(String.init))
            let play = try await client.request("PLAY", "\(fixture.url)/", headers: [("Session", session)])
            XCTAssertEqual(play.status.code, 200)
            return client
        }
        let first = try await join()
        try await Task.sleep(nanoseconds: 1_300_000_000)
        let second = try await join()
        // Past two loop boundaries for the first viewer, one for the second.
        try await Task.sleep(nanoseconds: 4_500_000_000)

        /// Each picture's packets by RTP time, in arrival order; and the sender reports.
        func pictures(_ client: TestRTSPClient) throws -> (order: [UInt32], payloads: [UInt32: [ByteBuffer]], reports: [SenderReport]) {
            var order: [UInt32] = []
            var payloads: [UInt32: [ByteBuffer]] = [:]
            var reports: [SenderReport] = []
            for frame in client.interleavedFrames {
                if frame.channel == 0 {
                    let packet = try RTPPacket(parsing: frame.payload)
                    if payloads[packet.header.timestamp] == nil { order.append(packet.header.timestamp) }
                    payloads[packet.header.timestamp, default: []].append(packet.payload)
                } else if frame.channel == 1, let compound = try? RTCPCompound.parse(frame.payload) {
                    for case .senderReport(let report) in compound { reports.append(report) }
                }
            }
            return (order, payloads, reports)
        }
        let a = try pictures(first)
        let b = try pictures(second)
        XCTAssertGreaterThan(a.order.count, 75, "about 5.8 s at 15 fps: \(a.order.count)")

        // The same channel: every picture both saw carries the same bytes at the same RTP time.
        let shared = Set(a.order).intersection(b.order)
        XCTAssertGreaterThan(shared.count, 50, "the second viewer sees the pictures the first sees")
        for timestamp in shared {
            XCTAssertEqual(a.payloads[timestamp], b.payloads[timestamp], "picture at RTP time \(timestamp)")
        }

        // One picture interval between consecutive pictures, across the loops too: the RTP
        // clock never jumps or goes back. (The file's 30 pictures repeat, so the first
        // viewer crossed the end of the file at least twice.)
        for viewer in [a, b] {
            for (earlier, later) in zip(viewer.order, viewer.order.dropFirst()) {
                XCTAssertEqual(Int32(bitPattern: later &- earlier), 6000, "90 kHz / 15 fps between pictures")
            }
        }
        XCTAssertGreaterThanOrEqual(a.order.count, 2 * 30 + 1, "crossed the loop twice")

        // Sender reports pair NTP and RTP on one clock across the loops: 90 000 RTP ticks to
        // the second between any two, within 1 %.
        XCTAssertGreaterThanOrEqual(a.reports.count, 3)
        if let firstReport = a.reports.first, let lastReport = a.reports.last, lastReport.ntp.unixNanoseconds > firstReport.ntp.unixNanoseconds {
            let seconds = Double(lastReport.ntp.unixNanoseconds - firstReport.ntp.unixNanoseconds) / 1e9
            let ticks = Double(lastReport.rtpTimestamp &- firstReport.rtpTimestamp)
            XCTAssertEqual(ticks / seconds, 90_000, accuracy: 900, "SRs over \(seconds) s")
        }
        await first.close()
        await second.close()
        try await group.shutdownGracefully()
        try await fixture.stop()
    }

    /// An MP4 with audio looped as a live channel: the sync marks of every loop line up at
    /// the receiver, the ones right after the loop boundary too (5 s file: marks at 0, 2, 4 s
    /// of each loop, so at 5, 7, 9 and 10 s of the channel).
    func testAVirtualLiveMP4KeepsLipSyncAcrossTheLoop() async throws {
        let library = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-virtual-av-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: library, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: library) }
        try LibraryPlaybackTests.makeSyncMP4(library.appendingPathComponent("sync.mp4"), seconds: 5)
        var settings = VigilFixture.smallSettings()
        settings.library.paths = [library.path]
        settings.streams[0].videoSource = .file(name: "sync.mp4", loop: true)
        let fixture = try await VigilFixture(settings: settings)
        let (offsets, log, status) = try LipSyncTests.measure(url: fixture.url, seconds: 12)
        try await fixture.stop()
        XCTAssertEqual(status, 0, String(log.suffix(1500)))
        XCTAssertGreaterThanOrEqual(offsets.count, 4, "marks on both sides of loop boundaries: \(log.suffix(1500))")
        LipSyncTests.assertInSync(offsets, "virtual live")
    }
}
