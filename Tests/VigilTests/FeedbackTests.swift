import Foundation
import NIOCore
import NIOPosix
import Serve
import ServeWire
import XCTest

/// RTCP feedback from a viewer: PLI and FIR get a key frame, generic NACK gets the lost
/// packets again (RFC 4585, RFC 5104).
final class FeedbackTests: XCTestCase {
    func testPLIAndFIRBringAKeyFrame() async throws {
        // Regular key frames 20 s apart: any key frame within seconds of a request answers it.
        var settings = VigilFixture.smallSettings()
        settings.video.keyFrameInterval = 600
        let fixture = try await VigilFixture(settings: settings)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let viewer = try await TestViewer.start(port: fixture.port, url: fixture.url, transport: .udp, group: group)
        let ssrc = try XCTUnwrap(viewer.tracks[0].ssrc)
        let ports = try XCTUnwrap(viewer.tracks[0].serverPorts)
        for message in [
            FeedbackMessage.pictureLossIndication(sender: 0xABCD, mediaSource: ssrc),
            .fullIntraRequest(sender: 0xABCD, requests: [.init(ssrc: ssrc, sequenceNumber: 1)]),
        ] {
            // Past the join's own key frame and the 500 ms rate limit (a lower bound: a slower
            // machine only waits longer).
            await waitUntil { viewer.rtpPackets(track: 0).contains(where: FanOutTests.startsKeyFrame) }
            try await Task.sleep(nanoseconds: 700_000_000)
            let before = viewer.rtpPackets(track: 0).count
            var buffer = ByteBuffer()
            RTCPCompound.write([.receiverReport(ReceiverReport(ssrc: 0xABCD, reports: [])), message.packet], into: &buffer)
            try await viewer.tracks[0].rtcp!.send(buffer, to: ports.upperBound)
            let answered = await waitUntil(timeout: 5) { viewer.rtpPackets(track: 0)[before...].contains(where: FanOutTests.startsKeyFrame) }
            XCTAssertTrue(answered, "\(message): a key frame (the next regular one is 20 s away)")
        }
        let stats = try await fixture.vigil.hub.viewerSnapshots().first { $0.track == 0 }?.statistics
        XCTAssertEqual(stats?.keyFrameRequests, 2)
        await viewer.close()
        try await fixture.stop()
        try await group.shutdownGracefully()
    }

    func testNACKResendsTheLostPacketsToThatViewerOnly() async throws {
        let fixture = try await VigilFixture()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let asking = try await TestViewer.start(port: fixture.port, url: fixture.url, transport: .udp, group: group)
        let other = try await TestViewer.start(port: fixture.port, url: fixture.url, transport: .tcp, group: group)
        await waitUntil { asking.rtpPackets(track: 0).count > 20 }
        let received = asking.rtpPackets(track: 0)
        XCTAssertGreaterThan(received.count, 20)
        let wanted = [received[3], received[4], received[10]]
        let ssrc = try XCTUnwrap(asking.tracks[0].ssrc)
        var buffer = ByteBuffer()
        let nack = FeedbackMessage.genericNACK(sender: 0xBEEF, mediaSource: ssrc, lost: wanted.map(\.header.sequenceNumber))
        RTCPCompound.write([.receiverReport(ReceiverReport(ssrc: 0xBEEF, reports: [])), nack.packet], into: &buffer)
        let otherBefore = other.rtpPackets(track: 0)
        try await asking.tracks[0].rtcp!.send(buffer, to: asking.tracks[0].serverPorts!.upperBound)
        func copies(_ packet: RTPPacket) -> [RTPPacket] {
            asking.rtpPackets(track: 0).filter { $0.header.sequenceNumber == packet.header.sequenceNumber }
        }
        await waitUntil { wanted.allSatisfy { copies($0).count >= 2 } }

        for packet in wanted {
            XCTAssertEqual(copies(packet).count, 2, "seq \(packet.header.sequenceNumber) sent again")
            XCTAssertEqual(copies(packet).last, packet, "byte for byte the packet that was lost")
        }
        let otherAfter = other.rtpPackets(track: 0)
        XCTAssertEqual(sequenceGaps(Array(otherAfter.dropFirst(max(0, otherBefore.count - 1)))), 0, "the other viewer got no resends")
        let stats = try await fixture.vigil.hub.viewerSnapshots().first { $0.session == asking.session && $0.track == 0 }?.statistics
        XCTAssertEqual(stats?.packetsResent, 3)
        await asking.close()
        await other.close()
        try await fixture.stop()
        try await group.shutdownGracefully()
    }
}

/// A viewer's RTCP BYE (RFC 3550 §6.6) stops its media at once.
final class ViewerByeTests: XCTestCase {
    func testAViewersByeStopsItsMedia() async throws {
        let fixture = try await VigilFixture()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let viewer = try await TestViewer.start(port: fixture.port, url: fixture.url, transport: .udp, group: group)
        await waitUntil { viewer.pictures() > 5 }
        var buffer = ByteBuffer()
        RTCPCompound.write([
            .receiverReport(ReceiverReport(ssrc: 0x7777, reports: [])), .goodbye(Goodbye(ssrcs: [0x7777], reason: "leaving")),
        ], into: &buffer)
        try await viewer.tracks[0].rtcp!.send(buffer, to: viewer.tracks[0].serverPorts!.upperBound)
        let gone = try await waitUntil { try await fixture.vigil.hub.viewerSnapshots().isEmpty }
        XCTAssertTrue(gone, "the BYE ended the viewer's session")
        try await assertNothingMoreArrives(from: fixture.vigil.hub, at: viewer)
        await viewer.close()
        try await fixture.stop()
        try await group.shutdownGracefully()
    }
}
