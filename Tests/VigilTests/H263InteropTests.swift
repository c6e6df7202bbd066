import Foundation
import NIOCore
import NIOPosix
import ServeWire
import VigilKit
import XCTest

/// H.263 streams from the real composition root, played by real clients from Debian: the SDP
/// each payload format announces, ffprobe's view of the stream, ffmpeg decoding it live over
/// UDP and TCP with no decoder message; and receiver reports steering the H.263 encoder.
final class H263InteropTests: XCTestCase {
    func settings(codec: VigilSettings.VideoCodec) -> VigilSettings {
        var settings = VigilFixture.smallSettings()
        settings.video.codec = codec
        return settings
    }

    /// RFC 4629 (H263-1998): 320x240 is whole macroblocks, so it is sent as it is (PLUSPTYPE).
    func testRFC4629StreamPlaysInFFmpegOverUDPAndTCP() async throws {
        let fixture = try await VigilFixture(settings: settings(codec: .h263))
        let video = try await describeVideo(fixture)
        XCTAssertEqual(video.formats, ["96"])
        XCTAssertEqual(video.rtpmap(for: "96"), "H263-1998/90000")
        XCTAssertEqual(video.fmtp(for: "96"), "CUSTOM=320,240,1")
        try probe(fixture, width: 320, height: 240)
        try decode(fixture, transport: "udp", width: 320, height: 240)
        try decode(fixture, transport: "tcp", width: 320, height: 240)
        try await fixture.stop()
    }

    /// RFC 2190 mode A (static PT 34): the picture is scaled to QCIF, the largest standard
    /// format inside 320x240.
    func testRFC2190StreamPlaysInFFmpegOverUDPAndTCP() async throws {
        let fixture = try await VigilFixture(settings: settings(codec: .h263RFC2190))
        let video = try await describeVideo(fixture)
        XCTAssertEqual(video.formats, ["34"])
        XCTAssertEqual(video.rtpmap(for: "34"), "H263/90000")
        XCTAssertEqual(video.fmtp(for: "34"), "QCIF=1")
        try probe(fixture, width: 176, height: 144)
        try decode(fixture, transport: "udp", width: 176, height: 144)
        try decode(fixture, transport: "tcp", width: 176, height: 144)
        try await fixture.stop()
    }

    /// Adaptive bitrate works the same with H.263: a lossy viewer's reports bring the
    /// encoder's target down through `.setBitrate`.
    func testALossyViewerBringsTheH263EncoderDown() async throws {
        let fixture = try await VigilFixture(settings: settings(codec: .h263))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let viewer = try await TestViewer.start(port: fixture.port, url: fixture.url, transport: .udp, group: group)
        let start = fixture.vigil.pipeline.videoEncoder!.currentBitrateKbps
        XCTAssertEqual(fixture.vigil.pipeline.videoEncoder!.codec, .h263)
        // A report every 400 ms (a receiver's pace) until the encoder follows, or 15 s.
        let deadline = Date(timeIntervalSinceNow: 15)
        while fixture.vigil.pipeline.videoEncoder!.currentBitrateKbps >= start * 3 / 4, Date() < deadline {
            let ssrc = try XCTUnwrap(viewer.tracks[0].ssrc)
            var buffer = ByteBuffer()
            let block = ReceptionReport(
                ssrc: ssrc, fractionLost: 77, cumulativeLost: 0, highestSequence: 0, jitter: 90,  // 30 % lost
                lastSenderReport: 0, delaySinceLastSenderReport: 0)
            RTCPCompound.write([.receiverReport(ReceiverReport(ssrc: 0x5150, reports: [block]))], into: &buffer)
            try await viewer.tracks[0].rtcp!.send(buffer, to: viewer.tracks[0].serverPorts!.upperBound)
            try await Task.sleep(nanoseconds: 400_000_000)
        }
        let now = fixture.vigil.pipeline.videoEncoder!.currentBitrateKbps
        XCTAssertLessThan(now, start * 3 / 4, "30 % loss cut the H.263 encoder from \(start) to \(now) kbit/s")
        await viewer.close()
        try await fixture.stop()
        try await group.shutdownGracefully()
    }

    // MARK: Helpers

    private func describeVideo(_ fixture: VigilFixture) async throws -> MediaDescription {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let client = try await TestRTSPClient.connect(port: fixture.port, group: group)
        let reply = try await client.request("DESCRIBE", fixture.url, headers: [("Accept", "application/sdp")])
        XCTAssertEqual(reply.status.code, 200)
        let sdp = try SessionDescription.parse(String(buffer: reply.body))
        await client.close()
        try await group.shutdownGracefully()
        return try XCTUnwrap(sdp.media.first { $0.media == "video" })
    }

    private func probe(_ fixture: VigilFixture, width: Int, height: Int) throws {
        let result = try runProcess("ffprobe", [
            "-v", "error", "-rtsp_transport", "tcp", "-show_entries", "stream=codec_name,width,height",
            "-of", "compact=p=0", fixture.url,
        ], timeout: 20)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "")
        let text = String(decoding: result.stdout, as: UTF8.self)
        XCTAssertTrue(text.contains("codec_name=h263|width=\(width)|height=\(height)"), text)
    }

    /// Pulls 3.5 s and keeps the luma of every picture: no decoder message, ≥ 60 pictures of
    /// the coded size, the synthetic sync marks (a white picture every 60) where they belong.
    /// The raw output keeps the RTP time base (`-enc_time_base -1`): in the 1001/30000 s of
    /// H.263's picture clock, which ffmpeg would use by default, two pictures 1/30 s apart
    /// round to the same tick about once in a thousand, and the muxer complains.
    private func decode(_ fixture: VigilFixture, transport: String, width: Int, height: Int) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-h263-\(UUID().uuidString).gray").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try runProcess("ffmpeg", [
            "-nostdin", "-v", "error", "-rtsp_transport", transport, "-t", "3.5", "-i", fixture.url,
            "-map", "0:v:0", "-fps_mode", "passthrough", "-enc_time_base", "-1", "-f", "rawvideo", "-pix_fmt", "gray", path,
        ], timeout: 30)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "", "\(transport): the decoder reported problems")
        let video = try Data(contentsOf: URL(fileURLWithPath: path))
        let frameSize = width * height
        XCTAssertEqual(video.count % frameSize, 0)
        let frames = video.count / frameSize
        XCTAssertGreaterThanOrEqual(frames, 60, "\(transport): decoded pictures")
        let means = video.withUnsafeBytes { raw -> [Double] in
            let bytes = raw.bindMemory(to: UInt8.self)
            return (0..<frames).map { f in
                var sum = 0
                for i in (f * frameSize)..<((f + 1) * frameSize) { sum += Int(bytes[i]) }
                return Double(sum) / Double(frameSize)
            }
        }
        let white = means.indices.filter { means[$0] > 235 }
        XCTAssertGreaterThanOrEqual(white.count, 1, "\(transport): a sync mark in 3.5 s")
        // Every picture the encoder made is decoded; on a loaded machine (the suite shares two
        // cores) the drop-oldest queue before the encoder may lose one or two, which the
        // encoder tests, with no queue, rule out for the bitstream itself.
        for (a, b) in zip(white, white.dropFirst()) {
            XCTAssertTrue((57...60).contains(b - a), "\(transport): sync marks \(b - a) pictures apart")
        }
    }
}
