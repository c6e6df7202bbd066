import Foundation
import XCTest

@testable import Capture
@testable import VigilKit

/// Snapshots and MJPEG over HTTP, checked by independent tools: ffprobe says what the JPEG
/// is, ffmpeg decodes it, and the synthetic picture's counter strip (its source index) must
/// be the picture the response names in `X-Vigil-Frame`; the picture at a sync mark must be
/// white. curl makes the burst of 100 concurrent requests.
final class SnapshotTests: XCTestCase {
    static let picture = SyntheticVideoSettings(width: 320, height: 240, frameRate: 30)

    static func fixture(mjpegRate: Int = 30, corsOrigin: String? = nil) async throws -> VigilFixture {
        var settings = VigilFixture.smallSettings()
        settings.http = .init(enabled: true, host: "127.0.0.1", port: 0)
        settings.http.mjpegFrameRate = mjpegRate
        settings.http.corsOrigin = corsOrigin
        return try await VigilFixture(settings: settings)
    }

    /// The decoded luma of a JPEG, by ffmpeg, and its size by ffprobe.
    static func decode(_ jpeg: Data, name: String) throws -> (width: Int, height: Int, gray: Data) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-\(name)-\(UUID().uuidString).jpg")
        try jpeg.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let probe = try runProcess("ffprobe", [
            "-v", "error", "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", file.path,
        ])
        XCTAssertEqual(probe.status, 0, probe.stderr)
        let fields = probe.text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",").map(String.init)
        XCTAssertEqual(fields.first, "mjpeg", "ffprobe reads a JPEG: \(probe.text)")
        let width = fields.count > 1 ? Int(fields[1]) ?? 0 : 0
        let height = fields.count > 2 ? Int(fields[2]) ?? 0 : 0
        let gray = try runProcess("ffmpeg", ["-v", "error", "-i", file.path, "-f", "rawvideo", "-pix_fmt", "gray", "-"])
        XCTAssertEqual(gray.status, 0, gray.stderr)
        return (width, height, gray.stdout)
    }

    /// The synthetic picture's counter read from decoded luma (nil for a white sync mark).
    static func counter(_ gray: Data) -> UInt64? {
        let check = PictureCheck(settings: picture)
        return gray.withUnsafeBytes { raw in check.counter(raw.bindMemory(to: UInt8.self)) }
    }

    static func meanLuma(_ gray: Data) -> Double {
        Double(gray.reduce(0) { $0 + Int($1) }) / Double(max(1, gray.count))
    }

    static func snapshot(_ port: Int, _ query: String = "") async throws -> HTTPClient.Answer {
        var answer = try HTTPClient.get(port, "/live/snapshot.jpg\(query)")
        let deadline = Date().addingTimeInterval(10)
        while answer.status == 503, Date() < deadline {
            try await Task.sleep(nanoseconds: 50_000_000)
            answer = try HTTPClient.get(port, "/live/snapshot.jpg\(query)")
        }
        return answer
    }

    func testSnapshotIsTheLatestRawPictureAtItsSizeAndScaledDown() async throws {
        let fixture = try await Self.fixture()
        let port = try XCTUnwrap(fixture.httpPort)

        let shot = try await Self.snapshot(port)
        XCTAssertEqual(shot.status, 200)
        XCTAssertEqual(shot.headers["content-type"], "image/jpeg")
        XCTAssertEqual(shot.headers["cache-control"], "no-store", "the latest picture is never cached")
        let frame = try XCTUnwrap(shot.headers["x-vigil-frame"].flatMap { UInt64($0) })
        let full = try Self.decode(shot.body, name: "snapshot")
        XCTAssertEqual(full.width, 320)
        XCTAssertEqual(full.height, 240)
        XCTAssertEqual(full.gray.count, 320 * 240)
        if SyntheticVideoSource.isSyncMark(frame, settings: Self.picture) {
            XCTAssertGreaterThan(Self.meanLuma(full.gray), 245, "a sync mark is white")
        } else {
            XCTAssertEqual(Self.counter(full.gray), frame, "the JPEG is picture \(frame) of the source")
        }

        let small = try await Self.snapshot(port, "?width=160")
        XCTAssertEqual(small.status, 200)
        let scaled = try Self.decode(small.body, name: "snapshot-small")
        XCTAssertEqual(scaled.width, 160, "?width= scales down")
        XCTAssertEqual(scaled.height, 120, "the aspect is kept")
        let larger = try await Self.snapshot(port, "?width=4000")
        XCTAssertEqual(try Self.decode(larger.body, name: "snapshot-large").width, 320, "never scaled up")

        XCTAssertEqual(try HTTPClient.get(port, "/live/snapshot.jpg?width=abc").status, 400)
        XCTAssertEqual(try HTTPClient.get(port, "/live/snapshot.jpg?width=-5").status, 400)
        XCTAssertEqual(try HTTPClient.get(port, "/nowhere/snapshot.jpg").status, 404)
        XCTAssertEqual(try HTTPClient.get(port, "/live/other.jpg").status, 404)
        try await fixture.stop()
    }

    /// MJPEG at the source's rate for 2.5 s: every part a JPEG of the picture it names, one
    /// of them the white sync mark (every 2 s), and numbers rising.
    func testMJPEGStreamCarriesEveryPictureWithTheSyncMarkWhite() async throws {
        let fixture = try await Self.fixture(mjpegRate: 30)
        let port = try XCTUnwrap(fixture.httpPort)
        _ = try await Self.snapshot(port)  // pictures are flowing

        let result = try runProcess("curl", ["-s", "-N", "--max-time", "2.5", "-D", "-", "http://127.0.0.1:\(port)/live/stream.mjpeg"], timeout: 20)
        XCTAssertEqual(result.status, 28, "curl stops the endless stream at --max-time")
        let parts = Self.multipart(result.stdout, boundary: StatusAPI.mjpegBoundary)
        XCTAssertTrue(result.text.hasPrefix("HTTP/1.1 200"), result.text.prefix(200).description)
        XCTAssertTrue(result.text.contains("multipart/x-mixed-replace; boundary=\(StatusAPI.mjpegBoundary)"))
        XCTAssertGreaterThanOrEqual(parts.count, 50, "about 30 pictures a second for 2.5 s: \(parts.count)")
        // All parts but the last (--max-time may cut it) decoded by ffmpeg in one go, as the
        // MJPEG stream they are.
        let whole = Array(parts.dropLast())
        let stream = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-mjpeg-\(UUID().uuidString).mjpeg")
        try Data(whole.flatMap { $0.1 }).write(to: stream)
        defer { try? FileManager.default.removeItem(at: stream) }
        let decoded = try runProcess("ffmpeg", ["-v", "error", "-f", "mjpeg", "-i", stream.path, "-f", "rawvideo", "-pix_fmt", "gray", "-"])
        XCTAssertEqual(decoded.status, 0, decoded.stderr)
        let size = 320 * 240
        XCTAssertEqual(decoded.stdout.count, whole.count * size, "every part a 320x240 JPEG")
        var sawSync = false
        var previous: UInt64?
        for (index, (frame, _)) in whole.enumerated() where (index + 1) * size <= decoded.stdout.count {
            if let previous { XCTAssertGreaterThan(frame, previous, "pictures in order, none twice") }
            previous = frame
            let gray = decoded.stdout.subdata(in: index * size..<(index + 1) * size)
            if SyntheticVideoSource.isSyncMark(frame, settings: Self.picture) {
                sawSync = true
                XCTAssertGreaterThan(Self.meanLuma(gray), 245, "picture \(frame), a sync mark, is white")
            } else {
                XCTAssertEqual(Self.counter(gray), frame, "the part is the picture it names")
            }
        }
        XCTAssertTrue(sawSync, "2.5 s at 30 fps include a sync mark: \(parts.map(\.0))")

        let fewer = try runProcess("curl", ["-s", "-N", "--max-time", "2", "http://127.0.0.1:\(port)/live/stream.mjpeg?fps=2"], timeout: 20)
        let slow = Self.multipart(fewer.stdout, boundary: StatusAPI.mjpegBoundary)
        XCTAssertEqual(Double(slow.count), 4, accuracy: 1, "?fps=2 for 2 s")
        try await fixture.stop()
    }

    /// A viewer that stops reading holds only its own write back: no queue of pictures grows
    /// for it. A raw client with a 4 KiB receive buffer reads the first part of a 30 fps MJPEG
    /// stream, stops for 3 s (90 pictures), and reads again: what reaches it first is at most
    /// what the sockets' buffers held, and then pictures of the present, not the 90 it missed.
    func testASlowMJPEGReaderGetsFewerPicturesNotAQueue() async throws {
        // Noise at 640x480: JPEGs of about 100 kB, so the 90 missed pictures are megabytes.
        var settings = VigilFixture.smallSettings()
        settings.http = .init(enabled: true, host: "127.0.0.1", port: 0)
        settings.http.mjpegFrameRate = 30
        settings.video.width = 640
        settings.video.height = 480
        settings.video.pattern = .noise
        let fixture = try await VigilFixture(settings: settings)
        let port = try XCTUnwrap(fixture.httpPort)
        _ = try await Self.snapshot(port)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Scripts/testkit/slow_mjpeg.py").path
        let result = try runProcess("python3", [script, "\(port)", "/live/stream.mjpeg", "3"], timeout: 40)
        XCTAssertEqual(result.status, 0, result.stderr)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any], result.text)
        let before = try XCTUnwrap(json["before"] as? [Int])
        let after = try XCTUnwrap(json["after"] as? [Int])
        let stalledAt = try XCTUnwrap(before.last)
        XCTAssertGreaterThan(after.count, 10, "it gets pictures again at once: \(after)")
        // Pictures made in the first two seconds of the stall: a queue would deliver all 60.
        let stale = after.filter { $0 < stalledAt + 60 }
        XCTAssertLessThanOrEqual(stale.count, 4, "only what the socket buffers held: \(after), \(json["backlog_bytes"] ?? "?") bytes waiting")
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(after.last) - stalledAt, 90 + 20, "then the present picture: \(after)")
        XCTAssertEqual(after, after.sorted(), "in order")
        // The reader is gone: its response ends (nothing left to write to), and shutdown is not held up.
        let api = try XCTUnwrap(fixture.vigil.statusAPI)
        let ended = await waitUntil(timeout: 5) { api.mjpegStreams.load(ordering: .relaxed) == 0 }
        XCTAssertTrue(ended, "the MJPEG response of a viewer that left ends")
        try await fixture.stop()
    }

    /// 100 requests at once (curl --parallel): each answered with a JPEG, and the encodes the
    /// daemon counts are exactly the distinct pictures served — one per picture.
    func testBurstOfConcurrentSnapshotsCostsOneEncodePerPicture() async throws {
        let fixture = try await Self.fixture()
        let port = try XCTUnwrap(fixture.httpPort)
        _ = try await Self.snapshot(port)
        let before = try Self.snapshotEncodes(port)

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-burst-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let started = Date()
        let burst = try runProcess("curl", [
            "-s", "--parallel", "--parallel-immediate", "--parallel-max", "100",
            "-w", "%{http_code} %header{x-vigil-frame}\\n",
            "-o", "\(directory.path)/shot-#1.jpg", "http://127.0.0.1:\(port)/live/snapshot.jpg?n=[1-100]",
        ], timeout: 60)
        XCTAssertEqual(burst.status, 0, burst.stderr)
        let lines = burst.text.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        XCTAssertEqual(lines.count, 100)
        XCTAssertTrue(lines.allSatisfy { $0.first == "200" }, "every request answered: \(lines)")
        let frames = Set(lines.compactMap { $0.count > 1 ? UInt64($0[1]) : nil })
        let after = try Self.snapshotEncodes(port)
        print("100 concurrent snapshots in \(Date().timeIntervalSince(started)) s: \(frames.count) pictures, \(after - before) encodes")
        XCTAssertEqual(after - before, UInt64(frames.count), "one JPEG encode per distinct picture served (\(frames.sorted()))")
        XCTAssertLessThan(frames.count, 50, "a burst spans a few pictures, not one each: \(frames.count)")
        for index in [1, 50, 100] {
            let jpeg = try Data(contentsOf: directory.appendingPathComponent("shot-\(index).jpg"))
            XCTAssertEqual(try Self.decode(jpeg, name: "burst").width, 320)
        }
        try await fixture.stop()
    }

    /// `[http] cors_origin`: the configured origin (and only it) is told it may read the
    /// answers; a browser's preflight for a request with credentials is answered.
    func testCORSAllowsTheConfiguredOriginOnly() async throws {
        let fixture = try await Self.fixture(corsOrigin: "https://nvr.example")
        let port = try XCTUnwrap(fixture.httpPort)
        _ = try await Self.snapshot(port)
        let allowed = try HTTPClient.get(port, "/live/snapshot.jpg", headers: ["Origin: https://nvr.example"])
        XCTAssertEqual(allowed.status, 200)
        XCTAssertEqual(allowed.headers["access-control-allow-origin"], "https://nvr.example")
        XCTAssertEqual(allowed.headers["vary"], "Origin")
        let other = try HTTPClient.get(port, "/live/snapshot.jpg", headers: ["Origin: https://elsewhere.example"])
        XCTAssertEqual(other.status, 200, "CORS is the browser's check; the answer itself is the same")
        XCTAssertNil(other.headers["access-control-allow-origin"], "another origin is not allowed")
        let preflight = try runProcess("curl", [
            "-s", "-i", "-X", "OPTIONS", "-H", "Origin: https://nvr.example", "-H", "Access-Control-Request-Method: GET",
            "-H", "Access-Control-Request-Headers: authorization", "http://127.0.0.1:\(port)/live/snapshot.jpg",
        ])
        XCTAssertTrue(preflight.text.hasPrefix("HTTP/1.1 204"), preflight.text)
        XCTAssertTrue(preflight.text.lowercased().contains("access-control-allow-methods: get, head, options"), preflight.text)
        XCTAssertTrue(preflight.text.lowercased().contains("access-control-allow-headers: accept, authorization, range"), preflight.text)
        try await fixture.stop()

        let closed = try await Self.fixture()
        let closedPort = try XCTUnwrap(closed.httpPort)
        _ = try await Self.snapshot(closedPort)
        let plain = try HTTPClient.get(closedPort, "/live/snapshot.jpg", headers: ["Origin: https://nvr.example"])
        XCTAssertNil(plain.headers["access-control-allow-origin"], "no CORS unless configured")
        try await closed.stop()
    }

    static func snapshotEncodes(_ port: Int) throws -> UInt64 {
        let status = try HTTPClient.get(port, "/api/v1/status")
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: status.body) as? [String: Any])
        let streams = try XCTUnwrap(json["streams"] as? [[String: Any]])
        let counters = try XCTUnwrap(streams.first?["counters"] as? [String: Any])
        return try XCTUnwrap((counters["snapshot_encodes"] as? NSNumber)?.uint64Value)
    }

    /// The parts of a multipart/x-mixed-replace body: each one's `X-Vigil-Frame` and bytes.
    static func multipart(_ data: Data, boundary: String) -> [(UInt64, Data)] {
        let marker = Data("--\(boundary)\r\n".utf8)
        let blank = Data("\r\n\r\n".utf8)
        var parts: [(UInt64, Data)] = []
        var index = data.startIndex
        while let start = data.range(of: marker, in: index..<data.endIndex) {
            guard let headerEnd = data.range(of: blank, in: start.upperBound..<data.endIndex) else { break }
            let header = String(decoding: data[start.upperBound..<headerEnd.lowerBound], as: UTF8.self)
            var length: Int?
            var frame: UInt64?
            for line in header.split(separator: "\r\n") {
                let pair = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard pair.count == 2 else { continue }
                if pair[0].lowercased() == "content-length" { length = Int(pair[1]) }
                if pair[0].lowercased() == "x-vigil-frame" { frame = UInt64(pair[1]) }
            }
            let bodyStart = headerEnd.upperBound
            guard let length, let frame, bodyStart + length <= data.endIndex else { break }
            parts.append((frame, Data(data[bodyStart..<bodyStart + length])))
            index = bodyStart + length
        }
        return parts
    }
}
