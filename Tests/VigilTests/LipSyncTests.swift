import Foundation
import MediaCore
import VigilKit
import XCTest

/// Lip sync measured at a real receiver: ffmpeg plays the stream, puts audio and video on
/// one timeline from Vigil's RTCP sender reports, and we find each white sync picture
/// (`showinfo`: mean luma) and each beep onset (`silencedetect`: end of silence) on it.
final class LipSyncTests: XCTestCase {
    /// Target of the design: |offset| ≤ 5 ms median, ≤ one picture (33 ms) worst case.
    static let medianLimit = 0.005
    static let worstLimit = 1.0 / 30

    func testAudioAndVideoPlayInSyncOverUDP() async throws {
        let (offsets, log) = try await measure(transport: "udp", audioDelay: .milliseconds(0))
        try assertInSync(offsets, "UDP", log: log)
    }

    func testAudioAndVideoPlayInSyncOverTCP() async throws {
        let (offsets, log) = try await measure(transport: "tcp", audioDelay: .milliseconds(0))
        try assertInSync(offsets, "TCP", log: log)
    }

    /// Opus (RFC 7587): its RTP timestamps are those of the decoded sound, so the encoder's
    /// 6.5 ms lookahead does not put the beep late.
    func testOpusPlaysInSyncOverUDP() async throws {
        let (offsets, log) = try await measure(transport: "udp", audioDelay: .milliseconds(0), codec: .opus, rate: 16_000)
        try assertInSync(offsets, "Opus over UDP", log: log)
    }

    /// Audio reaches Vigil 150 ms after the pictures of the same instant, with the right
    /// capture instants: the sender reports, not arrival order, carry the sync.
    func testLateAudioWithRightInstantsStillPlaysInSync() async throws {
        let (offsets, log) = try await measure(transport: "udp", audioDelay: .milliseconds(150))
        try assertInSync(offsets, "audio 150 ms late", log: log)
    }

    private func assertInSync(_ offsets: [Double], _ name: String, log: String) throws {
        // On failure, what ffmpeg saw: the white pictures and silence ends it logged, and its errors.
        let seen = log.split(separator: "\n").filter { ($0.contains("showinfo") && $0.contains("mean:[2")) || $0.contains("silence_") || $0.contains("rror") }
        XCTAssertGreaterThanOrEqual(offsets.count, 2, "\(name): sync marks found; ffmpeg saw:\n\(seen.suffix(30).joined(separator: "\n"))\n\(log.suffix(1500))")
        guard !offsets.isEmpty else { return }
        let sorted = offsets.sorted()
        let median = sorted[sorted.count / 2]
        let worst = offsets.map(abs).max() ?? 0
        print("lip sync \(name): offsets (audio − video) ms = \(offsets.map { String(format: "%.2f", $0 * 1000) }), median \(String(format: "%.2f", median * 1000)) ms")
        XCTAssertLessThanOrEqual(abs(median), Self.medianLimit, "\(name) median offset")
        XCTAssertLessThanOrEqual(worst, Self.worstLimit, "\(name) worst offset")
    }

    /// Audio-minus-video offsets, in seconds, one per sync mark seen.
    private func measure(
        transport: String, audioDelay: MediaDuration, codec: VigilSettings.Audio.Codec = .pcmu, rate: Int = 8000
    ) async throws -> (offsets: [Double], log: String) {
        var settings = VigilFixture.smallSettings()
        settings.audio.syntheticDeliveryDelay = audioDelay
        settings.audio.codec = codec
        settings.audio.sampleRate = rate
        let fixture = try await VigilFixture(settings: settings)
        let result = try runProcess("ffmpeg", [
            "-nostdin", "-hide_banner", "-loglevel", "info", "-rtsp_transport", transport, "-t", "6.5", "-i", fixture.url,
            "-map", "0:v:0", "-vf", "showinfo", "-f", "null", "-",
            "-map", "0:a:0", "-af", "silencedetect=n=-20dB:d=0.05", "-f", "null", "-",
        ], timeout: 40)
        try await fixture.stop()
        XCTAssertEqual(result.status, 0, String(result.stderr.suffix(1500)))
        return (Self.offsets(ffmpegLog: result.stderr), result.stderr)
    }

    /// ffmpeg plays `url` over TCP (for `seconds`, or to its end) and reports what it saw:
    /// audio-minus-video offsets at the sync marks, its log, its exit status.
    static func measure(url: String, seconds: Double? = nil) throws -> (offsets: [Double], log: String, status: Int32) {
        let result = try runProcess("ffmpeg", [
            "-nostdin", "-hide_banner", "-loglevel", "info", "-rtsp_transport", "tcp",
        ] + (seconds.map { ["-t", "\($0)"] } ?? []) + [
            "-i", url, "-map", "0:v:0", "-vf", "showinfo", "-f", "null", "-",
            "-map", "0:a:0", "-af", "silencedetect=n=-20dB:d=0.05", "-f", "null", "-",
        ], timeout: 40)
        return (offsets(ffmpegLog: result.stderr), result.stderr, result.status)
    }

    /// The median offset within 5 ms and the worst within a picture.
    static func assertInSync(_ offsets: [Double], _ name: String, file: StaticString = #filePath, line: UInt = #line) {
        let sorted = offsets.sorted()
        guard !sorted.isEmpty else { return }
        print("lip sync \(name): offsets (audio − video) ms = \(offsets.map { String(format: "%.2f", $0 * 1000) })")
        XCTAssertLessThanOrEqual(abs(sorted[sorted.count / 2]), medianLimit, "\(name) median offset", file: file, line: line)
        XCTAssertLessThanOrEqual(offsets.map(abs).max() ?? 0, worstLimit, "\(name) worst offset", file: file, line: line)
    }

    /// Pairs each white picture with the beep onset nearest to it (within 0.5 s).
    static func offsets(ffmpegLog: String) -> [Double] {
        var whites: [Double] = []
        var onsets: [Double] = []
        for line in ffmpegLog.split(separator: "\n") {
            if line.contains("showinfo"), let time = value(after: "pts_time:", in: line), let mean = value(after: "mean:[", in: line), mean > 230 {
                whites.append(time)
            } else if line.contains("silence_end:"), let time = value(after: "silence_end:", in: line),
                let duration = value(after: "silence_duration:", in: line), duration > 0.5
            {
                // A real onset follows a long silence; the end of the input also "ends" one.
                onsets.append(time)
            }
        }
        return whites.compactMap { white in
            guard let onset = onsets.min(by: { abs($0 - white) < abs($1 - white) }), abs(onset - white) < 0.5 else { return nil }
            return onset - white
        }
    }

    static func value(after key: String, in line: Substring) -> Double? {
        guard let range = line.range(of: key) else { return nil }
        let rest = line[range.upperBound...].drop { $0 == " " }
        return Double(rest.prefix { "0123456789.-".contains($0) })
    }
}
