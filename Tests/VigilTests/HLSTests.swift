import Foundation
import MediaCore
import XCTest

@testable import HLS
@testable import VigilKit

/// Low-latency HLS and recordings as HLS, checked by independent parts: the playlists by
/// `Scripts/testkit/hls_check.py` (the `m3u8` parser from PyPI, RFC 8216bis rules, ffprobe on
/// every segment's first picture), the live stream played by ffmpeg and the VOD playlist of
/// a recording by GStreamer's `hlsdemux`.
final class HLSTests: XCTestCase {
    static func settings(idle: MediaDuration = .seconds(30)) -> VigilSettings {
        var settings = VigilFixture.smallSettings()
        settings.http = .init(enabled: true, host: "127.0.0.1", port: 0)
        settings.http.hls.idleTimeout = idle
        return settings
    }

    static var checker: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Scripts/testkit/hls_check.py").path
    }

    /// The Python of the PyPI test tools (Scripts/install-deps --test).
    static let python = "/opt/vigil-test-python/bin/python3"

    /// Runs the playlist checker; its JSON summary, with the violations it found.
    static func check(_ mode: String, _ url: String) throws -> (summary: [String: Any], problems: String) {
        let result = try runProcess(Self.python, [checker, mode, url], timeout: 120)
        XCTAssertNotEqual(result.status, 2, "the checker must run (m3u8 from PyPI, ffprobe): \(result.stderr)")
        let summary = (try? JSONSerialization.jsonObject(with: result.stdout) as? [String: Any]) ?? [:]
        return (summary, result.stderr)
    }

    /// The media playlist URI in a multivariant playlist, and the session it names.
    static func variant(_ text: String) -> (uri: String, session: String)? {
        guard let uri = text.split(separator: "\n").map(String.init).first(where: { !$0.hasPrefix("#") && !$0.isEmpty }),
            let range = uri.range(of: "?s=")
        else { return nil }
        return (uri, String(uri[range.upperBound...]))
    }

    /// (segment, part) of the playlist's newest part, from its URIs.
    static func lastPart(_ playlist: String) -> (Int, Int)? {
        let parts = playlist.split(separator: "\n").filter { $0.hasPrefix("#EXT-X-PART:") }
        guard let last = parts.last, let uri = last.range(of: "URI=\"") else { return nil }
        let name = last[uri.upperBound...].prefix { $0 != "?" && $0 != "\"" }
        guard case .part(let sequence, let index)? = LivePlaylist.resource(named: String(name)) else { return nil }
        return (sequence, index)
    }

    /// Starts the muxer and waits until the live window holds `segments` complete segments.
    static func warm(_ port: Int, segments: Int) async throws -> (session: String, media: String) {
        let multivariant = try HTTPClient.get(port, "/live/index.m3u8")
        XCTAssertEqual(multivariant.status, 200)
        let text = String(decoding: multivariant.body, as: UTF8.self)
        let variant = try XCTUnwrap(variant(text), text)
        let media = "/live/\(variant.uri)"
        let first = try HTTPClient.get(port, media)
        XCTAssertEqual(first.status, 200, String(decoding: first.body, as: UTF8.self))
        let sequence = try XCTUnwrap(String(decoding: first.body, as: UTF8.self).split(separator: "\n")
            .first { $0.hasPrefix("#EXT-X-MEDIA-SEQUENCE:") }.flatMap { Int($0.dropFirst(22)) })
        // Blocking reload: answered once segment first + segments - 1 is complete.
        let ready = try HTTPClient.get(port, "\(media)&_HLS_msn=\(sequence + segments - 1)")
        XCTAssertEqual(ready.status, 200)
        return (variant.session, media)
    }

    func testLivePlaylistPassesTheCheckerAndBlockingReloadAnswersWithTheRequestedPart() async throws {
        let fixture = try await VigilFixture(settings: Self.settings())
        let port = try XCTUnwrap(fixture.httpPort)
        let multivariant = try HTTPClient.get(port, "/live/index.m3u8")
        XCTAssertEqual(multivariant.headers["content-type"], "application/vnd.apple.mpegurl")
        let text = String(decoding: multivariant.body, as: UTF8.self)
        XCTAssertTrue(text.contains("#EXT-X-STREAM-INF:"), text)
        XCTAssertTrue(text.contains("CODECS=\"avc1.") && text.contains(",opus\""), "H.264 and the Opus copy of the G.711 audio: \(text)")
        XCTAssertTrue(text.contains("RESOLUTION=320x240"), text)

        let (_, media) = try await Self.warm(port, segments: 3)
        let checked = try Self.check("live", "http://127.0.0.1:\(port)\(media)")
        XCTAssertEqual(checked.problems, "", "the checker's findings")
        let summary = checked.summary
        XCTAssertGreaterThanOrEqual(summary["segments"] as? Int ?? 0, 3, "\(summary)")
        XCTAssertGreaterThanOrEqual(summary["parts"] as? Int ?? 0, 20, "\(summary)")
        XCTAssertEqual(summary["part_target"] as? Double, 0.2)
        XCTAssertLessThanOrEqual(summary["longest_part"] as? Double ?? 9, 0.2)
        XCTAssertEqual(summary["target"] as? Int, 2, "segments cut on the encoder's key frames, every 2 s")
        // Every complete segment, and the first part of each segment that lists parts.
        XCTAssertGreaterThanOrEqual(summary["keyframe_checked"] as? Int ?? 0, (summary["segments"] as? Int ?? 0) + 2)

        // Blocking reload of a part three ahead of the newest (about 0.6 s away): held until
        // it exists, then answered with it — or, if its segment ends first, with the next
        // segment's first part (§6.2.5.2: "or later"). Nothing much later: the answer went
        // out when it was made.
        let now = String(decoding: try HTTPClient.get(port, media).body, as: UTF8.self)
        let (sequence, index) = try XCTUnwrap(Self.lastPart(now), now)
        let started = Date()
        let blocked = try HTTPClient.get(port, "\(media)&_HLS_msn=\(sequence)&_HLS_part=\(index + 3)")
        let waited = Date().timeIntervalSince(started)
        XCTAssertEqual(blocked.status, 200)
        let answered = String(decoding: blocked.body, as: UTF8.self)
        let names = answered.split(separator: "\n").filter { $0.hasPrefix("#EXT-X-PART:") }.compactMap { line -> String? in
            guard let start = line.range(of: "URI=\"") else { return nil }
            return String(line[start.upperBound...].prefix { $0 != "?" && $0 != "\"" })
        }
        let requested = LivePlaylist.partName(sequence, index + 3)
        let newest = try XCTUnwrap(Self.lastPart(answered))
        if names.contains(requested) {
            XCTAssertTrue(newest == (sequence, index + 3) || newest == (sequence, index + 4) || newest == (sequence + 1, 0),
                          "asked \(requested), newest \(newest)")
        } else {
            let partsOfSegment = names.filter { $0.hasPrefix("part-\(sequence).") }.count
            XCTAssertLessThanOrEqual(partsOfSegment, index + 3, "segment \(sequence) ended before \(requested)")
            XCTAssertTrue(names.contains(LivePlaylist.partName(sequence + 1, 0)), "then the next segment's first part: \(names)")
            XCTAssertTrue(newest == (sequence + 1, 0) || newest == (sequence + 1, 1), "newest \(newest)")
        }
        XCTAssertGreaterThan(waited, 0.2, "it waited for a part not yet made")
        XCTAssertLessThan(waited, 2.0, "a part is made every 0.2 s")
        // The hint names the part after it; fetching it blocks until it is made, and it is
        // then the part the next playlist lists.
        let hint = try XCTUnwrap(answered.split(separator: "\n").first { $0.hasPrefix("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"") })
        let hinted = String(hint.dropFirst("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"".count).dropLast())
        let hintedPart = try HTTPClient.get(port, "/live/hls/\(hinted)")
        XCTAssertEqual(hintedPart.status, 200)
        XCTAssertEqual(hintedPart.headers["content-type"], "video/mp4")
        let name = String(hinted.prefix { $0 != "?" })
        let later = try HTTPClient.get(port, "/live/hls/\(name)?s=\(hinted.split(separator: "=").last!)")
        XCTAssertEqual(later.body, hintedPart.body, "a part's name always means the same bytes")
        XCTAssertTrue(hintedPart.body.count > 100 && hintedPart.body[4..<8] == Data("moof".utf8), "a part is one fragment")

        // What the spec refuses: _HLS_part alone, an msn more than two segments ahead, junk.
        XCTAssertEqual(try HTTPClient.get(port, "\(media)&_HLS_part=1").status, 400)
        XCTAssertEqual(try HTTPClient.get(port, "\(media)&_HLS_msn=\(sequence + 3)").status, 400)
        XCTAssertEqual(try HTTPClient.get(port, "\(media)&_HLS_msn=abc").status, 400)
        XCTAssertEqual(try HTTPClient.get(port, "\(media)&_HLS_msn=-1").status, 400)
        // Parts long gone, far ahead, or nonsense: 404 at once.
        XCTAssertEqual(try HTTPClient.get(port, "/live/hls/part-\(sequence - 50).0.m4s").status, 404)
        XCTAssertEqual(try HTTPClient.get(port, "/live/hls/part-\(sequence + 40).0.m4s").status, 404)
        XCTAssertEqual(try HTTPClient.get(port, "/live/hls/part-x.m4s").status, 404)
        XCTAssertEqual(try HTTPClient.get(port, "/nowhere/index.m3u8").status, 404)
        try await fixture.stop()
    }

    /// ffmpeg plays the live URL (its HLS demuxer takes whole segments from the same
    /// playlist): H.264 pictures in order with the audio, every picture the source's.
    func testFFmpegPlaysTheLivePlaylistWithVideoAndAudio() async throws {
        let fixture = try await VigilFixture(settings: Self.settings())
        let port = try XCTUnwrap(fixture.httpPort)
        _ = try await Self.warm(port, segments: 3)
        let url = "http://127.0.0.1:\(port)/live/index.m3u8"
        let probe = try runProcess("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name,width,height,sample_rate", "-of", "csv=p=0", url], timeout: 60)
        XCTAssertEqual(probe.status, 0, probe.stderr)
        XCTAssertTrue(probe.text.contains("h264,320,240"), probe.text)
        XCTAssertTrue(probe.text.contains("opus"), probe.text)
        let directory = try RecordingTests.temporaryDirectory("hls-ffmpeg")
        defer { try? FileManager.default.removeItem(at: directory) }
        let video = directory.appendingPathComponent("video.gray").path
        let audio = directory.appendingPathComponent("audio.s16").path
        let decoded = try runProcess("ffmpeg", [
            "-v", "error", "-t", "4", "-i", url,
            "-map", "0:v", "-f", "rawvideo", "-pix_fmt", "gray", video,
            "-map", "0:a", "-f", "s16le", "-ac", "1", "-ar", "8000", audio,
        ], timeout: 90)
        XCTAssertEqual(decoded.status, 0, decoded.stderr)
        let pictures = try Data(contentsOf: URL(fileURLWithPath: video))
        let size = 320 * 240
        let count = pictures.count / size
        XCTAssertGreaterThanOrEqual(count, 110, "4 s at 30 fps")
        let samples = (try Data(contentsOf: URL(fileURLWithPath: audio))).count / 2
        XCTAssertGreaterThan(samples, 3 * 8000, "about 4 s of audio at 8 kHz: \(samples) samples")
        // Every picture the source's, in order, none lost: the counter strip rises by one
        // (a white sync mark, every 60 pictures, has no counter).
        let check = PictureCheck(settings: SnapshotTests.picture)
        var previous: UInt64?
        var steps: [UInt64] = []
        for index in 0..<count {
            let counter = pictures.withUnsafeBytes { raw in
                check.counter(UnsafeBufferPointer(rebasing: raw.bindMemory(to: UInt8.self)[(index * size)..<((index + 1) * size)]))
            }
            if let counter, let last = previous { steps.append(counter &- last) }
            previous = counter ?? previous.map { $0 + 1 }
        }
        XCTAssertTrue(steps.allSatisfy { $0 == 1 }, "pictures in order without a gap: \(steps.filter { $0 != 1 })")
        try await fixture.stop()
    }

    /// Chromium's `<video>` plays no HLS itself (its native player refuses this playlist:
    /// MEDIA_ERR_SRC_NOT_SUPPORTED), so the page uses Vigil's own loader, which follows the
    /// playlist with blocking reloads and feeds the parts to Media Source Extensions.
    func testChromiumPlaysTheLiveURLThroughTheOwnLoader() async throws {
        var settings = Self.settings()
        settings.http.corsOrigin = "*"  // the page is a local file: another origin
        let fixture = try await VigilFixture(settings: settings)
        let port = try XCTUnwrap(fixture.httpPort)
        let loader = try HTTPClient.get(port, "/assets/llhls.js")
        XCTAssertEqual(loader.status, 200)
        XCTAssertEqual(loader.headers["content-type"], "text/javascript; charset=utf-8")
        _ = try await Self.warm(port, segments: 1)
        let played = try await Chromium.playLiveHLS(
            loader: "http://127.0.0.1:\(port)/assets/llhls.js", url: "http://127.0.0.1:\(port)/live/index.m3u8")
        XCTAssertNil(played.error, "\(played)")
        XCTAssertGreaterThanOrEqual(played.frames, 25, "decoded pictures in 2 s: \(played)")
        XCTAssertEqual(played.width, 320)
        XCTAssertGreaterThan(played.audioAfter, played.audioBefore, "the Opus audio is decoded too: \(played)")
        try await fixture.stop()
    }

    /// A token with one use opens one playlist session: everything that session fetches
    /// needs no further check, and the spent token opens no second one.
    func testAccessIsCheckedOncePerPlaylistSessionNotPerPart() async throws {
        let state = try RecordingTests.temporaryDirectory("hls-access")
        defer { try? FileManager.default.removeItem(at: state) }
        var settings = try TokenAPITests.settings(stateDirectory: state, users: [TokenAPITests.user("root", "rootpw", [.admin])])
        settings.streamPath = "live"
        settings.video.frameRate = 30
        let fixture = try await VigilFixture(settings: settings)
        let port = try XCTUnwrap(fixture.httpPort)
        XCTAssertEqual(try HTTPClient.get(port, "/live/index.m3u8").status, 401, "no credentials")
        let store = try XCTUnwrap(fixture.vigil.tokens)
        let token = try await store.mint(app: "live", limit: 1, label: "one playlist session", now: Date()).token.text
        let multivariant = try HTTPClient.get(port, "/live/index.m3u8?token=\(token)")
        XCTAssertEqual(multivariant.status, 200)
        let variant = try XCTUnwrap(Self.variant(String(decoding: multivariant.body, as: UTF8.self)))
        XCTAssertFalse(variant.uri.contains(token), "the token is not copied into the playlist")
        var fetched = 0
        for _ in 0..<3 {
            let media = try HTTPClient.get(port, "/live/\(variant.uri)")
            XCTAssertEqual(media.status, 200)
            let text = String(decoding: media.body, as: UTF8.self)
            for line in text.split(separator: "\n") where line.hasPrefix("#EXT-X-PART:") || line.hasPrefix("#EXT-X-MAP:") {
                guard let start = line.range(of: "URI=\"") else { continue }
                let uri = line[start.upperBound...].prefix { $0 != "\"" }
                XCTAssertEqual(try HTTPClient.get(port, "/live/hls/\(uri)").status, 200, String(uri))
                fetched += 1
            }
        }
        XCTAssertGreaterThan(fetched, 10)
        XCTAssertEqual(try HTTPClient.get(port, "/live/index.m3u8?token=\(token)").status, 401, "its one use is spent")
        XCTAssertEqual(try HTTPClient.get(port, "/live/hls/stream.m3u8?s=00000000000000000000000000000000").status, 401, "a made-up session")
        XCTAssertEqual(try HTTPClient.get(port, "/live/hls/init-0.mp4").status, 401, "a part without a session is checked")
        try await fixture.stop()
    }

    /// The muxer runs only while someone fetches: after `hls_idle` without a request it is
    /// detached from the fan-out (and the Opus copy stops); the next request starts another.
    func testTheMuxerStopsWhenNobodyFetchesAndStartsAgain() async throws {
        let fixture = try await VigilFixture(settings: Self.settings(idle: .seconds(3)))
        let port = try XCTUnwrap(fixture.httpPort)
        let api = try XCTUnwrap(fixture.vigil.statusAPI)
        let idleConsumers = fixture.vigil.pipeline.output.consumerCount
        XCTAssertEqual(api.hlsService.muxersRunning, 0, "none before the first request")
        let audio = try XCTUnwrap(fixture.vigil.pipeline.audioEncoder)
        XCTAssertFalse(audio.copyWanted, "no Opus copy while nothing takes it")
        _ = try await Self.warm(port, segments: 1)
        XCTAssertEqual(api.hlsService.muxersRunning, 1)
        XCTAssertEqual(fixture.vigil.pipeline.output.consumerCount, idleConsumers + 1)
        XCTAssertTrue(audio.copyWanted)
        func counters() throws -> [String: Any] {
            let status = try JSONSerialization.jsonObject(with: try HTTPClient.get(port, "/api/v1/status").body) as? [String: Any]
            let streams = try XCTUnwrap(status?["streams"] as? [[String: Any]])
            return try XCTUnwrap(streams.first?["counters"] as? [String: Any])
        }
        XCTAssertEqual(try counters()["hls_active"] as? Bool, true)
        XCTAssertGreaterThanOrEqual(try counters()["hls_parts"] as? Int ?? 0, 10, "a whole segment of parts")
        let metrics = String(decoding: try HTTPClient.get(port, "/metrics").body, as: UTF8.self)
        XCTAssertTrue(metrics.contains("vigil_hls_active{stream=\"live\"} 1"), metrics)
        let stopped = await waitUntil(timeout: 10) { api.hlsService.muxersRunning == 0 }
        XCTAssertTrue(stopped, "closed after three seconds without requests")
        XCTAssertEqual(fixture.vigil.pipeline.output.consumerCount, idleConsumers)
        XCTAssertFalse(audio.copyWanted)
        XCTAssertEqual(try counters()["hls_active"] as? Bool, false)
        _ = try await Self.warm(port, segments: 1)
        XCTAssertEqual(api.hlsService.muxersStarted, 2)
        try await fixture.stop()
    }

    /// A recording as a VOD playlist: byte ranges of the recorded files from key frame to
    /// key frame, PROGRAM-DATE-TIME from the recording's wall clock; GStreamer's hlsdemux
    /// plays it to the end.
    func testRecordingPlaysAsAVODPlaylistInGStreamer() async throws {
        let state = try RecordingTests.temporaryDirectory("hls-vod")
        defer { try? FileManager.default.removeItem(at: state) }
        // 4 s files: the 9 s asked for span three of them (two discontinuities).
        let fixture = try await VigilFixture(settings: try RecordingTests.recordingSettings(state: state, segment: .seconds(4)))
        let port = try XCTUnwrap(fixture.httpPort)
        let recorded = await waitUntil(timeout: 40) { RecordingTests.recorded(fixture.vigil) >= 11_000_000_000 }
        XCTAssertTrue(recorded)
        let segments = try XCTUnwrap(fixture.vigil.recordings.index?.segments(stream: "live"))
        let first = try XCTUnwrap(segments.first)
        let start = RecordingTests.iso(Date(timeIntervalSince1970: Double(first.start) / 1e9))
        let end = RecordingTests.iso(Date(timeIntervalSince1970: Double(first.start) / 1e9 + 9))
        let url = "http://127.0.0.1:\(port)/live/playback/index.m3u8?start=\(start)&end=\(end)"
        let checked = try Self.check("vod", url)
        XCTAssertEqual(checked.problems, "", "the checker's findings")
        let summary = checked.summary
        XCTAssertGreaterThanOrEqual(summary["segments"] as? Int ?? 0, 4, "\(summary)")
        XCTAssertEqual(summary["discontinuities"] as? Int, 2, "three files: \(summary)")
        let duration = summary["duration"] as? Double ?? 0
        XCTAssertTrue(duration >= 9 && duration <= 12.1, "whole key-frame runs covering the 9 s: \(duration)")
        let pdt = try XCTUnwrap(summary["first_program_date_time"] as? String)
        let firstDate = try XCTUnwrap(ISO8601DateFormatter.withFraction.date(from: pdt.replacingOccurrences(of: "+00:00", with: "Z")), pdt)
        XCTAssertEqual(firstDate.timeIntervalSince1970, Double(first.start) / 1e9, accuracy: 0.002, "the recording's wall clock")

        // GStreamer's HLS demuxer, to the end: every picture of those segments.
        let directory = try RecordingTests.temporaryDirectory("hls-gst")
        defer { try? FileManager.default.removeItem(at: directory) }
        let video = directory.appendingPathComponent("video.gray").path
        let played = try runProcess("gst-launch-1.0", [
            "-q", "souphttpsrc", "location=\(url)", "!", "hlsdemux", "!", "qtdemux", "!", "h264parse", "!", "avdec_h264", "!",
            "videoconvert", "!", "video/x-raw,format=GRAY8", "!", "filesink", "location=\(video)", "sync=false",
        ], timeout: 90)
        XCTAssertEqual(played.status, 0, played.stderr)
        let pictures = ((try? FileManager.default.attributesOfItem(atPath: video)[.size] as? Int) ?? 0) / (320 * 240)
        XCTAssertEqual(Double(pictures), duration * 30, accuracy: 3, "GStreamer decoded \(pictures) pictures of \(duration) s")
        // Without a session or credentials on an open box the file is still served; a
        // recording id of another stream is not.
        XCTAssertEqual(try HTTPClient.get(port, "/live/playback/hls/999999.mp4").status, 404)
        XCTAssertEqual(try HTTPClient.get(port, "/live/playback/index.m3u8?start=yesterday").status, 400)
        try await fixture.stop()
    }
}

extension ISO8601DateFormatter {
    static var withFraction: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }
}
