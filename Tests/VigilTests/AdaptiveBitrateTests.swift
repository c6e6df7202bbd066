import Foundation
import NIOCore
import NIOPosix
import Encode
import Serve
import ServeWire
import XCTest

/// Receiver reports steer the shared encoder: a lossy viewer brings the rate down; with
/// clean viewers beside it, the stream follows the median and the lossy one gets key
/// frames only.
final class AdaptiveBitrateTests: XCTestCase {
    func sendReport(_ viewer: TestViewer, fractionLost: UInt8) async throws {
        let ssrc = try XCTUnwrap(viewer.tracks[0].ssrc)
        var buffer = ByteBuffer()
        let block = ReceptionReport(
            ssrc: ssrc, fractionLost: fractionLost, cumulativeLost: 0, highestSequence: 0, jitter: 90,
            lastSenderReport: 0, delaySinceLastSenderReport: 0)
        RTCPCompound.write([.receiverReport(ReceiverReport(ssrc: 0x5150, reports: [block]))], into: &buffer)
        try await viewer.tracks[0].rtcp!.send(buffer, to: viewer.tracks[0].serverPorts!.upperBound)
    }

    func testALossyViewerAloneBringsTheEncoderDown() async throws {
        let fixture = try await VigilFixture()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let viewer = try await TestViewer.start(port: fixture.port, url: fixture.url, transport: .udp, group: group)
        let start = fixture.vigil.pipeline.videoEncoder!.currentBitrateKbps
        // A report every 400 ms (a receiver's pace) until the encoder follows, or 15 s.
        let deadline = Date(timeIntervalSinceNow: 15)
        while fixture.vigil.pipeline.videoEncoder!.currentBitrateKbps >= start * 3 / 4, Date() < deadline {
            try await sendReport(viewer, fractionLost: 77)  // 30 %
            try await Task.sleep(nanoseconds: 400_000_000)
        }
        let now = fixture.vigil.pipeline.videoEncoder!.currentBitrateKbps
        XCTAssertLessThan(now, start * 3 / 4, "30 % loss cut the encoder from \(start) to \(now) kbit/s")
        XCTAssertGreaterThanOrEqual(now, start / 4, "never below the minimum")
        await viewer.close()
        try await fixture.stop()
        try await group.shutdownGracefully()
    }

    func testTheMedianViewerWinsAndTheLossyOneGetsKeyFramesOnly() async throws {
        let fixture = try await VigilFixture()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var viewers: [TestViewer] = []
        for _ in 0..<3 { viewers.append(try await TestViewer.start(port: fixture.port, url: fixture.url, transport: .udp, group: group)) }
        let start = fixture.vigil.pipeline.videoEncoder!.currentBitrateKbps
        // Reports every 300 ms: ten rounds at least (3 s, past the controller's 2 s hold), then
        // until the lossy viewer is switched to key frames only, or 15 s.
        func lossyIsKeyFramesOnly() async throws -> Bool {
            let stats = try await fixture.vigil.hub.viewerSnapshots().first { $0.track == 0 && $0.session == viewers[0].session }?.statistics
            return stats?.keyFramesOnly == true && (stats?.picturesSkipped ?? 0) > 0
        }
        let deadline = Date(timeIntervalSinceNow: 15)
        var rounds = 0
        while true {
            try await sendReport(viewers[0], fractionLost: 128)  // 50 %
            try await sendReport(viewers[1], fractionLost: 0)
            try await sendReport(viewers[2], fractionLost: 0)
            try await Task.sleep(nanoseconds: 300_000_000)
            rounds += 1
            guard rounds >= 10 else { continue }
            if Date() >= deadline { break }
            if try await lossyIsKeyFramesOnly() { break }
        }
        XCTAssertEqual(fixture.vigil.pipeline.videoEncoder!.currentBitrateKbps, start, "clean viewers keep the rate")
        let snapshots = try await fixture.vigil.hub.viewerSnapshots().filter { $0.track == 0 }
        let lossy = snapshots.first { $0.session == viewers[0].session }?.statistics
        XCTAssertEqual(lossy?.keyFramesOnly, true)
        XCTAssertGreaterThan(lossy?.picturesSkipped ?? 0, 0)
        for viewer in viewers.dropFirst() {
            XCTAssertEqual(snapshots.first { $0.session == viewer.session }?.statistics.keyFramesOnly, false)
        }
        for viewer in viewers { await viewer.close() }
        try await fixture.stop()
        try await group.shutdownGracefully()
    }
}
