import Foundation
import NIOCore
import NIOPosix
import ServeWire
import VigilKit
import XCTest

/// The HTTP API against a running instance: `/api/v1/status` and `/metrics`, on a port the
/// test does not choose (0) and the daemon reports.
final class StatusAPITests: XCTestCase {
    static func apiSettings() -> VigilSettings {
        var settings = VigilFixture.smallSettings()
        settings.http = .init(enabled: true, host: "127.0.0.1", port: 0)
        var second = settings.streams[0]
        second.path = "noise"
        second.video.pattern = .noise
        second.audio.enabled = false
        settings.streams.append(second)
        return settings
    }

    enum GetError: Error { case noAnswer(String) }

    /// GET over plain HTTP/1.1, like a scraper's. An answer of any status (404 and 500
    /// included) is returned with its code; no answer at all (refused, reset, timed out) throws,
    /// so a missing route and a dead server cannot look alike.
    static func get(_ port: Int, _ path: String) throws -> (status: Int, contentType: String, body: Data) {
        let result = try runProcess("/usr/bin/python3", ["-c", """
            import sys, urllib.request, urllib.error
            try:
                r = urllib.request.urlopen("http://127.0.0.1:\(port)\(path)", timeout=5)
            except urllib.error.HTTPError as e:
                r = e
            except Exception as e:
                sys.stderr.write("NO ANSWER " + repr(e) + "\\n")
                sys.exit(3)
            sys.stderr.write("HTTP " + str(r.status) + " " + r.headers.get("Content-Type", "") + "\\n")
            sys.stdout.buffer.write(r.read())
            """], timeout: 10)
        guard result.status == 0, let head = result.stderr.split(separator: "\n").last(where: { $0.hasPrefix("HTTP ") }) else {
            throw GetError.noAnswer("GET \(path): \(result.stderr)")
        }
        let parts = head.dropFirst(5).split(separator: " ", maxSplits: 1)
        return (Int(parts.first ?? "") ?? 0, parts.count > 1 ? String(parts[1]) : "", result.stdout)
    }

    func testStatusAndMetricsDescribeStreamsEncodersAndViewers() async throws {
        let fixture = try await VigilFixture(settings: Self.apiSettings())
        let httpPort = try XCTUnwrap(fixture.httpPort)
        XCTAssertGreaterThan(httpPort, 0, "port 0 is bound and reported")
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let viewer = try await TestViewer.start(port: fixture.port, url: fixture.url("live"), transport: .udp, group: group)
        await waitUntil { !RTCPTests.senderReports(viewer, track: 0).isEmpty }
        // A receiver report from the viewer: 25 % lost, jitter 900 (10 ms at 90 kHz).
        let report = try XCTUnwrap(RTCPTests.senderReports(viewer, track: 0).first)
        let serverPorts = try XCTUnwrap(viewer.tracks[0].serverPorts)
        let rr = ReceiverReport(ssrc: 0x1234_5678, reports: [
            ReceptionReport(
                ssrc: report.ssrc, fractionLost: 64, cumulativeLost: 7, highestSequence: 1000, jitter: 900,
                lastSenderReport: report.ntp.middle32, delaySinceLastSenderReport: 0)
        ])
        var buffer = ByteBuffer()
        RTCPCompound.write([.receiverReport(rr), .sourceDescription(.cname(ssrc: 0x1234_5678, "viewer@test"))], into: &buffer)
        try await viewer.tracks[0].rtcp!.send(buffer, to: serverPorts.upperBound)
        // Until the hub has the report, and each stream has encoded a few pictures.
        try await waitUntil {
            try await fixture.vigil.hub.viewerSnapshots().contains { $0.statistics.receiverReports > 0 }
                && viewer.rtpPackets(track: 0).filter(\.header.marker).count > 10
        }

        let (code, type, body) = try Self.get(httpPort, "/api/v1/status")
        XCTAssertEqual(code, 200)
        XCTAssertTrue(type.hasPrefix("application/json"), type)
        let status = try VigilStatus.decoder().decode(VigilStatus.self, from: body)
        XCTAssertEqual(status.rtsp.port, fixture.port)
        XCTAssertEqual(status.http?.port, httpPort)
        XCTAssertEqual(status.streams.map(\.path), ["live", "noise"])
        let live = status.streams[0]
        XCTAssertEqual(live.url, fixture.url("live"))
        XCTAssertEqual(live.video.source.kind, "synthetic")
        XCTAssertEqual(live.video.source.pattern, "moving")
        XCTAssertEqual(live.video.codec, "h264")
        XCTAssertEqual([live.video.width, live.video.height, live.video.fps], [320, 240, 30])
        XCTAssertEqual(live.video.bitrateKbps, 500)
        XCTAssertGreaterThan(live.video.currentBitrateKbps, 0)
        XCTAssertEqual(live.audio?.codec, "pcmu")
        XCTAssertEqual(live.audio?.sampleRate, 8000)
        XCTAssertGreaterThan(live.counters.framesCaptured, 10)
        XCTAssertGreaterThan(live.counters.framesEncoded, 10)
        XCTAssertGreaterThan(live.tracks[0].packetsSent, 0)
        XCTAssertEqual(live.viewers.count, 1)
        let entry = try XCTUnwrap(live.viewers.first)
        XCTAssertEqual(entry.transport, "udp")
        let video = try XCTUnwrap(entry.tracks.first { $0.kind == "video" })
        XCTAssertGreaterThan(video.packetsSent, 0)
        XCTAssertEqual(video.receiverReports, 1)
        XCTAssertEqual(video.fractionLost, 0.25)
        XCTAssertEqual(video.cumulativeLost, 7)
        XCTAssertEqual(try XCTUnwrap(video.jitterSeconds), 0.01, accuracy: 1e-9)
        XCTAssertNil(status.streams[1].audio)
        XCTAssertEqual(status.streams[1].video.source.pattern, "noise")
        XCTAssertEqual(status.streams[1].viewers.count, 0)
        // The JSON is snake_case, as documented.
        let text = String(decoding: body, as: UTF8.self)
        XCTAssertTrue(text.contains("\"frames_encoded\""), text)
        XCTAssertTrue(text.contains("\"current_bitrate_kbps\""))

        let (metricsCode, metricsType, metricsBody) = try Self.get(httpPort, "/metrics")
        XCTAssertEqual(metricsCode, 200)
        XCTAssertTrue(metricsType.hasPrefix("text/plain; version=0.0.4"), metricsType)
        let metrics = String(decoding: metricsBody, as: UTF8.self)
        let samples = Self.samples(metrics)
        XCTAssertGreaterThan(samples["vigil_frames_captured_total{stream=\"live\"}"] ?? 0, 10)
        XCTAssertGreaterThan(samples["vigil_frames_encoded_total{stream=\"live\"}"] ?? 0, 10)
        XCTAssertNotNil(samples["vigil_frames_dropped_total{stream=\"live\"}"])
        XCTAssertGreaterThan(samples["vigil_rtp_packets_sent_total{stream=\"live\",track=\"video\"}"] ?? 0, 0)
        XCTAssertGreaterThan(samples["vigil_rtp_bytes_sent_total{stream=\"live\",track=\"video\"}"] ?? 0, 1000)
        XCTAssertGreaterThan(samples["vigil_rtp_packets_to_viewers_total{stream=\"live\",track=\"video\"}"] ?? 0, 0)
        XCTAssertEqual(samples["vigil_rtp_packets_to_viewers_total{stream=\"noise\",track=\"video\"}"], 0, "nobody watches noise")
        XCTAssertGreaterThan(samples["vigil_rtp_packets_sent_total{stream=\"noise\",track=\"video\"}"] ?? 0, 0, "the stream is built anyway")
        XCTAssertEqual(samples["vigil_viewers{stream=\"live\"}"], 1)
        XCTAssertEqual(samples["vigil_viewers{stream=\"noise\"}"], 0)
        XCTAssertGreaterThan(samples["vigil_encoder_bitrate_kbps{stream=\"live\"}"] ?? 0, 0)
        // Viewers are numbered in join order; the session id (a capability: it controls the
        // session) appears nowhere, neither in the JSON nor as a label.
        XCTAssertEqual(entry.viewer, 1)
        let session = try XCTUnwrap(viewer.session?.split(separator: ";").first.map(String.init))
        XCTAssertFalse(text.contains(session), "the status JSON must not carry the session id")
        XCTAssertFalse(metrics.contains(session), "no metric label carries the session id")
        XCTAssertFalse(metrics.contains("session="))
        XCTAssertEqual(samples["vigil_viewer_fraction_lost{stream=\"live\",viewer=\"1\",track=\"video\"}"], 0.25)
        XCTAssertEqual(samples["vigil_viewer_jitter_seconds{stream=\"live\",viewer=\"1\",track=\"video\"}"], 0.01)
        XCTAssertEqual(samples["vigil_viewer_cumulative_lost{stream=\"live\",viewer=\"1\",track=\"video\"}"], 7)
        // Every family has HELP and TYPE before its samples.
        for name in ["vigil_frames_captured_total", "vigil_rtp_packets_sent_total", "vigil_viewers", "vigil_viewer_jitter_seconds"] {
            XCTAssertTrue(metrics.contains("# HELP \(name) "), name)
            XCTAssertTrue(metrics.contains("# TYPE \(name) "), name)
        }
        XCTAssertEqual(try Self.get(httpPort, "/nothing").status, 404, "an unknown path is 404")
        XCTAssertEqual(try Self.get(httpPort, "/api/v1/nothing").status, 404, "and so is an unknown API path")

        await viewer.close()
        try await fixture.stop()
        try await group.shutdownGracefully()
    }

    /// `name{labels} value` lines as a dictionary.
    static func samples(_ text: String) -> [String: Double] {
        var result: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            result[String(line[..<space])] = value
        }
        return result
    }
}
