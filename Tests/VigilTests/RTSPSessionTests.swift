import Foundation
import NIOCore
import NIOPosix
import ServeWire
import XCTest

/// DESCRIBE, PAUSE and resume, and keep-alives as a viewer uses them.
final class RTSPSessionTests: XCTestCase {
    func testDescribeAnnouncesH264AndPCMUAsRFC6184AndRFC3551Say() async throws {
        let fixture = try await VigilFixture()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let client = try await TestRTSPClient.connect(port: fixture.port, group: group)
        let options = try await client.request("OPTIONS", fixture.url)
        XCTAssertEqual(options.headers["Public"]?.contains("DESCRIBE"), true)
        let reply = try await client.request("DESCRIBE", fixture.url, headers: [("Accept", "application/sdp")])
        XCTAssertEqual(reply.status.code, 200)
        XCTAssertEqual(reply.headers["Content-Type"], "application/sdp")
        XCTAssertEqual(reply.headers["Content-Base"], fixture.url + "/")
        let sdp = try SessionDescription.parse(String(buffer: reply.body))
        XCTAssertEqual(sdp.media.map(\.media), ["video", "audio"])
        let video = sdp.media[0]
        XCTAssertEqual(video.formats, ["96"])
        XCTAssertEqual(video.rtpmap(for: "96"), "H264/90000")
        let fmtp = try XCTUnwrap(video.fmtp(for: "96"))
        XCTAssertTrue(fmtp.contains("packetization-mode=1"), fmtp)
        // profile-level-id and sprop-parameter-sets come from the encoder's own SPS/PPS.
        XCTAssertTrue(fmtp.contains("profile-level-id=42"), "constrained baseline from ultrafast: \(fmtp)")
        let sets = try XCTUnwrap(H264FormatParameters.parameterSets(fromFmtp: fmtp))
        XCTAssertEqual(sets.map { $0.first.map { $0 & 0x1F } }, [7, 8], "SPS then PPS")
        XCTAssertEqual(sets.first, fixture.vigil.encoderParameterSets.sps)
        let audio = sdp.media[1]
        XCTAssertEqual(audio.formats, ["0"])
        XCTAssertEqual(audio.rtpmap(for: "0"), "PCMU/8000")
        XCTAssertEqual(video.attribute("control"), "trackID=0")
        XCTAssertEqual(audio.attribute("control"), "trackID=1")
        await client.close()
        try await fixture.stop()
        try await group.shutdownGracefully()
    }

    func testPauseStopsTheFlowAndPlayResumesAtAKeyFrame() async throws {
        let fixture = try await VigilFixture()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let viewer = try await TestViewer.start(port: fixture.port, url: fixture.url, transport: .tcp, group: group)
        await waitUntil { viewer.rtpPackets(track: 0).count > 10 }
        let pause = try await viewer.client.request("PAUSE", fixture.url, headers: [("Session", viewer.session!)])
        XCTAssertEqual(pause.status.code, 200)
        let pausedAt = viewer.rtpPackets(track: 0).count
        XCTAssertGreaterThan(pausedAt, 10)
        // Over TCP everything sent before the PAUSE answer arrived before it: from here on,
        // for eighteen pictures' time, nothing may come.
        try await Task.sleep(nanoseconds: 600_000_000)
        XCTAssertEqual(viewer.rtpPackets(track: 0).count, pausedAt, "nothing while paused")

        try await viewer.play()
        await waitUntil { viewer.rtpPackets(track: 0).count > pausedAt + 10 }
        let resumed = Array(viewer.rtpPackets(track: 0)[pausedAt...])
        XCTAssertGreaterThan(resumed.count, 10)
        XCTAssertTrue(FanOutTests.startsKeyFrame(resumed[0]), "resumes at a key frame")
        XCTAssertEqual(resumed[0].header.sequenceNumber, viewer.rtpInfo(track: 0)?.seq)
        XCTAssertEqual(sequenceGaps(resumed), 0)
        // Keep-alive answers carry the session.
        let keepAlive = try await viewer.client.request("GET_PARAMETER", fixture.url, headers: [("Session", viewer.session!)])
        XCTAssertEqual(keepAlive.status.code, 200)
        XCTAssertEqual(keepAlive.headers["Session"]?.hasPrefix(viewer.session!), true)
        await viewer.close()
        try await fixture.stop()
        try await group.shutdownGracefully()
    }
}
