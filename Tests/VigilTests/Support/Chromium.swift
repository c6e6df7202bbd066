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
        let fields = try await report(page: page, query: [("src", url), ("seconds", "\(seconds)")], timeout: seconds + 30)
        return Playback(
            frames: Int(fields["frames"] ?? "") ?? 0, audioBytes: Int(fields["audio"] ?? "") ?? 0,
            videoBytes: Int(fields["video"] ?? "") ?? 0, width: Int(fields["width"] ?? "") ?? 0, error: fields["error"])
    }

    /// Opens `page` (written to a local file, with `query`) in headless chromium and returns
    /// the `name=value` fields of the first `VIGIL-RESULT` line it logs to its console.
    static func report(page: String, query: [(String, String)] = [], timeout: Double) async throws -> [String: String] {
        try TestEnvironment.require(FileManager.default.isExecutableFile(atPath: binary), "Debian's chromium (Scripts/install-deps --test)")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-chromium-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let pageFile = directory.appendingPathComponent("page.html")
        try page.write(to: pageFile, atomically: true, encoding: .utf8)
        var components = URLComponents(url: pageFile, resolvingAgainstBaseURL: false)!
        if !query.isEmpty { components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        let browser = try DaemonProcess(binary: URL(fileURLWithPath: binary), arguments: [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--autoplay-policy=no-user-gesture-required",
            "--enable-logging=stderr", "--v=0", "--user-data-dir=\(directory.appendingPathComponent("profile").path)",
            components.url!.absoluteString,
        ])
        defer { if browser.process.isRunning { browser.signal(SIGKILL) } }
        var line: Substring?
        _ = await waitUntil(timeout: timeout) {
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
        return fields
    }
}

extension Chromium {
    struct LivePlayback: CustomStringConvertible {
        /// Pictures painted in the 2 s after the first one.
        var frames: Int
        /// From the page's start to the first picture, milliseconds.
        var startup: Int
        /// Audio decoded bytes at the first picture and 2 s later.
        var audioBefore: Int
        var audioAfter: Int
        var width: Int
        var error: String?
        var description: String {
            "frames \(frames) in 2 s, first after \(startup) ms, audio \(audioBefore) → \(audioAfter) B, width \(width), error \(error ?? "none")"
        }
    }

    /// Plays a live HLS URL in a `<video>` through Vigil's own loader (`/assets/llhls.js`,
    /// Media Source Extensions: Chromium's `<video>` plays no HLS by itself) and counts the
    /// pictures `requestVideoFrameCallback` reports in the two seconds after the first.
    static func playLiveHLS(loader: String, url: String, timeout: Double = 30) async throws -> LivePlayback {
        let page = """
            <!doctype html><html><body><video id="v" muted playsinline></video>
            <script src="\(loader)"></script><script>
            const v = document.getElementById('v');
            let frames = 0, firstAt = null;
            function count() { frames++; if (firstAt === null) firstAt = performance.now(); v.requestVideoFrameCallback(count); }
            v.requestVideoFrameCallback(count);
            if (!window.VigilHLS) console.log('VIGIL-RESULT error=no-loader');
            VigilHLS.play(v, '\(url)', { onError: e => console.log('VIGIL-RESULT error=' + String(e).replace(/ /g, '_')) });
            const t0 = performance.now();
            const poll = setInterval(() => {
              if (firstAt === null) return;
              clearInterval(poll);
              const f0 = frames, a0 = v.webkitAudioDecodedByteCount;
              setTimeout(() => console.log('VIGIL-RESULT frames=' + (frames - f0) + ' startup=' + Math.round(firstAt - t0) +
                ' audio0=' + a0 + ' audio1=' + v.webkitAudioDecodedByteCount + ' width=' + v.videoWidth), 2000);
            }, 10);
            </script></body></html>
            """
        let fields = try await report(page: page, timeout: timeout)
        return LivePlayback(
            frames: Int(fields["frames"] ?? "") ?? 0, startup: Int(fields["startup"] ?? "") ?? 0,
            audioBefore: Int(fields["audio0"] ?? "") ?? 0, audioAfter: Int(fields["audio1"] ?? "") ?? 0,
            width: Int(fields["width"] ?? "") ?? 0, error: fields["error"])
    }
}

/// GStreamer decoding a file to the end (`uridecodebin`): the pictures it decoded, counted
/// by the bytes of raw 8-bit gray pictures its file sink wrote (the picture size from
/// ffprobe), and the audio samples, by the bytes of raw 16-bit mono. (Counting fakesink's
/// `last-message` notifications lost some under load: they are a property, not a log.)
enum GStreamerDecode {
    static func buffers(_ path: String) throws -> (video: Int, audio: Int, status: Int32) {
        let probe = try runProcess("ffprobe", [
            "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0", path,
        ])
        let size = String(decoding: probe.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            .split(separator: ",").compactMap { Int($0) }
        guard size.count == 2 else { return (0, 0, probe.status == 0 ? -1 : probe.status) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-gst-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let video = directory.appendingPathComponent("video.gray").path
        let audio = directory.appendingPathComponent("audio.s16").path
        let result = try runProcess("gst-launch-1.0", [
            "-q", "uridecodebin", "uri=file://\(path)", "name=d",
            "d.", "!", "queue", "!", "videoconvert", "!", "video/x-raw,format=GRAY8", "!", "filesink", "location=\(video)", "sync=false",
            "d.", "!", "queue", "!", "audioconvert", "!", "audio/x-raw,format=S16LE,channels=1", "!", "filesink", "location=\(audio)",
            "sync=false",
        ], timeout: 60)
        // GRAY8 rows are padded to 4 bytes.
        let picture = (size[0] + 3) / 4 * 4 * size[1]
        let videoBytes = (try? FileManager.default.attributesOfItem(atPath: video)[.size] as? Int) ?? 0
        let audioBytes = (try? FileManager.default.attributesOfItem(atPath: audio)[.size] as? Int) ?? 0
        return (videoBytes / max(1, picture), audioBytes / 2, result.status)
    }
}

extension Chromium {
    struct WebRTCPlayback: CustomStringConvertible {
        /// Pictures painted in the 2 s after the first one.
        var frames: Int
        /// From the WHEP POST to the first painted picture, milliseconds.
        var firstPicture: Int
        /// `getStats()` inbound-rtp audio bytes at the first picture and 2 s later.
        var audioBefore: Int
        var audioAfter: Int
        var width: Int
        var status: Int
        var error: String?
        var description: String {
            "frames \(frames) in 2 s, first \(firstPicture) ms after the POST, audio \(audioBefore) → \(audioAfter) B, width \(width), POST \(status), error \(error ?? "none")"
        }
    }

    /// Plays a stream by WHEP in a `<video>`: Chromium's own RTCPeerConnection (recvonly
    /// video and audio), the offer POSTed to `url`, the answer applied; pictures counted by
    /// `requestVideoFrameCallback`, audio by `getStats()`.
    static func playWHEP(_ url: String, timeout: Double = 30) async throws -> WebRTCPlayback {
        let page = """
            <!doctype html><html><body><video id="v" muted playsinline autoplay></video><script>
            const v = document.getElementById('v');
            const say = s => console.log('VIGIL-RESULT ' + s);
            let frames = 0, firstAt = null, postedAt = null;
            function count() { frames++; if (firstAt === null) firstAt = performance.now(); v.requestVideoFrameCallback(count); }
            v.requestVideoFrameCallback(count);
            async function audioBytes(pc) {
              let bytes = 0;
              (await pc.getStats()).forEach(r => { if (r.type === 'inbound-rtp' && r.kind === 'audio') bytes += r.bytesReceived; });
              return bytes;
            }
            (async () => {
              const pc = new RTCPeerConnection();
              pc.addTransceiver('video', { direction: 'recvonly' });
              pc.addTransceiver('audio', { direction: 'recvonly' });
              const stream = new MediaStream();
              pc.ontrack = e => { stream.addTrack(e.track); v.srcObject = stream; };
              await pc.setLocalDescription(await pc.createOffer());
              postedAt = performance.now();
              const response = await fetch('\(url)', { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: pc.localDescription.sdp });
              if (response.status !== 201) { say('status=' + response.status + ' error=' + (await response.text()).replace(/\\s/g, '_')); return; }
              await pc.setRemoteDescription({ type: 'answer', sdp: await response.text() });
              const poll = setInterval(async () => {
                if (firstAt === null) return;
                clearInterval(poll);
                const f0 = frames, a0 = await audioBytes(pc);
                setTimeout(async () => say('status=201 frames=' + (frames - f0) + ' first=' + Math.round(firstAt - postedAt) +
                  ' audio0=' + a0 + ' audio1=' + (await audioBytes(pc)) + ' width=' + v.videoWidth), 2000);
              }, 5);
            })().catch(e => say('error=' + String(e).replace(/ /g, '_')));
            </script></body></html>
            """
        let fields = try await report(page: page, timeout: timeout)
        return WebRTCPlayback(
            frames: Int(fields["frames"] ?? "") ?? 0, firstPicture: Int(fields["first"] ?? "") ?? 0,
            audioBefore: Int(fields["audio0"] ?? "") ?? 0, audioAfter: Int(fields["audio1"] ?? "") ?? 0,
            width: Int(fields["width"] ?? "") ?? 0, status: Int(fields["status"] ?? "") ?? 0, error: fields["error"])
    }
}
