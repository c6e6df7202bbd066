import Foundation
import XCTest

/// Real clients from Debian pull Vigil's stream and decode it: ffmpeg over UDP and over TCP,
/// ffprobe for the stream layout, GStreamer's rtspsrc. What they decode is counted.
final class FFmpegInteropTests: XCTestCase {
    static let width = 320
    static let height = 240

    func testFFmpegDecodesVideoAndAudioOverUDP() async throws {
        try await decodeWithFFmpeg(transport: "udp")
    }

    func testFFmpegDecodesVideoAndAudioOverTCP() async throws {
        try await decodeWithFFmpeg(transport: "tcp")
    }

    /// Pulls 3.5 s, writes the luma of every decoded picture and the decoded audio, and checks:
    /// no decoder message at all, ≥ 60 pictures of the configured size, ≥ 1 s of audio, the
    /// synthetic sync marks (one white picture every 60) where they belong, and the tone level.
    private func decodeWithFFmpeg(transport: String) async throws {
        let fixture = try await VigilFixture()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-ffmpeg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let videoPath = directory.appendingPathComponent("video.gray").path
        let audioPath = directory.appendingPathComponent("audio.s16").path
        let result = try runProcess("ffmpeg", [
            "-nostdin", "-v", "error", "-rtsp_transport", transport, "-t", "3.5", "-i", fixture.url,
            "-map", "0:v:0", "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "gray", videoPath,
            "-map", "0:a:0", "-f", "s16le", "-ar", "8000", "-ac", "1", audioPath,
        ], timeout: 30)
        try await fixture.stop()

        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "", "the decoder reported problems")
        let video = try Data(contentsOf: URL(fileURLWithPath: videoPath))
        let frameSize = Self.width * Self.height
        XCTAssertEqual(video.count % frameSize, 0, "whole \(Self.width)x\(Self.height) pictures")
        let frames = video.count / frameSize
        XCTAssertGreaterThanOrEqual(frames, 60, "decoded pictures")

        // Sync marks: white pictures exactly 2 s (60 pictures) apart, all others dark.
        let means = video.withUnsafeBytes { raw -> [Double] in
            let bytes = raw.bindMemory(to: UInt8.self)
            return (0..<frames).map { f in
                var sum = 0
                for i in (f * frameSize)..<((f + 1) * frameSize) { sum += Int(bytes[i]) }
                return Double(sum) / Double(frameSize)
            }
        }
        let white = means.indices.filter { means[$0] > 235 }
        XCTAssertGreaterThanOrEqual(white.count, 1, "at least one sync mark in 3.5 s")
        for (a, b) in zip(white, white.dropFirst()) {
            XCTAssertEqual(b - a, 60, "sync marks every 60 pictures")
        }
        for i in means.indices where !white.contains(i) {
            XCTAssertLessThan(means[i], 170, "picture \(i) should be dark, mean luma \(means[i])")
        }

        let audio = try Data(contentsOf: URL(fileURLWithPath: audioPath))
        XCTAssertGreaterThanOrEqual(audio.count, 16_000, "at least one second of 8 kHz audio")
        let samples = audio.withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
        let peak = samples.map { abs(Int($0)) }.max() ?? 0
        XCTAssertGreaterThan(peak, 100, "the tone is there")
    }

    func testFFprobeSeesTheConfiguredStreams() async throws {
        let fixture = try await VigilFixture()
        let result = try runProcess("ffprobe", [
            "-v", "error", "-rtsp_transport", "tcp", "-show_entries",
            "stream=codec_name,width,height,sample_rate,channels,profile", "-of", "compact=p=0", fixture.url,
        ], timeout: 20)
        try await fixture.stop()
        XCTAssertEqual(result.status, 0, result.stderr)
        let text = String(decoding: result.stdout, as: UTF8.self)
        XCTAssertTrue(text.contains("codec_name=h264"), text)
        XCTAssertTrue(text.contains("width=\(Self.width)|height=\(Self.height)"), text)
        XCTAssertTrue(text.contains("codec_name=pcm_mulaw"), text)
        XCTAssertTrue(text.contains("sample_rate=8000|channels=1"), text)
    }

    func testFFmpegDecodesPCMAWhenConfigured() async throws {
        var settings = VigilFixture.smallSettings()
        settings.audio.codec = .pcma
        let fixture = try await VigilFixture(settings: settings)
        let result = try runProcess("ffmpeg", [
            "-nostdin", "-v", "error", "-rtsp_transport", "udp", "-t", "2", "-i", fixture.url,
            "-map", "0:a:0", "-f", "s16le", "-",
        ], timeout: 20)
        try await fixture.stop()
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "")
        XCTAssertGreaterThanOrEqual(result.stdout.count, 16_000, "a second of A-law audio decoded")
    }

    /// `codec = "opus"`: SDP `opus/48000/2` with `sprop-stereo=0` (RFC 7587 §7), and ffmpeg
    /// decodes a second of it.
    func testFFmpegDecodesOpusWhenConfigured() async throws {
        var settings = VigilFixture.smallSettings()
        settings.audio.codec = .opus
        settings.audio.sampleRate = 16_000
        let fixture = try await VigilFixture(settings: settings)
        let probe = try runProcess("ffprobe", [
            "-v", "error", "-rtsp_transport", "tcp", "-show_entries", "stream=codec_name,sample_rate,channels", "-of", "compact", fixture.url,
        ], timeout: 20)
        let result = try runProcess("ffmpeg", [
            "-nostdin", "-v", "error", "-rtsp_transport", "udp", "-t", "2", "-i", fixture.url,
            "-map", "0:a:0", "-ar", "48000", "-ac", "1", "-f", "s16le", "-",
        ], timeout: 20)
        try await fixture.stop()
        let text = String(decoding: probe.stdout, as: UTF8.self)
        XCTAssertTrue(text.contains("codec_name=opus|sample_rate=48000"), text)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertGreaterThanOrEqual(result.stdout.count, 96_000, "a second of Opus decoded (48 kHz, 16-bit)")
    }

    func testGStreamerRtspsrcDecodesOverUDP() async throws {
        let fixture = try await VigilFixture()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-gst-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let videoPath = directory.appendingPathComponent("video.gray").path
        let audioPath = directory.appendingPathComponent("audio.s16").path
        // SIGINT after 4 s (-e turns it into an end of stream so the files are complete), KILL 3 s later.
        let result = try runProcess("/usr/bin/timeout", [
            "-k", "3", "-s", "INT", "4", "gst-launch-1.0", "-e", "-q",
            "rtspsrc", "location=\(fixture.url)", "protocols=udp", "latency=200", "name=src",
            "src.", "!", "application/x-rtp,media=video", "!", "rtph264depay", "!", "avdec_h264", "!",
            "videoconvert", "!", "video/x-raw,format=GRAY8", "!", "filesink", "location=\(videoPath)",
            "src.", "!", "application/x-rtp,media=audio", "!", "rtppcmudepay", "!", "mulawdec", "!",
            "filesink", "location=\(audioPath)",
        ], timeout: 20)
        try await fixture.stop()
        _ = result
        let video = (try? Data(contentsOf: URL(fileURLWithPath: videoPath))) ?? Data()
        let frames = video.count / (Self.width * Self.height)
        XCTAssertGreaterThanOrEqual(frames, 60, "GStreamer decoded pictures (stderr: \(result.stderr))")
        let audio = (try? Data(contentsOf: URL(fileURLWithPath: audioPath))) ?? Data()
        XCTAssertGreaterThanOrEqual(audio.count, 16_000, "GStreamer decoded a second of audio")
        XCTAssertFalse(result.stderr.contains("ERROR"), result.stderr)
    }
}
