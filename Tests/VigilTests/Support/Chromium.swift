import Foundation
import XCTest

/// Debian's chromium, headless, playing a media URL in a `<video>` of a local page and
/// reporting what it decoded: pictures counted by `requestVideoFrameCallback`, and the
/// decoded audio and video bytes (`webkitAudioDecodedByteCount`, `webkitVideoDecodedByteCount`).
enum Chromium {
    static let binary = "/usr/bin/chromium"

    struct Playback: CustomStringConvertible {
        var frames: Int
        var audioBytes: Int
        var videoBytes: Int
        var width: Int
        var error: String?
        var description: String { "frames \(frames), audio \(audioBytes) B, video \(videoBytes) B, width \(width), error \(error ?? "none")" }
    }

    static let page = """
        <!doctype html><html><body><video id="v" muted playsinline></video><script>
        const v = document.getElementById('v');
        let frames = 0;
        function count() { frames++; v.requestVideoFrameCallback(count); }
        v.requestVideoFrameCallback(count);
        v.onerror = () => console.log('VIGIL-RESULT error=' + (v.error ? v.error.code + ':' + v.error.message : '?'));
        v.src = new URLSearchParams(location.search).get('src');
        v.play().catch(e => console.log('VIGIL-RESULT error=play:' + e));
        const seconds = Number(new URLSearchParams(location.search).get('seconds'));
        setTimeout(() => console.log('VIGIL-RESULT frames=' + frames + ' audio=' + v.webkitAudioDecodedByteCount +
            ' video=' + v.webkitVideoDecodedByteCount + ' width=' + v.videoWidth), seconds * 1000);
        </script></body></html>
        """

    /// Plays `url` for `seconds` and reports.
    static func play(_ url: String, seconds: Double) async throws -> Playback {
        try TestEnvironment.require(FileManager.default.isExecutableFile(atPath: binary), "Debian's chromium (Scripts/install-deps --test)")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-chromium-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let pageFile = directory.appendingPathComponent("play.html")
        try page.write(to: pageFile, atomically: true, encoding: .utf8)
        var components = URLComponents(url: pageFile, resolvingAgainstBaseURL: false)!
        components.queryItems = [URLQueryItem(name: "src", value: url), URLQueryItem(name: "seconds", value: "\(seconds)")]
        let browser = try DaemonProcess(binary: URL(fileURLWithPath: binary), arguments: [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--autoplay-policy=no-user-gesture-required",
            "--enable-logging=stderr", "--v=0", "--user-data-dir=\(directory.appendingPathComponent("profile").path)",
            components.url!.absoluteString,
        ])
        defer { if browser.process.isRunning { browser.signal(SIGKILL) } }
        var line: Substring?
        _ = await waitUntil(timeout: seconds + 30) {
            line = browser.stderr.value.split(separator: "\n").first { $0.contains("VIGIL-RESULT") }
            return line != nil
        }
        guard let line, let range = line.range(of: "VIGIL-RESULT ") else {
            throw TestClientError.unexpected("chromium reported nothing: \(browser.stderr.value.suffix(2000))")
        }
        var fields: [String: String] = [:]
        for pair in line[range.upperBound...].prefix(while: { $0 != "\"" }).split(separator: " ") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        return Playback(
            frames: Int(fields["frames"] ?? "") ?? 0, audioBytes: Int(fields["audio"] ?? "") ?? 0,
            videoBytes: Int(fields["video"] ?? "") ?? 0, width: Int(fields["width"] ?? "") ?? 0, error: fields["error"])
    }
}

/// GStreamer decoding a file to the end (`uridecodebin`), counting the decoded buffers of
/// each kind as its fake sinks see them.
enum GStreamerDecode {
    static func buffers(_ path: String) throws -> (video: Int, audio: Int, status: Int32) {
        let result = try runProcess("gst-launch-1.0", [
            "-v", "uridecodebin", "uri=file://\(path)", "name=d",
            "d.", "!", "queue", "!", "videoconvert", "!", "fakesink", "name=video", "silent=false", "sync=false",
            "d.", "!", "queue", "!", "audioconvert", "!", "fakesink", "name=audio", "silent=false", "sync=false",
        ], timeout: 60)
        // `-v` prints each buffer's last-message, sometimes twice: count distinct timestamps.
        let text = String(decoding: result.stdout, as: UTF8.self)
        func count(_ sink: String) -> Int {
            Set(text.split(separator: "\n").filter { $0.contains("chain") && $0.contains("(\(sink):sink)") }.compactMap { line in
                line.range(of: "pts: ").map { line[$0.upperBound...].prefix { $0 != "," } }
            }).count
        }
        return (count("video"), count("audio"), result.status)
    }
}
