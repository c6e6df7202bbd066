import Foundation
import MediaCore
import NIOCore
import NIOPosix
import Serve
import ServeWire
import XCTest

/// Sender reports, CNAME, receiver reports and BYE, seen by a viewer on the wire.
final class RTCPTests: XCTestCase {
    func testSenderReportsPairNTPAndRTPTimeAndShareOneCNAME() async throws {
        let fixture = try await VigilFixture()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let viewer = try await TestViewer.start(port: fixture.port, url: fixture.url, transport: .udp, group: group)
        // The first report comes at PLAY; the next within the RFC 3550 interval (≤ 7.5 s with
        // the 5 s minimum halved at start and randomized by 0.5–1.5, divided by e−3/2).
        let deadline = Date(timeIntervalSinceNow: 9)
        while Date() < deadline && (0..<2).contains(where: { Self.senderReports(viewer, track: $0).count < 2 }) {
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        var cnames: [String] = []
        for track in 0..<2 {
            let clockRate = track == 0 ? 90_000.0 : 8_000.0
            let reports = Self.senderReports(viewer, track: track)
            XCTAssertGreaterThanOrEqual(reports.count, 2, "track \(track): a report at PLAY and a periodic one")
            guard reports.count >= 2 else { continue }
            // NTP and RTP advance together exactly: both come from one media instant.
            let (a, b) = (reports[0], reports[reports.count - 1])
            let ntpDelta = Self.seconds(b.ntp) - Self.seconds(a.ntp)
            let rtpDelta = Double(b.rtpTimestamp &- a.rtpTimestamp)
            XCTAssertEqual(rtpDelta / clockRate, ntpDelta, accuracy: 2 / clockRate + 1e-6, "track \(track) pair")
            XCTAssertEqual(a.ssrc, viewer.tracks[track].ssrc)
            // The report's wall clock is now.
            let now = Double(MediaClock.wallClockNanoseconds()) / 1e9 + 2_208_988_800
            XCTAssertEqual(Self.seconds(b.ntp), now, accuracy: 10)
            // The report's RTP time sits on the packets' timeline (a random 32-bit offset
            // would not): between the first packet's time and half a second past the last's.
            let packets = viewer.rtpPackets(track: track)
            if let first = packets.first, let last = packets.last {
                let afterFirst = Double(Int32(bitPattern: b.rtpTimestamp &- first.header.timestamp)) / clockRate
                let afterLast = Double(Int32(bitPattern: b.rtpTimestamp &- last.header.timestamp)) / clockRate
                XCTAssertGreaterThan(afterFirst, -0.1, "track \(track) SR after the first packet")
                XCTAssertLessThan(afterLast, 0.5, "track \(track) SR not past the last packet")
            }
            for compound in viewer.rtcpPackets(track: track) {
                guard case .senderReport = compound.first else {
                    XCTFail("a compound RTCP packet starts with a report (RFC 3550 §6.1)")
                    continue
                }
                for case .sourceDescription(let sdes) in compound {
                    for chunk in sdes.chunks { for item in chunk.items where item.type == 1 { cnames.append(item.text) } }
                }
            }
        }
        XCTAssertFalse(cnames.isEmpty)
        XCTAssertEqual(Set(cnames).count, 1, "audio and video share one CNAME: \(Set(cnames))")
        await viewer.close()
        try await fixture.stop()
        try await group.shutdownGracefully()
    }

    func testReceiverReportsBecomeViewerStatistics() async throws {
        let fixture = try await VigilFixture()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let viewer = try await TestViewer.start(port: fixture.port, url: fixture.url, transport: .udp, group: group)
        await waitUntil { !Self.senderReports(viewer, track: 0).isEmpty }
        // The report below claims 0.25 s since that SR (DLSR): let at least that pass.
        try await Task.sleep(nanoseconds: 300_000_000)
        let report = try XCTUnwrap(Self.senderReports(viewer, track: 0).first, "an SR at PLAY")
        let serverPorts = try XCTUnwrap(viewer.tracks[0].serverPorts)
        // A receiver report as a viewer sends it (RFC 3550 §6.4.2), from its RTCP port:
        // 25 % lost, 7 in all, jitter 450, LSR from the SR, DLSR 0.25 s.
        let rr = ReceiverReport(ssrc: 0x1234_5678, reports: [
            ReceptionReport(
                ssrc: report.ssrc, fractionLost: 64, cumulativeLost: 7, highestSequence: 1000, jitter: 450,
                lastSenderReport: report.ntp.middle32, delaySinceLastSenderReport: 16384)
        ])
        var buffer = ByteBuffer()
        RTCPCompound.write([.receiverReport(rr), .sourceDescription(.cname(ssrc: 0x1234_5678, "viewer@test"))], into: &buffer)
        try await viewer.tracks[0].rtcp!.send(buffer, to: serverPorts.upperBound)
        var snapshot: ViewerSnapshotView?
        let deadline = Date(timeIntervalSinceNow: 3)
        while Date() < deadline {
            let snapshots = try await fixture.vigil.hub.viewerSnapshots()
            if let s = snapshots.first(where: { $0.track == 0 && $0.statistics.receiverReports > 0 }) {
                snapshot = ViewerSnapshotView(s.statistics)
                break
            }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        let stats = try XCTUnwrap(snapshot, "the report reached the viewer's statistics")
        XCTAssertEqual(stats.fractionLost, 0.25)
        XCTAssertEqual(stats.cumulativeLost, 7)
        XCTAssertEqual(stats.jitter, 450)
        let rtt = try XCTUnwrap(stats.roundTrip)
        XCTAssertGreaterThanOrEqual(rtt, 0)
        XCTAssertLessThan(rtt, 3)
        await viewer.close()
        try await fixture.stop()
        try await group.shutdownGracefully()
    }

    func testShutdownSaysByeToEveryViewer() async throws {
        let fixture = try await VigilFixture()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let udp = try await TestViewer.start(port: fixture.port, url: fixture.url, transport: .udp, group: group)
        let tcp = try await TestViewer.start(port: fixture.port, url: fixture.url, transport: .tcp, group: group)
        await waitUntil { [udp, tcp].allSatisfy { $0.pictures() > 5 } }
        try await fixture.stop()
        await waitUntil(timeout: 5) { [udp, tcp].allSatisfy { viewer in (0..<2).allSatisfy { !viewer.goodbyes(track: $0).isEmpty } } && tcp.client.isClosed }
        for viewer in [udp, tcp] {
            for track in 0..<2 {
                let byes = viewer.rtcpPackets(track: track).flatMap { $0 }.filter {
                    if case .goodbye(let bye) = $0 { return bye.ssrcs == [viewer.tracks[track].ssrc!] }
                    return false
                }
                XCTAssertEqual(byes.count, 1, "\(viewer.transport) track \(track): one BYE at shutdown")
            }
        }
        XCTAssertTrue(tcp.client.isClosed, "the RTSP connection is closed at shutdown")
        await udp.close()
        await tcp.close()
        try await group.shutdownGracefully()
    }

    func testSilentSessionsAreReapedAfterTheTimeout() async throws {
        var settings = VigilFixture.smallSettings()
        settings.rtsp.sessionTimeout = .seconds(1)
        let fixture = try await VigilFixture(settings: settings)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let viewer = try await TestViewer.start(port: fixture.port, url: fixture.url, transport: .udp, group: group)
        // The session header advertises the timeout (RFC 2326 §12.37).
        XCTAssertEqual(viewer.playResponse?.headers["Session"]?.hasSuffix(";timeout=1"), true)
        // The viewer says nothing (no RTCP, no request): within a few seconds it is gone.
        let reaped = try await waitUntil { try await fixture.vigil.hub.viewerSnapshots().isEmpty }
        XCTAssertTrue(reaped, "the silent viewer was dropped")
        let reply = try await viewer.client.request("GET_PARAMETER", fixture.url, headers: [("Session", viewer.session!)])
        XCTAssertEqual(reply.status.code, 454, "the silent session was reaped")
        try await assertNothingMoreArrives(from: fixture.vigil.hub, at: viewer)
        await viewer.close()
        try await fixture.stop()
        try await group.shutdownGracefully()
    }

    static func senderReports(_ viewer: TestViewer, track: Int) -> [SenderReport] {
        viewer.rtcpPackets(track: track).flatMap { $0 }.compactMap {
            if case .senderReport(let sr) = $0 { return sr }
            return nil
        }
    }

    static func seconds(_ ntp: NTPTimestamp) -> Double {
        Double(ntp.seconds) + Double(ntp.fraction) / 4_294_967_296
    }
}

/// The fields of `ViewerStatistics` a test looks at.
struct ViewerSnapshotView {
    var fractionLost: Double?
    var cumulativeLost: Int32?
    var jitter: UInt32?
    var roundTrip: Double?
    init(_ s: Serve.ViewerStatistics) {
        fractionLost = s.fractionLost
        cumulativeLost = s.cumulativeLost
        jitter = s.jitter
        roundTrip = s.roundTripSeconds
    }
}
