import Foundation
import MediaCore
import NIOPosix
@testable import Record
import TestSeeds
import VigilKit
import XCTest

/// Loop recording end to end: the real composition root records the synthetic source, the
/// HTTP API lists it and cuts clips, and ffprobe/ffmpeg — not Vigil's reader — say what the
/// files hold. The synthetic source shows a white picture and starts a beep together every
/// 60 pictures (2 s at 30 fps): the sync marks.
final class RecordingTests: XCTestCase {
    static let frameRate = 30.0

    static func recordingSettings(
        state: URL, segment: MediaDuration = .seconds(10), part: MediaDuration = .seconds(1)
    ) throws -> VigilSettings {
        var settings = VigilFixture.smallSettings()
        settings.http = .init(enabled: true, host: "127.0.0.1", port: 0)
        settings.access.stateDirectory = state.path
        var record = VigilSettings.Record()
        record.enabled = true
        record.segmentDuration = segment
        record.partDuration = part
        settings.streams[0].record = record
        return settings
    }

    static func temporaryDirectory(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Recorded nanoseconds of `stream` so far, from the index.
    static func recorded(_ vigil: Vigil, stream: String = "live") -> Int64 {
        guard let segments = try? vigil.recordings.index?.segments(stream: stream) else { return 0 }
        return segments.reduce(0) { $0 + $1.duration }
    }

    func testRecordingIsListedAndAClipDecodesWithItsFramesAudioAndSyncMarks() async throws {
        let state = try Self.temporaryDirectory("record")
        defer { try? FileManager.default.removeItem(at: state) }
        let fixture = try await VigilFixture(settings: try Self.recordingSettings(state: state))
        let http = try XCTUnwrap(fixture.httpPort)
        let recordedEnough = await waitUntil(timeout: 30) { Self.recorded(fixture.vigil) >= 8_000_000_000 }
        XCTAssertTrue(recordedEnough, "8 s recorded within 30 s")

        // The listing: one span, no gaps, as long as the index says.
        let listing = try HTTPClient.get(http, "/api/v1/recordings/live")
        XCTAssertEqual(listing.status, 200)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: listing.body) as? [String: Any])
        let spans = try XCTUnwrap(json["spans"] as? [[String: Any]])
        XCTAssertEqual(spans.count, 1, "one continuous span: \(json)")
        XCTAssertEqual((json["gaps"] as? [Any])?.count, 0)
        let spanStart = try XCTUnwrap(spans.first?["start"] as? String)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(spans.first?["duration"] as? Double), 8)

        // A 5 s clip from the first picture recorded (a key frame): 150 pictures, 5 s.
        let start = try XCTUnwrap(Self.parseISO(spanStart))
        let end = Self.iso(start.addingTimeInterval(5))
        let clipPath = "/api/v1/recordings/live/clip.mp4?start=\(spanStart)&end=\(end)"
        let clip = try HTTPClient.get(http, clipPath)
        XCTAssertEqual(clip.status, 200)
        XCTAssertEqual(clip.headers["content-type"], "video/mp4")
        XCTAssertEqual(clip.headers["accept-ranges"], "bytes")
        XCTAssertEqual(clip.headers["content-length"], "\(clip.body.count)")
        let file = state.appendingPathComponent("clip.mp4")
        try clip.body.write(to: file)

        let probe = try FFprobe.streams(file.path)
        let video = try XCTUnwrap(probe.first { $0.codec == "h264" }, "\(probe)")
        XCTAssertEqual(video.width, 320)
        XCTAssertEqual(video.height, 240)
        XCTAssertEqual(Double(video.frames), 5 * Self.frameRate, accuracy: 1, "pictures in a 5 s clip")
        XCTAssertEqual(video.duration, 5, accuracy: 1 / Self.frameRate + 0.001, "clip duration")
        // G.711 in, Opus recorded (`[stream.record] audio = "opus"`, the default).
        let audio = try XCTUnwrap(probe.first { $0.codec == "opus" }, "Opus audio in the clip: \(probe)")
        XCTAssertEqual(audio.duration, 5, accuracy: 0.1)

        // The sync marks: each white picture and its beep onset at most 5 ms apart.
        let decoded = try runProcess("ffmpeg", [
            "-nostdin", "-hide_banner", "-loglevel", "info", "-i", file.path,
            "-map", "0:v:0", "-vf", "showinfo", "-f", "null", "-",
            "-map", "0:a:0", "-af", "silencedetect=n=-20dB:d=0.05", "-f", "null", "-",
        ], timeout: 60)
        XCTAssertEqual(decoded.status, 0, String(decoded.stderr.suffix(1500)))
        XCTAssertFalse(decoded.stderr.contains("rror"), "ffmpeg decodes the clip cleanly: \(decoded.stderr.suffix(800))")
        let offsets = LipSyncTests.offsets(ffmpegLog: decoded.stderr)
        XCTAssertGreaterThanOrEqual(offsets.count, 2, "sync marks in a 5 s clip (one every 2 s)")
        for offset in offsets { XCTAssertLessThanOrEqual(abs(offset), 0.005, "audio − video at a sync mark, s") }
        print("clip sync offsets ms: \(offsets.map { String(format: "%.2f", $0 * 1000) })")

        // GStreamer decodes it to the end, pictures and sound.
        let gst = try GStreamerDecode.buffers(file.path)
        XCTAssertEqual(gst.status, 0)
        XCTAssertEqual(Double(gst.video), Double(video.frames), accuracy: 5, "GStreamer's decoded pictures")
        XCTAssertGreaterThan(gst.audio, 0, "GStreamer decodes the sound")
        // Chromium plays the clip straight from the API, with sound.
        let played = try await Chromium.play("http://127.0.0.1:\(http)\(clipPath)", seconds: 2.5)
        print("chromium: \(played)")
        XCTAssertNil(played.error)
        XCTAssertEqual(played.width, 320)
        XCTAssertGreaterThanOrEqual(played.frames, 25, "pictures painted in 2.5 s")
        XCTAssertGreaterThan(played.audioBytes, 0, "audio decoded")

        // Byte ranges: the first bytes, the middle and a suffix are the clip's own bytes.
        let length = clip.body.count
        for (header, expected) in [
            ("bytes=0-99", 0..<100), ("bytes=\(length / 2)-\(length / 2 + 4095)", (length / 2)..<(length / 2 + 4096)),
            ("bytes=-500", (length - 500)..<length), ("bytes=\(length - 10)-", (length - 10)..<length),
        ] {
            let part = try HTTPClient.get(http, clipPath, headers: ["Range: \(header)"])
            XCTAssertEqual(part.status, 206, header)
            XCTAssertEqual(part.headers["content-range"], "bytes \(expected.lowerBound)-\(expected.upperBound - 1)/\(length)", header)
            XCTAssertEqual(part.body, clip.body.subdata(in: expected), header)
        }
        let beyond = try HTTPClient.get(http, clipPath, headers: ["Range: bytes=\(length)-"])
        XCTAssertEqual(beyond.status, 416)
        XCTAssertEqual(beyond.headers["content-range"], "bytes */\(length)")

        // Requests it cannot answer say why, with the right codes.
        XCTAssertEqual(try HTTPClient.get(http, "/api/v1/recordings/live/clip.mp4").status, 400, "no start")
        XCTAssertEqual(try HTTPClient.get(http, "/api/v1/recordings/live/clip.mp4?start=yesterday").status, 400)
        XCTAssertEqual(try HTTPClient.get(http, "/api/v1/recordings/live/clip.mp4?start=2001-01-01T00:00:00Z&end=2001-01-01T00:01:00Z").status, 404)
        XCTAssertEqual(try HTTPClient.get(http, "/api/v1/recordings/elsewhere").status, 404)
        try await fixture.stop()

        // After a graceful stop every segment is complete and ffprobe's duration matches the index.
        let index = try RecordingIndex(readingOnly: state.appendingPathComponent(RecordingIndex.fileName).path)
        let segments = try index.segments(stream: "live")
        XCTAssertFalse(segments.isEmpty)
        for segment in segments {
            XCTAssertTrue(segment.complete, segment.file)
            try RecordingCrashTests.assertPlaysCleanly(segment.file, duration: Double(segment.duration) / 1e9)
        }
    }

    static func parseISO(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    static func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}

/// HTTP through curl: a real client, with its status, headers (lowercased) and body.
enum HTTPClient {
    struct Answer {
        var status: Int
        var headers: [String: String]
        var body: Data
    }

    static func get(_ port: Int, _ path: String, headers: [String] = []) throws -> Answer {
        let headerFile = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-curl-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: headerFile) }
        var arguments = ["-s", "-g", "--max-time", "30", "-D", headerFile.path]
        for header in headers { arguments += ["-H", header] }
        arguments.append("http://127.0.0.1:\(port)\(path)")
        let result = try runProcess("curl", arguments, timeout: 40)
        return try answer(result, headerFile: headerFile, what: "GET \(path)")
    }

    /// The answer curl wrote: its status line and headers from `headerFile` (`-D`), the body on stdout.
    static func answer(_ result: ProcessResult, headerFile: URL, what: String) throws -> Answer {
        guard result.status == 0, let head = try? String(contentsOf: headerFile, encoding: .utf8) else {
            throw StatusAPITests.GetError.noAnswer("\(what): curl exit \(result.status) \(result.stderr)")
        }
        var lines = head.split(separator: "\r\n").map(String.init)
        let statusLine = lines.removeFirst()
        let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") ?? 0
        var fields: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Answer(status: status, headers: fields, body: result.stdout)
    }
}

/// What ffprobe says of a file's streams (and, with `format`, of the whole file as a
/// pseudo-stream named "format").
enum FFprobe {
    struct Stream: CustomStringConvertible {
        var codec: String
        var frames: Int
        var duration: Double
        var width: Int
        var height: Int
        var description: String { "\(codec) \(frames) frames \(duration) s \(width)x\(height)" }
    }

    static func streams(_ path: String, format: Bool = false) throws -> [Stream] {
        var arguments = [
            "-v", "error", "-count_frames", "-show_entries", "stream=codec_name,nb_read_frames,duration,width,height",
        ]
        if format { arguments += ["-show_entries", "format=duration"] }
        arguments += ["-of", "compact", path]
        let result = try runProcess("ffprobe", arguments, timeout: 60)
        guard result.status == 0 else { throw StatusAPITests.GetError.noAnswer("ffprobe \(path): \(result.stderr)") }
        return String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").compactMap { line in
            var fields: [String: String] = [:]
            for pair in line.split(separator: "|").dropFirst() {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
            }
            let isFormat = line.hasPrefix("format")
            return Stream(
                codec: isFormat ? "format" : fields["codec_name"] ?? "?", frames: Int(fields["nb_read_frames"] ?? "") ?? 0,
                duration: Double(fields["duration"] ?? "") ?? 0, width: Int(fields["width"] ?? "") ?? 0,
                height: Int(fields["height"] ?? "") ?? 0)
        }
    }
}

/// Crashes: a `kill -9` in the middle of a part, and files torn at any byte.
final class RecordingCrashTests: XCTestCase {
    /// What the pipeline holds between capture and a durable part besides the part itself:
    /// a picture or two in the encoder and the wait for lagging audio.
    static let pipelineSlack = 0.35

    func testKill9MidPartLosesAtMostThePartBeingWrittenAndTheScanRepairsIt() async throws {
        let binary = try TestEnvironment.vigilBinary()
        let state = try RecordingTests.temporaryDirectory("kill9")
        defer { try? FileManager.default.removeItem(at: state) }
        let config = state.appendingPathComponent("vigil.toml")
        try """
            [rtsp]
            host = "127.0.0.1"
            port = 0
            udp_port_base = \(42_000 + Int.random(in: 0..<4000) * 2)
            [access]
            state_directory = "\(state.path)"
            [log]
            level = "info"
            [[stream]]
            path = "live"
            [stream.video]
            width = 320
            height = 240
            bitrate = 500
            threads = 1
            [stream.record]
            enabled = true
            segment = "60s"
            part = "1s"
            """.write(to: config, atomically: true, encoding: .utf8)
        let indexPath = state.appendingPathComponent(RecordingIndex.fileName).path

        let first = try DaemonProcess(binary: binary, arguments: ["run", "--config", config.path])
        defer { if first.process.isRunning { first.signal(SIGKILL) } }
        _ = try await first.waitForStdout(#"Vigil serving rtsp://127\.0\.0\.1:(\d+)/live"#, timeout: 20)
        func recorded() -> (Int64, [RecordedSegment]) {
            guard FileManager.default.fileExists(atPath: indexPath), let index = try? RecordingIndex(readingOnly: indexPath),
                let segments = try? index.segments(stream: "live")
            else { return (0, []) }
            return (segments.reduce(0) { $0 + $1.duration }, segments)
        }
        let started = await waitUntil(timeout: 30) { recorded().0 >= 4_000_000_000 }
        XCTAssertTrue(started, "4 s recorded: \(first.stdout.value.suffix(2000))")
        // Right after a part lands, half a part more: the kill falls in the middle of one.
        let before = recorded().0
        let landed = await waitUntil(timeout: 5) { recorded().0 > before }
        XCTAssertTrue(landed)
        try await Task.sleep(nanoseconds: 500_000_000)
        first.signal(SIGKILL)
        let killedAt = Date().timeIntervalSince1970
        _ = try await first.waitForExit(timeout: 10)
        let (_, beforeScan) = recorded()
        let torn = try XCTUnwrap(beforeScan.last)
        XCTAssertFalse(torn.complete, "the segment being written is not complete after kill -9")

        // The next start repairs it and says so.
        let second = try DaemonProcess(binary: binary, arguments: ["run", "--config", config.path])
        defer { if second.process.isRunning { second.signal(SIGKILL) } }
        let logged = await waitUntil(timeout: 20) { (second.stdout.value + second.stderr.value).contains("recovery scan") }
        XCTAssertTrue(logged, "the recovery scan is logged: \(second.stdout.value.suffix(2000)) \(second.stderr.value.suffix(1000))")
        let log = (second.stdout.value + second.stderr.value).split(separator: "\n").first { $0.contains("recovery scan") } ?? ""
        XCTAssertTrue(log.contains("repaired=1"), String(log))
        second.signal(SIGINT)
        let status = try await second.waitForExit(timeout: 15)
        XCTAssertEqual(status, 0)

        let repaired = try XCTUnwrap(recorded().1.first { $0.file == torn.file })
        XCTAssertTrue(repaired.complete)
        let recoveredEnd = Double(repaired.end) / 1e9
        let lost = killedAt - recoveredEnd
        print("kill -9: \(String(format: "%.3f", lost)) s of media lost (parts of 1 s)")
        XCTAssertLessThanOrEqual(lost, 1 + Self.pipelineSlack, "at most the part being written is lost")
        XCTAssertGreaterThan(lost, 0)

        // Every completed part plays: ffmpeg decodes it cleanly, with the frames its duration says.
        try Self.assertPlaysCleanly(repaired.file, duration: Double(repaired.duration) / 1e9)

        // `vigil recordings`: the span before the kill, the gap while it was down, the span after.
        let listing = try runProcess(binary.path, ["recordings", "live", "--config", config.path, "--json"], timeout: 20)
        XCTAssertEqual(listing.status, 0, listing.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: listing.stdout) as? [String: Any])
        XCTAssertEqual((json["spans"] as? [Any])?.count, 2, "\(json)")
        XCTAssertEqual((json["gaps"] as? [Any])?.count, 1, "\(json)")
        let text = try runProcess(binary.path, ["recordings", "live", "--config", config.path], timeout: 20)
        XCTAssertTrue(String(decoding: text.stdout, as: UTF8.self).hasPrefix("live: 2 spans"), String(decoding: text.stdout, as: UTF8.self))
        let unknown = try runProcess(binary.path, ["recordings", "live", "--config", config.path, "--start", "soon"], timeout: 20)
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.stderr.contains("start must be an ISO 8601 instant"), unknown.stderr)
    }

    /// A file torn at a random byte (seeded) keeps exactly its whole fragments: ffprobe's own
    /// packet positions in the untorn file say which pictures lie wholly before the cut, and
    /// the repaired file keeps them all but those of the torn part.
    func testTheScanCutsAFileTornAtAnyByteBackToItsWholeParts() async throws {
        let state = try RecordingTests.temporaryDirectory("torn")
        defer { try? FileManager.default.removeItem(at: state) }
        // The stream's own G.711 this time (`audio = "stream"`).
        var settings = try RecordingTests.recordingSettings(state: state, segment: .seconds(60))
        settings.streams[0].record.audio = .stream
        let fixture = try await VigilFixture(settings: settings)
        let recorded = await waitUntil(timeout: 30) { RecordingTests.recorded(fixture.vigil) >= 6_000_000_000 }
        XCTAssertTrue(recorded)
        try await fixture.stop()
        let original = try XCTUnwrap(try fixture.vigil.recordings.index?.segments(stream: "live").first?.file)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: original))
        XCTAssertTrue(try FFprobe.streams(original).contains { $0.codec == "pcm_mulaw" }, "G.711 as recorded")
        let packets = try FFprobe.videoPackets(original)
        XCTAssertEqual(Double(packets.count), 6 * RecordingTests.frameRate, accuracy: 40)

        var random = SeededRandom(seed: TestSeed.value(default: 0x70A2_11))
        for round in 0..<4 {
            let cut = Int.random(in: (bytes.count / 4)..<bytes.count, using: &random)
            let directory = state.appendingPathComponent("round\(round)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let file = directory.appendingPathComponent(URL(fileURLWithPath: original).lastPathComponent)
            try bytes.prefix(cut).write(to: file)
            let index = try RecordingIndex(path: directory.appendingPathComponent("index.sqlite").path)
            let id = try index.add(stream: "live", file: file.path, start: 0)
            var logger = VigilFixture.testLogger()
            logger.logLevel = .critical
            let report = RecoveryScan(directory: directory.path, stream: "live", index: index, logger: logger).run()
            XCTAssertEqual(report.repaired, [file.path], "cut at \(cut), \(TestSeed.describe(TestSeed.value(default: 0x70A2_11)))")
            let segment = try XCTUnwrap(try index.segments(stream: "live").first { $0.id == id })
            XCTAssertTrue(segment.complete)
            XCTAssertEqual(Int(segment.bytes), try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int)

            let wholeBeforeCut = packets.filter { $0.position + $0.size <= cut }.count
            let kept = try FFprobe.videoPackets(file.path).count
            XCTAssertLessThanOrEqual(kept, wholeBeforeCut, "cut at \(cut)")
            XCTAssertGreaterThanOrEqual(kept, wholeBeforeCut - Int(RecordingTests.frameRate) - 1, "at most one part (30 pictures) lost, cut at \(cut)")
            try Self.assertPlaysCleanly(file.path, duration: Double(segment.duration) / 1e9)
        }
    }

    static func assertPlaysCleanly(_ path: String, duration: Double, file: StaticString = #filePath, line: UInt = #line) throws {
        let decoded = try runProcess("ffmpeg", ["-nostdin", "-v", "error", "-i", path, "-f", "null", "-"], timeout: 60)
        XCTAssertEqual(decoded.status, 0, file: file, line: line)
        XCTAssertEqual(decoded.stderr, "", "ffmpeg decodes \(path) without an error", file: file, line: line)
        let streams = try FFprobe.streams(path, format: true)
        let video = try XCTUnwrap(streams.first { $0.codec == "h264" }, file: file, line: line)
        XCTAssertEqual(Double(video.frames), duration * RecordingTests.frameRate, accuracy: 1.5, "pictures for \(duration) s", file: file, line: line)
        XCTAssertEqual(video.duration, duration, accuracy: 0.002, "video duration", file: file, line: line)
        // mehd (ISO/IEC 14496-12 §8.8.2), found by its type: size, "mehd", version 1 + flags,
        // then the 64-bit fragment_duration in the movie timescale (ms here).
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let mehd = try XCTUnwrap(bytes.range(of: Data("mehd".utf8)), "a mehd box", file: file, line: line)
        XCTAssertEqual(bytes[mehd.upperBound], 1, "mehd version 1", file: file, line: line)
        let field = bytes[(mehd.upperBound + 4)..<(mehd.upperBound + 12)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        XCTAssertEqual(Double(field) / 1000, duration, accuracy: 0.001, "the duration written into mehd", file: file, line: line)
    }
}

extension FFprobe {
    struct Packet {
        var position: Int
        var size: Int
    }

    /// The video packets ffprobe finds, with their byte positions in the file.
    static func videoPackets(_ path: String) throws -> [Packet] {
        let result = try runProcess("ffprobe", [
            "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pos,size", "-of", "csv=p=0", path,
        ], timeout: 60)
        return String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").compactMap { line in
            let fields = line.split(separator: ",")
            guard fields.count >= 2, let size = Int(fields[0]), let position = Int(fields[1]) else { return nil }
            return Packet(position: position, size: size)
        }
    }
}

/// A small file system that fills up: the cleaner holds `min_free`, a full disk pauses
/// recording (live viewers see nothing of it) and recording resumes when space returns.
/// A tmpfs with a size stands in for the appliance's SD card; it needs root to mount.
final class RecordingDiskTests: XCTestCase {
    private var mountPoint: URL?

    override func tearDown() {
        if let mountPoint {
            _ = try? runProcess("/bin/umount", ["-l", mountPoint.path], timeout: 10)
            try? FileManager.default.removeItem(at: mountPoint)
        }
        super.tearDown()
    }

    private func smallFileSystem(megabytes: Int) throws -> URL {
        try TestEnvironment.require(getuid() == 0, "mounting a tmpfs needs root")
        let directory = try RecordingTests.temporaryDirectory("tmpfs")
        let result = try runProcess("/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", directory.path], timeout: 10)
        XCTAssertEqual(result.status, 0, result.stderr)
        mountPoint = directory
        return directory
    }

    /// Fills `directory`'s file system until `free` bytes are left.
    private func fill(_ directory: URL, leaving free: Int64) throws -> URL {
        let blocker = directory.appendingPathComponent("blocker")
        let space = try RecordingDirectoryForTests.available(directory.path)
        let size = max(0, space - free)
        FileManager.default.createFile(atPath: blocker.path, contents: Data(count: Int(size)))
        return blocker
    }

    /// Noise at 1 Mbit/s: every picture costs its share, so the disk fills in seconds.
    private func settings(state: URL, recordings: URL) throws -> VigilSettings {
        var settings = try RecordingTests.recordingSettings(state: state, segment: .seconds(2), part: .milliseconds(500))
        settings.video.pattern = .noise
        settings.video.bitrateKbps = 1000
        settings.video.adaptiveBitrate = false
        settings.streams[0].record.path = recordings.path
        return settings
    }

    func testTheCleanerHoldsMinFreeByDeletingTheOldestSegments() async throws {
        let disk = try smallFileSystem(megabytes: 8)
        let state = try RecordingTests.temporaryDirectory("minfree-state")
        defer { try? FileManager.default.removeItem(at: state) }
        let recordings = disk.appendingPathComponent("live")
        _ = try fill(disk, leaving: 4 << 20)
        let minFree: Int64 = 3 << 20
        var settings = try settings(state: state, recordings: recordings)
        settings.streams[0].record.minFree = .bytes(minFree)
        let fixture = try await VigilFixture(settings: settings)

        var lowest = Int64.max
        var firstFile: String?
        func spaceDeletions() -> UInt64 { fixture.vigil.recordings.cleaner?.deleted.counts[.space] ?? 0 }
        let deleted = await waitUntil(timeout: 40) {
            if firstFile == nil { firstFile = try? fixture.vigil.recordings.index?.segments(stream: "live").first?.file }
            if let free = try? RecordingDirectoryForTests.available(disk.path) { lowest = min(lowest, free) }
            return spaceDeletions() >= 3
        }
        XCTAssertTrue(deleted, "three segments deleted for space within 40 s (\(spaceDeletions()))")
        // Steady state: the cleaner runs after every part, so free space dips below min_free
        // by at most about one segment (what is written while nothing older is complete).
        lowest = Int64.max
        let end = Date(timeIntervalSinceNow: 3)
        while Date() < end {
            if let free = try? RecordingDirectoryForTests.available(disk.path) { lowest = min(lowest, free) }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        let segments = try XCTUnwrap(try fixture.vigil.recordings.index?.segments(stream: "live"))
        let segmentBytes = segments.filter(\.complete).map(\.bytes).max() ?? 0
        print("min_free \(minFree) B: lowest free \(lowest) B over 3 s; segments of up to \(segmentBytes) B")
        XCTAssertGreaterThanOrEqual(lowest, minFree - segmentBytes - 64 * 1024, "free space held near min_free")
        // Oldest first: the first segment is gone and what is left is one unbroken span.
        let first = try XCTUnwrap(firstFile)
        XCTAssertFalse(FileManager.default.fileExists(atPath: first), "the oldest segment was deleted first")
        XCTAssertFalse(segments.contains { $0.file == first })
        XCTAssertEqual(RecordingTimeline(segments: segments).spans.count, 1, "the deleted ones were the oldest: no hole left")
        let status = try await fixture.vigil.status()
        XCTAssertEqual(status.streams[0].recording?.state, "recording")
        try await fixture.stop()
    }

    func testAFullDiskPausesRecordingWithoutTouchingLiveViewersAndRecordingResumes() async throws {
        let disk = try smallFileSystem(megabytes: 8)
        let state = try RecordingTests.temporaryDirectory("full-state")
        defer { try? FileManager.default.removeItem(at: state) }
        let recordings = disk.appendingPathComponent("live")
        let blocker = try fill(disk, leaving: 600 << 10)
        var settings = try settings(state: state, recordings: recordings)
        settings.streams[0].record.minFree = nil
        let fixture = try await VigilFixture(settings: settings)
        let http = try XCTUnwrap(fixture.httpPort)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let viewer = try await TestViewer.start(port: fixture.port, url: fixture.url, transport: .udp, group: group)

        func recordingState() async throws -> String? { try await fixture.vigil.status().streams[0].recording?.state }
        let paused = try await waitUntil(timeout: 30) { try await recordingState() == "paused" }
        XCTAssertTrue(paused, "recording paused on a full disk")
        let metrics = try HTTPClient.get(http, "/metrics")
        let text = String(decoding: metrics.body, as: UTF8.self)
        XCTAssertTrue(text.contains("vigil_recording_paused{stream=\"live\"} 1"), text)
        let status = try await fixture.vigil.status()
        XCTAssertEqual(status.streams[0].recording?.pauses, 1)
        XCTAssertTrue(status.streams[0].recording?.lastError?.contains("No space left") ?? false, "\(String(describing: status.streams[0].recording))")
        // Paused for a while: still one pause, and the live viewer lost nothing.
        let videoBefore = viewer.pictures()
        try await Task.sleep(nanoseconds: 3_000_000_000)
        let pausesLater = try await fixture.vigil.status().streams[0].recording?.pauses
        XCTAssertEqual(pausesLater, 1, "one pause, however many retries")
        XCTAssertGreaterThan(viewer.pictures() - videoBefore, 60, "pictures kept coming to the live viewer")

        // Space returns: recording resumes by itself on a new segment.
        let segmentsBefore = try fixture.vigil.recordings.index?.segments(stream: "live").count ?? 0
        try FileManager.default.removeItem(at: blocker)
        let resumed = try await waitUntil(timeout: 20) {
            try await recordingState() == "recording" && (try fixture.vigil.recordings.index?.segments(stream: "live").count ?? 0) > segmentsBefore
        }
        XCTAssertTrue(resumed, "recording resumed when space returned")
        XCTAssertEqual(sequenceGaps(viewer.rtpPackets(track: 0)), 0, "no video packet lost by the live viewer")
        XCTAssertEqual(sequenceGaps(viewer.rtpPackets(track: 1)), 0, "no audio packet lost by the live viewer")
        await viewer.close()
        try await fixture.stop()
        try await group.shutdownGracefully()
        // Whatever was recorded before the disk filled still plays.
        for segment in try XCTUnwrap(try fixture.vigil.recordings.index?.segments(stream: "live")) where segment.duration > 0 {
            try RecordingCrashTests.assertPlaysCleanly(segment.file, duration: Double(segment.duration) / 1e9)
        }
    }
}

enum RecordingDirectoryForTests {
    static func available(_ path: String) throws -> Int64 {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { throw StatusAPITests.GetError.noAnswer("statvfs \(path)") }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }
}

/// The recordings API behind access control: `playback` on the stream, by a user or a token.
final class RecordingAccessTests: XCTestCase {
    func testRecordingsNeedPlaybackByUserOrToken() async throws {
        let state = try RecordingTests.temporaryDirectory("record-access")
        defer { try? FileManager.default.removeItem(at: state) }
        var settings = try TokenAPITests.settings(stateDirectory: state, users: [
            TokenAPITests.user("root", "rootpw", [.admin]), TokenAPITests.user("watcher", "watcherpw", [.read]),
            TokenAPITests.user("archivist", "archivistpw", [.playback]),
        ])
        settings.streams[0].record.enabled = true
        settings.streams[0].record.segmentDuration = .seconds(2)
        let fixture = try await VigilFixture(settings: settings)
        let http = try XCTUnwrap(fixture.httpPort)
        let recorded = await waitUntil(timeout: 30) { RecordingTests.recorded(fixture.vigil, stream: "door") >= 2_000_000_000 }
        XCTAssertTrue(recorded)
        let path = "/api/v1/recordings/door"
        let anonymous = try TokenAPITests.curl(http, path)
        XCTAssertEqual(anonymous.status, 401)
        XCTAssertFalse(anonymous.header("WWW-Authenticate").isEmpty)
        XCTAssertEqual(try TokenAPITests.curl(http, path, ["--digest", "-u", "watcher:watcherpw"]).status, 403, "read is not playback")
        let allowed = try TokenAPITests.curl(http, path, ["--digest", "-u", "archivist:archivistpw"])
        XCTAssertEqual(allowed.status, 200, allowed.body)
        XCTAssertTrue(allowed.body.contains("\"spans\""))
        let token = try TokenAPITests.mint(http, "app=door&duration=60")
        XCTAssertEqual(try TokenAPITests.curl(http, path + "?token=\(token)").status, 200, "a token grants playback")
        XCTAssertEqual(try TokenAPITests.curl(http, path, ["-H", "Authorization: Bearer \(token)"]).status, 200)
        let other = try TokenAPITests.mint(http, "app=elsewhere&duration=60")
        XCTAssertEqual(try TokenAPITests.curl(http, path + "?token=\(other)").status, 403, "a token for another stream")
        try await fixture.stop()
    }
}
