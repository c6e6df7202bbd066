import Foundation
import NIOCore
import NIOPosix
import Serve
import XCTest

/// A viewer that stops reading loses packets alone, counted; the others never wait for it.
final class SlowViewerTests: XCTestCase {
    func testAStalledTCPViewerDoesNotDelayOthers() async throws {
        var settings = VigilFixture.smallSettings()
        // A heavy stream fills a stalled viewer's buffers within a second or two.
        settings.video.width = 640
        settings.video.height = 480
        settings.video.pattern = .noise
        settings.video.bitrateKbps = 20_000
        settings.audio.enabled = false
        let fixture = try await VigilFixture(settings: settings)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

        let stalledClient = try await TestRTSPClient.connect(port: fixture.port, group: group, receiveBuffer: 4096)
        let stalled = TestViewer(client: stalledClient, url: fixture.url, transport: .tcp)
        try await stalled.describeAndSetup()
        try await stalled.play()
        try await stalledClient.stopReading()
        let healthy = try await TestViewer.start(port: fixture.port, url: fixture.url, transport: .udp, group: group)
        let healthyTCP = try await TestViewer.start(port: fixture.port, url: fixture.url, transport: .tcp, group: group)

        // Until the stalled viewer's buffers are full and it is losing packets, and the others
        // have had three seconds of pictures meanwhile.
        try await waitUntil(timeout: 30) {
            let dropped = try await fixture.vigil.hub.viewerSnapshots().first { $0.session == stalled.session }?.statistics.packetsDropped ?? 0
            return dropped > 0 && healthy.pictures() > 90 && healthyTCP.pictures() > 90
        }
        let snapshots = try await fixture.vigil.hub.viewerSnapshots()
        let stalledStats = snapshots.first { $0.session == stalled.session }?.statistics
        XCTAssertGreaterThan(stalledStats?.packetsDropped ?? 0, 0, "the stalled viewer's packets are dropped and counted")
        for snapshot in snapshots where snapshot.session != stalled.session {
            XCTAssertEqual(snapshot.statistics.packetsDropped, 0, "\(snapshot.transport) viewer lost nothing")
        }
        for (name, viewer) in [("UDP", healthy), ("TCP", healthyTCP)] {
            let video = viewer.rtpPackets(track: 0)
            XCTAssertEqual(sequenceGaps(video), 0, "\(name) viewer has no gaps")
            XCTAssertGreaterThan(video.filter { $0.header.marker }.count, 90, "\(name) viewer kept receiving pictures")
        }
        // The server still answers.
        let reply = try await healthyTCP.client.request("OPTIONS", "*")
        XCTAssertEqual(reply.status.code, 200)

        await stalled.close()
        await healthy.close()
        await healthyTCP.close()
        try await fixture.stop()
        try await group.shutdownGracefully()
    }
}
