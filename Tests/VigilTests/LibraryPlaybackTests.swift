import Foundation
import NIOPosix
import ServeWire
import TestSeeds
import VigilKit
import XCTest

/// Files of the media library played at `rtsp://BOX/vod/NAME` through the real composition
/// root, decoded by ffmpeg: elementary streams at the rate their stream says or at
/// `[library] default_fps`, and every traversal attempt of the corpus answered 404.
final class LibraryPlaybackTests: XCTestCase {
    static let defaultFrameRate = 10.0

    func makeLibrary() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-vod-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("door"), withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        func make(_ tool: String, _ arguments: [String]) throws {
            let result = try Tool.run(tool, arguments)
            XCTAssertEqual(result.status, 0, "\(tool): \(result.stderr.suffix(300))")
        }
        // 3 s at 15 fps with VUI timing (libx264 writes it).
        try make("ffmpeg", [
            "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=15", "-t", "3", "-c:v", "libx264", "-g", "15",
            "-f", "h264", directory.appendingPathComponent("timed.264").path,
        ])
        // 40 pictures without timing (OpenH264 writes none): 4 s at the default 10 fps.
        try make("gst-launch-1.0", [
            "-q", "videotestsrc", "num-buffers=40", "!", "video/x-raw,width=320,height=240,framerate=15/1", "!",
            "openh264enc", "gop-size=10", "!", "h264parse", "!", "video/x-h264,stream-format=byte-stream", "!",
            "filesink", "location=\(directory.appendingPathComponent("door/untimed.h264").path)",
        ])
        // 30 H.263 pictures: 3 s at the default 10 fps.
        try make("ffmpeg", [
            "-v", "error", "-f", "lavfi", "-i", "testsrc=size=352x288:rate=25", "-frames:v", "30", "-c:v", "h263", "-g", "10",
            "-f", "h263", directory.appendingPathComponent("door/night.263").path,
        ])
        return directory
    }

    func fixture(library: URL) async throws -> VigilFixture {
        var settings = VigilFixture.smallSettings()
        settings.library.paths = [library.path]
        settings.library.defaultFrameRate = Self.defaultFrameRate
        return try await VigilFixture(settings: settings)
    }

    /// ffmpeg plays `url` to its end: pictures decoded, seconds it took, and pictures per
    /// second by the timestamps ffprobe reads (from RTP time), in presentation order.
    func play(_ url: String) throws -> (pictures: Int, seconds: Double, rate: Double) {
        let started = Date()
        // Every picture as decoded (passthrough): ffmpeg's default frame-rate logic drops the
        // B-frames shown before the first P of a stream whose first picture it could not
        // give a time to, as it does with any RTSP server.
        let result = try Tool.run(
            "ffmpeg", ["-v", "error", "-rtsp_transport", "tcp", "-i", url, "-fps_mode", "passthrough", "-f", "framemd5", "-"], timeout: 60)
        let seconds = Date().timeIntervalSince(started)
        XCTAssertEqual(result.status, 0, "ffmpeg plays \(url): \(result.stderr.suffix(300))")
        let pictures = result.text.split(separator: "\n").filter { !$0.hasPrefix("#") }.count
        let probe = try Tool.run("ffprobe", ["-v", "error", "-rtsp_transport", "tcp", "-select_streams", "v:0",
                                             "-show_entries", "packet=pts_time", "-of", "csv=p=0", url], timeout: 60)
        let times = probe.text.split(separator: "\n").compactMap { Double($0.trimmingCharacters(in: CharacterSet(charactersIn: " ,"))) }.sorted()
        XCTAssertGreaterThan(times.count, 10, "ffprobe reads the pictures' times: \(probe.stderr.suffix(200))")
        // The median spacing: ffmpeg stamps a stream's very first packet by a guess of its own.
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }.sorted()
        let rate = gaps.isEmpty ? 0 : 1 / gaps[gaps.count / 2]
        return (pictures, seconds, rate)
    }

    /// Sent at the media's pace, not dumped: ffmpeg's run lasts at least the media's length
    /// (less half a second of its own buffering), where a dump of these few pictures takes
    /// well under one. The rate itself is ffprobe's (the packet times). The upper bound is
    /// only against a stall: ffmpeg's start, Vigil (a debug build here) indexing the file at
    /// DESCRIBE and the BYE a quarter second after the end add up to 1.2 s on a busy machine
    /// (a fixed ±1.2 s around the length failed once at 4.23 s for 3 s of media).
    static func assertPaced(_ seconds: Double, media: Double, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertGreaterThanOrEqual(seconds, media - 0.5, "paced in real time, not dumped", file: file, line: line)
        XCTAssertLessThan(seconds, media + 5, "no stall", file: file, line: line)
    }

    func testElementaryStreamsPlayAtTheirOwnOrTheDefaultRate() async throws {
        let library = try makeLibrary()
        let fixture = try await fixture(library: library)

        let timed = try play(fixture.url("vod/timed.264"))
        XCTAssertEqual(timed.pictures, 45, "every picture of the file")
        XCTAssertEqual(timed.rate, 15, accuracy: 0.05, "the file's VUI rate")
        Self.assertPaced(timed.seconds, media: 3)

        let untimed = try play(fixture.url("vod/door/untimed.h264"))
        XCTAssertEqual(untimed.pictures, 40)
        XCTAssertEqual(untimed.rate, 10, accuracy: 0.05, "no timing in the file: default_fps")
        Self.assertPaced(untimed.seconds, media: 4)

        let h263 = try play(fixture.url("vod/door/night.263"))
        XCTAssertEqual(h263.pictures, 30)
        XCTAssertEqual(h263.rate, 10, accuracy: 0.05, "an .263 has no rate of its own: default_fps")
        Self.assertPaced(h263.seconds, media: 3)

        // DESCRIBE announces the file's length.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let client = try await TestRTSPClient.connect(port: fixture.port, group: group)
        let describe = try await client.request("DESCRIBE", fixture.url("vod/timed.264"))
        XCTAssertEqual(describe.status.code, 200)
        let sdp = try SessionDescription.parse(String(buffer: describe.body))
        XCTAssertEqual(sdp.attributes.first { $0.name == "range" }?.value, "npt=0.000-3.000")
        await client.close()
        try await group.shutdownGracefully()
        try await fixture.stop()
    }

    /// An MP4 that ffmpeg made (libx264 with B-frames, AAC with its priming, edit lists for
    /// both) from a source whose sync marks are known by construction: a white picture at
    /// every second 2n and a 1 kHz beep starting with it. Played at `vod/sync.mp4`, ffmpeg puts
    /// audio and video on one timeline from the sender reports, and the marks line up as
    /// `LipSyncTests` measures them.
    func testAnFFmpegMP4PlaysWithAudioInSync() async throws {
        let library = try makeLibrary()
        try Self.makeSyncMP4(library.appendingPathComponent("sync.mp4"), seconds: 9)
        let fixture = try await fixture(library: library)
        let (offsets, log, status) = try LipSyncTests.measure(url: fixture.url("vod/sync.mp4"))
        try await fixture.stop()
        XCTAssertEqual(status, 0, String(log.suffix(1500)))
        XCTAssertGreaterThanOrEqual(offsets.count, 3, "the marks at 2, 4, 6 (and 8) s: \(log.suffix(1500))")
        LipSyncTests.assertInSync(offsets, "vod/sync.mp4")
    }

    /// An MP4 by ffmpeg (libx264 with B-frames, AAC) of a white picture every 2 s (picture
    /// 60n at 30 fps) with a 1 kHz beep starting with it, mid-grey between.
    static func makeSyncMP4(_ url: URL, seconds: Int) throws {
        let made = try Tool.run("ffmpeg", [
            "-v", "error",
            "-f", "lavfi", "-i", "nullsrc=s=320x240:r=30,format=gray,geq=lum='if(eq(mod(N\\,60)\\,0)\\,255\\,40)'",
            "-f", "lavfi", "-i", "aevalsrc='if(lt(mod(t\\,2)\\,0.1)\\,0.8*sin(2*PI*1000*t)\\,0)':s=44100:c=mono",
            "-t", "\(seconds)", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-g", "30", "-c:a", "aac", url.path,
        ])
        XCTAssertEqual(made.status, 0, made.stderr)
    }

    /// Every name of the traversal corpus, sent as a client would (characters a URI cannot
    /// hold percent-encoded, the rest as they are), answers 404 — the same as a file that
    /// does not exist, so nothing is learnt — and the connection stays usable.
    func testTraversalAttemptsAnswer404() async throws {
        let library = try makeLibrary()
        let secret = library.deletingLastPathComponent().appendingPathComponent("secret-\(UUID().uuidString.prefix(6)).264")
        try FileManager.default.copyItem(at: library.appendingPathComponent("timed.264"), to: secret)
        addTeardownBlock { try? FileManager.default.removeItem(at: secret) }
        try FileManager.default.createSymbolicLink(
            atPath: library.appendingPathComponent("escape.264").path, withDestinationPath: secret.path)
        let fixture = try await fixture(library: library)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let client = try await TestRTSPClient.connect(port: fixture.port, group: group)
        var corpus = LibraryCorpus.names + ["../\(secret.lastPathComponent)", "%2e%2e/\(secret.lastPathComponent)", "escape.264"]
        corpus.removeAll { $0.contains("?") || $0.contains("#") }
        for name in corpus {
            let uri = fixture.url("vod/" + LibraryCorpus.uriSafe(name))
            let response = try await client.request("DESCRIBE", uri)
            XCTAssertEqual(response.status.code, 404, "\(uri.debugDescription.prefix(120))")
            XCTAssertEqual(response.body.readableBytes, 0, "no description of anything")
        }
        let real = try await client.request("DESCRIBE", fixture.url("vod/timed.264"))
        XCTAssertEqual(real.status.code, 200, "the connection and the library still serve")
        await client.close()
        try await group.shutdownGracefully()
        try await fixture.stop()
    }
}

/// The suite's traversal corpus for library names.
enum LibraryCorpus {
    static let names = [
        "../../../../etc/passwd", "..%2f..%2f..%2fetc%2fpasswd", "%2e%2e/%2e%2e/etc/passwd", "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        "door/../../../etc/passwd", "door/%2e%2e/%2e%2e/etc/passwd", "/etc/passwd", "//etc/passwd.264", "./timed.264",
        ".hidden.264", "timed.264%00.txt", "timed%00.264", "timed.264\u{0}", "door\\..\\..\\etc\\passwd", "%c0%ae%c0%ae/etc/passwd",
        "....//etc/passwd", "..;/etc/passwd", "door/night.263/..", "%252e%252e/etc/passwd", "..%5c..%5cetc%5cpasswd",
        String(repeating: "a", count: 256) + ".264", String(repeating: "a/", count: 600) + "b.264", "door/\u{7F}.263",
        "nosuch.264", "timed.txt", "timed",
    ]

    /// Characters a request line cannot carry percent-encoded (space, controls, NUL,
    /// backslash, non-ASCII); everything else, dots and slashes too, as it is.
    static func uriSafe(_ name: String) -> String {
        var out = ""
        for byte in name.utf8 {
            if byte <= 0x20 || byte >= 0x7F || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\"") {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            } else {
                out += String(UnicodeScalar(byte))
            }
        }
        return out
    }
}

extension String {
    func leftPadded(to length: Int) -> String { count >= length ? self : String(repeating: "0", count: length - count) + self }
}
