import Capture
import Foundation
import MediaCore
import NIOCore
import NIOPosix
import ServeWire
import VigilKit
import TestSeeds
import XCTest

/// RTSP playback of a recording (`PATH/playback`), end to end: the real composition root
/// records the synthetic source, whose pictures carry their index in a counter strip (the
/// time code: picture n was taken n/30 s after the first), and ffmpeg — not Vigil — decodes
/// what playback sends. Where a seek lands is read from the decoded pictures.
final class PlaybackTests: XCTestCase {
    static let frameRate = 30.0
    /// One key frame a second, so "within one GOP" is within 30 pictures.
    static let keyFrameInterval = 30
    static let picture = SyntheticVideoSettings(width: 320, height: 240, frameRate: 30)

    /// A Vigil recording its synthetic stream in 4 s segments; waits until `seconds` are recorded.
    static func recordingFixture(seconds: Int64, name: String) async throws -> (VigilFixture, URL) {
        let state = try RecordingTests.temporaryDirectory(name)
        var settings = try RecordingTests.recordingSettings(state: state, segment: .seconds(4), part: .seconds(1))
        settings.video.keyFrameInterval = keyFrameInterval
        let fixture = try await VigilFixture(settings: settings)
        let recorded = await waitUntil(timeout: Double(seconds) + 30) {
            RecordingTests.recorded(fixture.vigil) >= seconds * 1_000_000_000
        }
        XCTAssertTrue(recorded, "\(seconds) s recorded")
        return (fixture, state)
    }

    /// The first picture indices ffmpeg decodes from `url` (after `arguments`), each picture
    /// as it came (no frame-rate conversion); a white sync mark, which has no counter, counts
    /// as the index between its neighbours.
    static func decodedIndices(_ url: String, before: [String] = [], frames: Int = 45) throws -> [UInt64] {
        let result = try runProcess("ffmpeg", ["-v", "error", "-rtsp_transport", "tcp"] + before + [
            "-i", url, "-map", "0:v", "-frames:v", "\(frames)", "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "gray", "-",
        ], timeout: 60)
        XCTAssertEqual(result.status, 0, "ffmpeg decodes \(url): \(result.stderr.suffix(400))")
        return indices(result.stdout)
    }

    func testFFmpegSeeksByNPTAndByStartInTheURLAndLandsOnTheKeyFrameBefore() async throws {
        let (fixture, state) = try await Self.recordingFixture(seconds: 14, name: "playback-seek")
        defer { try? FileManager.default.removeItem(at: state) }
        let url = fixture.url("live/playback")

        // npt=0 is the first recorded picture; its counter is the reference for all else.
        let fromStart = try Self.decodedIndices(url, frames: 40)
        let first = try XCTUnwrap(fromStart.first, "pictures from the start")
        XCTAssertEqual(fromStart, Array(first..<(first + UInt64(fromStart.count))), "consecutive pictures from the start")

        // npt=5 without accurate seeking: the key frame at or before 5 s, within one GOP.
        let expected = first + 150
        let keySeek = try XCTUnwrap(try Self.decodedIndices(url, before: ["-noaccurate_seek", "-ss", "5"], frames: 5).first)
        XCTAssertLessThanOrEqual(keySeek, expected, "lands at or before 5 s")
        XCTAssertGreaterThan(keySeek + UInt64(Self.keyFrameInterval), expected, "within one GOP of 5 s")
        XCTAssertEqual((keySeek - first) % UInt64(Self.keyFrameInterval), 0, "on a key frame (one a second from the first)")

        // ffmpeg's accurate seek (its default) decodes from that key frame and drops what lies
        // before 5 s by the timestamps playback gives: the first picture shown is the one at 5 s.
        let accurate = try XCTUnwrap(try Self.decodedIndices(url, before: ["-ss", "5"], frames: 5).first)
        XCTAssertEqual(Double(accurate), Double(expected), accuracy: 1, "the picture at npt 5 s")

        // ?start= in the URL (clients that cannot send clock=): its npt 0 is that instant.
        let listing = try HTTPClient.get(try XCTUnwrap(fixture.httpPort), "/api/v1/recordings/live")
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: listing.body) as? [String: Any])
        let spanStart = try XCTUnwrap((json["spans"] as? [[String: Any]])?.first?["start"] as? String)
        let startInstant = try XCTUnwrap(ISO8601DateFormatter.fractional.date(from: spanStart))
        // (7.5 s: the listing's instants are to the millisecond, so a whole second could fall
        // just before the key frame it names.)
        let at = ISO8601DateFormatter.fractional.string(from: startInstant.addingTimeInterval(7.5))
        let byURL = try XCTUnwrap(try Self.decodedIndices("\(url)?start=\(at)", frames: 5).first)
        XCTAssertLessThanOrEqual(byURL, first + 225, "?start= lands at or before its instant")
        XCTAssertGreaterThan(byURL + UInt64(Self.keyFrameInterval), first + 225, "within one GOP of it")
        try await fixture.stop()
    }

    /// GStreamer's rtspsrc seeks the recording with seek events: a key-unit seek to 5 s shows
    /// the key frame at or before it first, an accurate one the picture at 5 s itself.
    func testGStreamerSeeksByKeyFrameAndAccurately() async throws {
        let (fixture, state) = try await Self.recordingFixture(seconds: 14, name: "playback-gst")
        defer { try? FileManager.default.removeItem(at: state) }
        let url = fixture.url("live/playback")
        let first = try XCTUnwrap(try Self.decodedIndices(url, frames: 5).first, "the first recorded picture")
        let expected = first + 150
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Scripts/testkit/gst_seek.py").path
        for mode in ["key", "accurate"] {
            let out = state.appendingPathComponent("gst-\(mode).gray").path
            let result = try Tool.run("/usr/bin/python3", [script, url, "5", mode, out], timeout: 60)
            XCTAssertEqual(result.status, 0, "gst_seek.py \(mode): \(result.stderr.suffix(600))")
            let data = try Data(contentsOf: URL(fileURLWithPath: out))
            let shown = try XCTUnwrap(Self.indices(data).first, "\(mode): pictures after the seek")
            if mode == "key" {
                XCTAssertLessThanOrEqual(shown, expected, "key-unit seek lands at or before 5 s")
                XCTAssertGreaterThan(shown + UInt64(Self.keyFrameInterval), expected, "within one GOP")
                XCTAssertEqual((shown - first) % UInt64(Self.keyFrameInterval), 0, "on a key frame")
            } else {
                XCTAssertEqual(Double(shown), Double(expected), accuracy: 1, "accurate seek: the picture at 5 s (\(result.text))")
            }
        }
        // ONVIF mode: rtspsrc sends Require: onvif-replay and clock ranges mapped through the
        // SDP's a=range:clock, and reads the replay extension; it plays the recording.
        let onvif = try Tool.run("gst-launch-1.0", [
            "-q", "rtspsrc", "location=\(url)", "onvif-mode=true", "protocols=tcp", "!", "rtph264depay", "!", "h264parse", "!",
            "avdec_h264", "!", "fakesink", "num-buffers=60", "sync=false",
        ], timeout: 40)
        XCTAssertEqual(onvif.status, 0, "rtspsrc onvif-mode=true plays 60 pictures: \(onvif.stderr.suffix(600))")
        try await fixture.stop()
    }

    /// The counter of each of consecutive raw gray pictures; nil for a white sync mark.
    static func counters(_ data: Data) -> [UInt64?] {
        let size = picture.width * picture.height
        let check = PictureCheck(settings: picture)
        var counters: [UInt64?] = []
        data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            var offset = 0
            while offset + size <= bytes.count {
                counters.append(check.counter(UnsafeBufferPointer(rebasing: bytes[offset..<(offset + size)])))
                offset += size
            }
        }
        return counters
    }

    /// Picture indices of consecutive raw gray pictures, white sync marks counted between
    /// their neighbours.
    static func indices(_ data: Data) -> [UInt64] {
        let counters = counters(data)
        guard let known = counters.firstIndex(where: { $0 != nil }) else { return [] }
        let base = Int64(counters[known]!) - Int64(known)
        return counters.indices.map { UInt64(max(0, base + Int64($0))) }
    }

    /// The RTSP exchange itself: DESCRIBE's range, RTP-Info that names the first packet, Range
    /// and clock answers, PAUSE and resume where it stopped, Scale 2, the BYE at the end, and
    /// the refusals.
    func testPlayPauseResumeScaleAndEnd() async throws {
        let (fixture, state) = try await Self.recordingFixture(seconds: 14, name: "playback-control")
        defer { try? FileManager.default.removeItem(at: state) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let client = try await TestRTSPClient.connect(port: fixture.port, group: group)
        let url = fixture.url("live/playback")

        let describe = try await client.request("DESCRIBE", url, headers: [("Accept", "application/sdp")])
        XCTAssertEqual(describe.status.code, 200)
        let sdp = try SessionDescription.parse(String(buffer: describe.body))
        let range = try XCTUnwrap(sdp.attributes.first { $0.name == "range" }?.value)
        guard case .npt(0?, let duration?) = try RTSPRange.parse(range) else { return XCTFail("a=range:npt=0-D, got \(range)") }
        XCTAssertGreaterThanOrEqual(duration, 13, "what is recorded: \(range)")
        XCTAssertEqual(sdp.media.map(\.media), ["video", "audio"])

        let setupVideo = try await client.request("SETUP", "\(url)/trackID=0", headers: [("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1")])
        XCTAssertEqual(setupVideo.status.code, 200)
        let session = try XCTUnwrap(setupVideo.headers["Session"]?.split(separator: ";").first.map(String.init))
        let setupAudio = try await client.request(
            "SETUP", "\(url)/trackID=1", headers: [("Transport", "RTP/AVP/TCP;unicast;interleaved=2-3"), ("Session", session)])
        XCTAssertEqual(setupAudio.status.code, 200)

        // PLAY from npt 2: RTP-Info names the first packet of each track after it.
        let play = try await client.request("PLAY", "\(url)/", headers: [("Session", session), ("Range", "npt=2-")])
        XCTAssertEqual(play.status.code, 200)
        let info = try RTPInfoEntry.parse(try XCTUnwrap(play.headers["RTP-Info"]))
        XCTAssertEqual(info.count, 2)
        guard case .npt(let landed?, _) = try RTSPRange.parse(try XCTUnwrap(play.headers["Range"])) else { return XCTFail("npt answer") }
        XCTAssertLessThanOrEqual(landed, 2.0005, "the key frame at or before 2 s")
        XCTAssertGreaterThan(landed, 0.9, "within one GOP")
        let arrived = await waitUntil(timeout: 5) { client.interleavedFrames.filter { $0.channel == 0 }.count > 60 }
        XCTAssertTrue(arrived)
        let firstVideo = try RTPPacket(parsing: try XCTUnwrap(client.interleavedFrames.first { $0.channel == 0 }).payload)
        XCTAssertEqual(firstVideo.header.sequenceNumber, info[0].sequence, "RTP-Info's seq is the first video packet's")
        XCTAssertEqual(firstVideo.header.timestamp, info[0].timestamp, "and its rtptime (the Range start is that key frame)")
        let firstAudio = try RTPPacket(parsing: try XCTUnwrap(client.interleavedFrames.first { $0.channel == 2 }).payload)
        XCTAssertEqual(firstAudio.header.sequenceNumber, info[1].sequence, "RTP-Info's seq is the first audio packet's")

        // PAUSE for 3 s: nothing comes; PLAY without Range goes on where it stopped.
        let pause = try await client.request("PAUSE", "\(url)/", headers: [("Session", session)])
        XCTAssertEqual(pause.status.code, 200)
        try await Task.sleep(nanoseconds: 300_000_000)  // what was in flight
        let beforeWait = client.interleavedFrames.filter { $0.channel == 0 || $0.channel == 2 }
        try await Task.sleep(nanoseconds: 3_000_000_000)
        XCTAssertEqual(client.interleavedFrames.filter { $0.channel == 0 || $0.channel == 2 }.count, beforeWait.count, "paused: no media")
        let lastVideo = try RTPPacket(parsing: try XCTUnwrap(beforeWait.last { $0.channel == 0 }).payload)
        let resume = try await client.request("PLAY", "\(url)/", headers: [("Session", session)])
        XCTAssertEqual(resume.status.code, 200)
        let resumedInfo = try RTPInfoEntry.parse(try XCTUnwrap(resume.headers["RTP-Info"]))
        XCTAssertEqual(resumedInfo[0].sequence, lastVideo.header.sequenceNumber &+ 1, "resumes with the next packet")
        guard case .npt(let resumedAt?, _) = try RTSPRange.parse(try XCTUnwrap(resume.headers["Range"])) else { return XCTFail("npt answer") }
        let pausedAt = landed + Double(lastVideo.header.timestamp &- firstVideo.header.timestamp) / 90_000
        XCTAssertEqual(resumedAt, pausedAt, accuracy: 0.1, "resumes at the paused position, not 3 s later")
        let resumedArrived = await waitUntil(timeout: 5) {
            client.interleavedFrames.filter { $0.channel == 0 }.count > beforeWait.filter { $0.channel == 0 }.count + 10
        }
        XCTAssertTrue(resumedArrived)
        let afterResume = try RTPPacket(parsing: client.interleavedFrames.filter { $0.channel == 0 }[beforeWait.filter { $0.channel == 0 }.count].payload)
        XCTAssertEqual(afterResume.header.sequenceNumber, lastVideo.header.sequenceNumber &+ 1, "no packet lost or repeated across the pause")
        XCTAssertGreaterThanOrEqual(afterResume.header.timestamp &- lastVideo.header.timestamp, 0)
        XCTAssertLessThan(afterResume.header.timestamp &- lastVideo.header.timestamp, 90_000 / 10, "media time goes on from the pause")

        // Scale 2 from npt 1: 8 s of media (by RTP time) in 4 ± 0.5 s; no audio at 2×.
        let scaled = try await client.request("PLAY", "\(url)/", headers: [("Session", session), ("Range", "npt=1-9"), ("Scale", "2")])
        XCTAssertEqual(scaled.status.code, 200)
        XCTAssertEqual(scaled.headers["Scale"], "2", "the scale applied")
        let scaledInfo = try RTPInfoEntry.parse(try XCTUnwrap(scaled.headers["RTP-Info"]))
        let started = Date()
        let startRTP = try XCTUnwrap(scaledInfo[0].timestamp)
        var lastTimestamp = startRTP
        var finishedAt: Date?
        var audioDuringScale = 0
        let baseline = client.interleavedFrames.count
        while Date().timeIntervalSince(started) < 8 {
            let frames = client.interleavedFrames.dropFirst(baseline)
            audioDuringScale = frames.filter { $0.channel == 2 }.count
            if let last = frames.last(where: { $0.channel == 0 }), let packet = try? RTPPacket(parsing: last.payload) {
                lastTimestamp = packet.header.timestamp
            }
            if frames.contains(where: { $0.channel == 1 && Self.isGoodbye($0.payload) }) {
                finishedAt = Date()
                break
            }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        let elapsed = try XCTUnwrap(finishedAt, "the range's end is marked with RTCP BYE").timeIntervalSince(started)
        let media = Double(lastTimestamp &- startRTP) / 90_000
        XCTAssertEqual(media, 8, accuracy: 1.05, "8 s of media (to within a GOP of the start)")
        XCTAssertEqual(elapsed, media / 2, accuracy: 0.5, "sent at twice its pace: \(media) s of media in \(elapsed) s")
        XCTAssertEqual(audioDuringScale, 0, "no audio at 2×")

        // A clock= range on a recording answers in clock; past the end is 457.
        let listing = try HTTPClient.get(try XCTUnwrap(fixture.httpPort), "/api/v1/recordings/live")
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: listing.body) as? [String: Any])
        let spanStart = try XCTUnwrap(ISO8601DateFormatter.fractional.date(from: try XCTUnwrap((json["spans"] as? [[String: Any]])?.first?["start"] as? String)))
        let clockStart = Int64((spanStart.timeIntervalSince1970 + 4) * 1000) * 1_000_000
        let byClock = try await client.request(
            "PLAY", "\(url)/", headers: [("Session", session), ("Range", RTSPRange.clock(start: clockStart, end: nil).headerValue)])
        XCTAssertEqual(byClock.status.code, 200)
        guard case .clock(let clockLanded, _) = try RTSPRange.parse(try XCTUnwrap(byClock.headers["Range"])) else { return XCTFail("clock answer") }
        XCTAssertLessThanOrEqual(clockLanded, clockStart + 1_000_000)
        XCTAssertGreaterThan(clockLanded, clockStart - 1_001_000_000, "within one GOP")
        let late = try await client.request("PLAY", "\(url)/", headers: [("Session", session), ("Range", "npt=3600-")])
        XCTAssertEqual(late.status.code, 457, "a range after the end")
        let garbled = try await client.request("PLAY", "\(url)/", headers: [("Session", session), ("Range", "npt=x-")])
        XCTAssertEqual(garbled.status.code, 457, "a range that cannot be read")
        let badScale = try await client.request("PLAY", "\(url)/", headers: [("Session", session), ("Scale", "fast")])
        XCTAssertEqual(badScale.status.code, 456)
        let option = try await client.request("PLAY", "\(url)/", headers: [("Session", session), ("Require", "com.example.teleport")])
        XCTAssertEqual(option.status.code, 551)
        XCTAssertEqual(option.headers["Unsupported"], "com.example.teleport")
        let teardown = try await client.request("TEARDOWN", "\(url)/", headers: [("Session", session)])
        XCTAssertEqual(teardown.status.code, 200)

        // A stream that does not record has no playback, and a bad ?start= is a bad request.
        let missing = try await client.request("DESCRIBE", fixture.url("nosuch/playback"))
        XCTAssertEqual(missing.status.code, 404)
        let badStart = try await client.request("DESCRIBE", "\(url)?start=yesterday")
        XCTAssertEqual(badStart.status.code, 400)
        let beforeAll = try await client.request("DESCRIBE", "\(url)?start=2001-01-01T00:00:00Z&end=2001-01-02T00:00:00Z")
        XCTAssertEqual(beforeAll.status.code, 404, "nothing recorded then")
        await client.close()
        try await group.shutdownGracefully()
        try await fixture.stop()
    }

    /// Scale -1 steps back a GOP at a time, its decoded time codes falling; ONVIF replay
    /// (Require: onvif-replay, Rate-Control: no, Frames: intra) carries each frame's
    /// recording time in the 0xABAC extension and goes as fast as the client reads.
    func testReverseAndONVIFReplay() async throws {
        let (fixture, state) = try await Self.recordingFixture(seconds: 14, name: "playback-reverse")
        defer { try? FileManager.default.removeItem(at: state) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let client = try await TestRTSPClient.connect(port: fixture.port, group: group)
        let url = fixture.url("live/playback")
        _ = try await client.request("DESCRIBE", url)
        let setup = try await client.request("SETUP", "\(url)/trackID=0", headers: [("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1")])
        let session = try XCTUnwrap(setup.headers["Session"]?.split(separator: ";").first.map(String.init))

        // Reverse from npt 12 at 1×: a key frame a second, each a second earlier.
        let reverse = try await client.request("PLAY", "\(url)/", headers: [("Session", session), ("Range", "npt=12-"), ("Scale", "-1")])
        XCTAssertEqual(reverse.status.code, 200)
        XCTAssertEqual(reverse.headers["Scale"], "-1", "reverse applied")
        try await Task.sleep(nanoseconds: 4_600_000_000)
        let paused = try await client.request("PAUSE", "\(url)/", headers: [("Session", session)])
        XCTAssertEqual(paused.status.code, 200)
        try await Task.sleep(nanoseconds: 200_000_000)
        var depacketizer = H264Depacketizer()
        var annexB = Data()
        var stamps: [UInt32] = []
        for frame in client.interleavedFrames where frame.channel == 0 {
            let packet = try RTPPacket(parsing: frame.payload)
            if let unit = try depacketizer.push(packet) {
                stamps.append(packet.header.timestamp)
                for nal in unit { annexB.append(contentsOf: [0, 0, 0, 1] + nal) }
            }
        }
        let file = state.appendingPathComponent("reverse.264")
        try annexB.write(to: file)
        let decoded = try Tool.run("ffmpeg", ["-v", "error", "-f", "h264", "-i", file.path, "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "gray", "-"])
        XCTAssertEqual(decoded.status, 0, decoded.stderr)
        // (Every other key frame is a white sync mark, which has no counter: nil.)
        let counters = Self.counters(decoded.stdout)
        XCTAssertGreaterThanOrEqual(counters.count, 4, "about one picture a second for 4.6 s: \(counters)")
        XCTAssertEqual(counters.count, stamps.count, "every picture sent decodes")
        let known = counters.enumerated().compactMap { index, counter in counter.map { (index, Int($0)) } }
        XCTAssertGreaterThanOrEqual(known.count, 2, "\(counters)")
        if let (firstIndex, firstCounter) = known.first {
            for (index, counter) in known {
                XCTAssertEqual(counter, firstCounter - (index - firstIndex) * Self.keyFrameInterval, "each picture one GOP earlier: \(counters)")
            }
        }
        for (earlier, later) in zip(stamps, stamps.dropFirst()) {
            XCTAssertEqual(Int32(bitPattern: later &- earlier), 90_000, "RTP time still rises, a second per step")
        }

        // ONVIF replay of 2 s–8 s of the recording by clock, as fast as it can go, key frames only.
        let listing = try HTTPClient.get(try XCTUnwrap(fixture.httpPort), "/api/v1/recordings/live")
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: listing.body) as? [String: Any])
        let spanStart = try XCTUnwrap(ISO8601DateFormatter.fractional.date(from: try XCTUnwrap((json["spans"] as? [[String: Any]])?.first?["start"] as? String)))
        let from = Int64((spanStart.timeIntervalSince1970 + 2.5) * 1000) * 1_000_000
        let to = from + 6_000_000_000
        let before = client.interleavedFrames.count
        let started = Date()
        let replay = try await client.request("PLAY", "\(url)/", headers: [
            ("Session", session), ("Require", "onvif-replay"), ("Range", RTSPRange.clock(start: from, end: to).headerValue),
            ("Rate-Control", "no"), ("Frames", "intra"), ("Scale", "1"),
        ])
        XCTAssertEqual(replay.status.code, 200)
        let cseq = try XCTUnwrap(UInt8(exactly: (Int(try XCTUnwrap(replay.headers["CSeq"])) ?? 0) & 0xFF))
        guard case .clock(let landed, _) = try RTSPRange.parse(try XCTUnwrap(replay.headers["Range"])) else { return XCTFail("clock answer") }
        var ended: Date?
        while Date().timeIntervalSince(started) < 6 {
            if client.interleavedFrames.dropFirst(before).contains(where: { $0.channel == 1 && Self.isGoodbye($0.payload) }) {
                ended = Date()
                break
            }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        let took = try XCTUnwrap(ended, "the range's end comes with a BYE").timeIntervalSince(started)
        XCTAssertLessThan(took, 2.5, "Rate-Control: no — 6 s of media in \(took) s")
        var extensions: [ReplayExtension] = []
        var previousTimestamp: UInt32?
        for frame in client.interleavedFrames.dropFirst(before) where frame.channel == 0 {
            let packet = try RTPPacket(parsing: frame.payload)
            if packet.header.timestamp != previousTimestamp {
                extensions.append(try XCTUnwrap(ReplayExtension(packet: frame.payload), "the extension on every frame's first packet"))
                previousTimestamp = packet.header.timestamp
            }
        }
        XCTAssertEqual(Double(extensions.count), 6, accuracy: 1, "Frames: intra — a key frame a second for 6 s")
        XCTAssertTrue(extensions.allSatisfy(\.cleanPoint), "every frame a clean point")
        XCTAssertTrue(extensions.first?.discontinuity ?? false, "D on the first frame after PLAY")
        XCTAssertTrue(extensions.dropFirst().allSatisfy { !$0.discontinuity })
        XCTAssertTrue(extensions.allSatisfy { $0.cseq == cseq }, "the PLAY's CSeq")
        XCTAssertEqual(Double(try XCTUnwrap(extensions.first).ntp.unixNanoseconds) / 1e6, Double(landed) / 1e6, accuracy: 1,
                       "the first frame's recording time is where the PLAY landed")
        for (earlier, later) in zip(extensions, extensions.dropFirst()) {
            XCTAssertEqual(Double(later.ntp.unixNanoseconds - earlier.ntp.unixNanoseconds) / 1e9, 1, accuracy: 0.002,
                           "a second of recording between key frames")
        }

        // Immediate: yes (ONVIF Streaming Specification §6): a PLAY while playing abandons what was
        // being sent at once. Played in real time from 2.5 s, then moved to 9.5 s a second in:
        // after the first frame of the new PLAY (its CSeq byte in the extension), nothing of
        // the old one arrives, and that frame is a discontinuity at the new landing instant.
        let realTime = try await client.request("PLAY", "\(url)/", headers: [
            ("Session", session), ("Require", "onvif-replay"), ("Range", RTSPRange.clock(start: from, end: nil).headerValue),
            ("Immediate", "yes"),
        ])
        XCTAssertEqual(realTime.status.code, 200)
        let oldCSeq = UInt8((Int(realTime.headers["CSeq"] ?? "") ?? 0) & 0xFF)
        try await Task.sleep(nanoseconds: 1_000_000_000)
        let jump = try await client.request("PLAY", "\(url)/", headers: [
            ("Session", session), ("Require", "onvif-replay"), ("Range", RTSPRange.clock(start: from + 7_000_000_000, end: nil).headerValue),
            ("Immediate", "yes"),
        ])
        XCTAssertEqual(jump.status.code, 200)
        let newCSeq = UInt8((Int(jump.headers["CSeq"] ?? "") ?? 0) & 0xFF)
        guard case .clock(let jumped, _) = try RTSPRange.parse(try XCTUnwrap(jump.headers["Range"])) else { return XCTFail("clock answer") }
        try await Task.sleep(nanoseconds: 1_000_000_000)
        var playSequence: [(cseq: UInt8, ext: ReplayExtension)] = []
        for frame in client.interleavedFrames where frame.channel == 0 {
            guard let ext = ReplayExtension(packet: frame.payload), ext.cseq == oldCSeq || ext.cseq == newCSeq else { continue }
            playSequence.append((ext.cseq, ext))
        }
        let firstNew = try XCTUnwrap(playSequence.firstIndex { $0.cseq == newCSeq }, "the second PLAY sends")
        XCTAssertTrue(playSequence[..<firstNew].contains { $0.cseq == oldCSeq }, "the first PLAY was sending")
        XCTAssertFalse(playSequence[firstNew...].contains { $0.cseq == oldCSeq }, "nothing of the abandoned PLAY after the new one starts")
        XCTAssertTrue(playSequence[firstNew].ext.discontinuity, "D on the new PLAY's first frame")
        XCTAssertEqual(Double(playSequence[firstNew].ext.ntp.unixNanoseconds) / 1e6, Double(jumped) / 1e6, accuracy: 1,
                       "the new PLAY's first frame is where it landed")
        XCTAssertGreaterThan(playSequence.count - firstNew, 20, "and it plays on in real time")
        await client.close()
        try await group.shutdownGracefully()
        try await fixture.stop()
    }

    static func isGoodbye(_ payload: ByteBuffer) -> Bool {
        guard let packets = try? RTCPCompound.parse(payload) else { return false }
        return packets.contains { if case .goodbye = $0 { return true } else { return false } }
    }
}

extension ISO8601DateFormatter {
    /// `2026-12-02T03:00:00.250Z`, as the recordings API writes instants.
    static var fractional: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }
}
