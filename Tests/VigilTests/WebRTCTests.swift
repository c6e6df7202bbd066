import Foundation
import MediaCore
import NIOCore
import NIOPosix
import Serve
import TestSeeds
import XCTest

@testable import VigilKit

/// WebRTC viewers through WHEP, with aiortc (PyPI, an independent WebRTC stack: its own ICE,
/// DTLS, SRTP, depacketizers, and PyAV's libavcodec as decoder) on the other side, run by
/// `Scripts/testkit/whep_client.py`. What it decodes is counted there; what the server did
/// (NACKs answered, key frames forced, peers released) is read from Vigil's own counters.
final class WebRTCTests: XCTestCase {
    static var client: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Scripts/testkit/whep_client.py").path
    }

    static func settings(keyFrameInterval: Int? = nil, consent: TimeAmount = .seconds(30), maxPeers: Int = 64) -> VigilSettings {
        var settings = VigilFixture.smallSettings()
        settings.http = .init(enabled: true, host: "127.0.0.1", port: 0)
        settings.webRTC.host = "127.0.0.1"
        settings.webRTC.consentTimeout = consent
        settings.webRTC.maxPeers = maxPeers
        settings.video.keyFrameInterval = keyFrameInterval
        settings.access.stateDirectory = NSTemporaryDirectory() + "vigil-webrtc-\(UUID().uuidString)"
        return settings
    }

    /// Runs the aiortc client to the end; its JSON.
    static func play(_ port: Int, _ arguments: [String], timeout: Double = 60) throws -> Report {
        let result = try runProcess(HLSTests.python, [client, "http://127.0.0.1:\(port)/live/whep"] + arguments, timeout: timeout)
        XCTAssertEqual(result.status, 0, "aiortc must run (Scripts/install-deps --test): \(result.stderr.suffix(2000))")
        let json = (try? JSONSerialization.jsonObject(with: result.stdout) as? [String: Any]) ?? [:]
        XCTAssertFalse(json.isEmpty, "no JSON from the client: \(String(decoding: result.stdout, as: UTF8.self)) \(result.stderr.suffix(2000))")
        return Report(json: json)
    }

    /// `play` on a thread of its own, so that the test's tasks go on meanwhile.
    static func playInBackground(_ port: Int, _ arguments: [String]) async throws -> Report {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try play(port, arguments) })
            }
        }
    }

    /// The client's JSON, carried out of the task that ran it.
    struct Report: @unchecked Sendable {
        let json: [String: Any]
    }

    func testAiortcDecodesVideoAndAudioAndItsNACKsAreAnswered() async throws {
        let fixture = try await VigilFixture(settings: Self.settings())
        let port = try XCTUnwrap(fixture.httpPort)
        // Status is read while the viewer plays: WebRTC viewers are viewers like any other.
        let watcher = Task { () -> [ViewerSnapshot] in
            for _ in 0..<60 {
                try await Task.sleep(for: .milliseconds(200))
                let viewers = try await fixture.vigil.hub.viewerSnapshots()
                if viewers.contains(where: { $0.transport == "webrtc" && $0.statistics.receiverReports > 0 }) { return viewers }
            }
            return []
        }
        let report = try await Self.playInBackground(port, ["--seconds", "6", "--drop-every", "15"])
        let json = report.json
        XCTAssertEqual(json["status"] as? Int, 201, "\(json)")
        let location = try XCTUnwrap(json["location"] as? String)
        XCTAssertNotNil(location.range(of: "^/live/whep/[0-9a-f]{32}$", options: .regularExpression), location)
        let answer = json["answer"] as? String ?? ""
        XCTAssertTrue(answer.contains("a=ice-lite") && answer.contains("a=setup:passive"), answer)
        // 30 pictures a second for 6 s, less the time to connect; G.711 in 20 ms frames.
        XCTAssertGreaterThanOrEqual(json["video_frames"] as? Int ?? 0, 120, "\(json)")
        XCTAssertEqual(json["width"] as? Int, 320)
        XCTAssertEqual(json["height"] as? Int, 240)
        XCTAssertGreaterThanOrEqual(json["audio_frames"] as? Int ?? 0, 200, "\(json)")
        XCTAssertEqual(json["audio_rate"] as? Int, 8000)
        // Every 15th video SRTP datagram was lost once on the way in; aiortc NACKed each and
        // Vigil sent it again from its history (protected anew under the same index).
        let dropped = json["dropped"] as? Int ?? 0
        XCTAssertGreaterThan(dropped, 10, "\(json)")
        XCTAssertGreaterThanOrEqual(json["recovered"] as? Int ?? 0, dropped * 9 / 10, "\(json)")
        XCTAssertEqual(json["delete_status"] as? Int, 200)

        let viewers = try await watcher.value
        let webRTC = viewers.filter { $0.transport == "webrtc" }
        XCTAssertEqual(Set(webRTC.map(\.track)), [0, 1], "a WebRTC viewer of both tracks in the status: \(viewers)")
        XCTAssertTrue(webRTC.allSatisfy { $0.peer != "?" }, "the address ICE selected: \(webRTC)")
        let video = try await fixture.vigil.hub.trackSnapshots()[0]
        XCTAssertGreaterThanOrEqual(Int(video.nacksReceived), 1)
        XCTAssertGreaterThanOrEqual(Int(video.packetsResent), dropped * 9 / 10)
        // DELETE ended it: no peer, no viewer.
        let webRTCServer = try XCTUnwrap(fixture.vigil.webRTC)
        let peers = await webRTCServer.peerCount()
        XCTAssertEqual(peers, 0)
        let left = try await fixture.vigil.hub.viewerCount()
        XCTAssertEqual(left, 0)
        try await fixture.stop()
    }

    /// A stream whose audio is Opus goes to WebRTC as Opus (RFC 7587: opus/48000/2 whatever
    /// the rate encoded), and aiortc's libopus decodes it.
    func testAiortcDecodesAStreamsOpusAudio() async throws {
        var settings = Self.settings()
        settings.audio.codec = .opus
        settings.audio.sampleRate = 16_000
        let fixture = try await VigilFixture(settings: settings)
        let port = try XCTUnwrap(fixture.httpPort)
        let report = try await Self.playInBackground(port, ["--seconds", "4"])
        let json = report.json
        XCTAssertEqual(json["status"] as? Int, 201, "\(json)")
        let answer = json["answer"] as? String ?? ""
        XCTAssertNotNil(answer.range(of: #"a=rtpmap:\d+ opus/48000/2"#, options: .regularExpression), answer)
        XCTAssertFalse(answer.contains("PCMU"), "the stream sends no G.711: \(answer)")
        // 20 ms frames for 4 s, less the time to connect.
        XCTAssertGreaterThanOrEqual(json["audio_frames"] as? Int ?? 0, 120, "\(json)")
        XCTAssertEqual(json["audio_rate"] as? Int, 48_000, "\(json)")
        XCTAssertGreaterThanOrEqual(json["video_frames"] as? Int ?? 0, 60, "\(json)")
        try await fixture.stop()
    }

    /// Debian's chromium plays the stream by WHEP: its own ICE, DTLS and SRTP, its H.264
    /// decoder painting ≥ 25 pictures in 2 s, and audio bytes arriving (getStats).
    func testChromiumPlaysTheLiveStreamByWHEP() async throws {
        var settings = Self.settings()
        settings.http.corsOrigin = "*"  // the test page is a local file (origin "null")
        let fixture = try await VigilFixture(settings: settings)
        let port = try XCTUnwrap(fixture.httpPort)
        let playback = try await Chromium.playWHEP("http://127.0.0.1:\(port)/live/whep")
        XCTAssertEqual(playback.status, 201, "\(playback)")
        XCTAssertNil(playback.error, "\(playback)")
        XCTAssertGreaterThanOrEqual(playback.frames, 25, "\(playback)")
        XCTAssertEqual(playback.width, 320, "\(playback)")
        XCTAssertGreaterThan(playback.audioAfter, playback.audioBefore, "audio keeps arriving: \(playback)")
        try await fixture.stop()
    }

    /// With a key frame only every 10 s, the one that comes ~1 s after aiortc's PLI is the
    /// PLI's doing (Vigil forces at most one every 500 ms).
    func testAPLIFromAiortcBringsAKeyFrame() async throws {
        let fixture = try await VigilFixture(settings: Self.settings(keyFrameInterval: 300))
        let port = try XCTUnwrap(fixture.httpPort)
        let report = try await Self.playInBackground(port, ["--seconds", "4.5", "--pli-at", "3"])
        let json = report.json
        XCTAssertEqual(json["status"] as? Int, 201, "\(json)")
        XCTAssertGreaterThanOrEqual(json["video_frames"] as? Int ?? 0, 60, "\(json)")
        let after = try XCTUnwrap(json["key_frame_after_pli_ms"] as? Double, "no key frame after the PLI: \(json)")
        XCTAssertLessThan(after, 1000, "\(json)")
        let video = try await fixture.vigil.hub.trackSnapshots()[0]
        XCTAssertGreaterThanOrEqual(Int(video.keyFrameRequests), 1)
        try await fixture.stop()
    }

    /// A peer that vanishes without DELETE (its process stops answering) is dropped when its
    /// consent lapses (RFC 7675), and nothing of it stays: no peer object, no viewer, no file
    /// descriptor more than before.
    func testAVanishedPeerIsDroppedOnConsentExpiryAndReleased() async throws {
        let fixture = try await VigilFixture(settings: Self.settings(consent: .seconds(3)))
        let port = try XCTUnwrap(fixture.httpPort)
        let server = try XCTUnwrap(fixture.vigil.webRTC)
        // UDP sockets are what a peer could hold: ports (Foundation's Process adds event,
        // timer and Unix socket descriptors of its own per child, which are not the server's).
        let descriptorsBefore = Self.openUDPSockets()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: HLSTests.python)
        process.arguments = [Self.client, "http://127.0.0.1:\(port)/live/whep", "--seconds", "2", "--hang"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        // The client prints once it has played; then it hangs, peer open.
        let line = try await Task.detached { output.fileHandleForReading.availableData }.value
        let json = (try? JSONSerialization.jsonObject(with: line) as? [String: Any]) ?? [:]
        XCTAssertGreaterThan(json["video_frames"] as? Int ?? 0, 20, "\(json)")
        let playing = await server.peerCount()
        XCTAssertEqual(playing, 1)
        let expired = await waitUntil(timeout: 10) { await server.peerCount() == 0 }
        XCTAssertTrue(expired, "consent (3 s) expires and the peer goes")
        let counters = await server.counters()
        XCTAssertEqual(counters.closedByConsent, 1, "\(counters)")
        let viewers = try await fixture.vigil.hub.viewerCount()
        XCTAssertEqual(viewers, 0)
        XCTAssertEqual(WebRTCServer.peerObjectsAlive, 0, "a closed peer must be freed")
        // The client's process and its pipe go too; then nothing is open that was not before.
        kill(process.processIdentifier, SIGKILL)
        // (Not waitUntilExit: on a Swift concurrency thread it spins Foundation's run loop.)
        let exited = await waitUntil(timeout: 10) { !process.isRunning }
        XCTAssertTrue(exited)
        try output.fileHandleForReading.close()
        try? output.fileHandleForWriting.close()
        let released = await waitUntil(timeout: 5) { Self.openUDPSockets() <= descriptorsBefore }
        XCTAssertTrue(released, "no UDP port per peer is left open: \(Self.openUDPSockets()) now, \(descriptorsBefore) before; UDP now \(Self.udpTable())")
        try await fixture.stop()
    }

    /// Wrong requests get the status that says what is wrong, and nothing is left behind.
    func testBadWHEPRequestsGetClearStatuses() async throws {
        let fixture = try await VigilFixture(settings: Self.settings(maxPeers: 1))
        let port = try XCTUnwrap(fixture.httpPort)
        let offer = try Self.aiortcOffer()
        func post(_ body: String, type: String = "application/sdp", path: String = "/live/whep") throws -> HTTPClient.Answer {
            try HTTPClient.request(port, method: "POST", path, headers: ["Content-Type": type], body: Array(body.utf8))
        }
        XCTAssertEqual(try post(offer, type: "text/plain").status, 415)
        XCTAssertEqual(try post("v=0\r\nnonsense\r\n").status, 400)
        XCTAssertEqual(try post(offer, path: "/nosuch/whep").status, 404)
        // An offer with nothing Vigil sends: VP8 video only.
        let vp8 = Self.videoOnly(offer, codec: "VP8")
        let refused = try post(vp8)
        XCTAssertEqual(refused.status, 406, String(decoding: refused.body, as: UTF8.self))
        let first = try post(offer)
        XCTAssertEqual(first.status, 201, String(decoding: first.body, as: UTF8.self))
        XCTAssertEqual(first.headers["content-type"], "application/sdp")
        let second = try post(offer)
        XCTAssertEqual(second.status, 503, "max_peers = 1")
        XCTAssertNotNil(second.headers["retry-after"])
        let location = try XCTUnwrap(first.headers["location"])
        let patchWrongType = try HTTPClient.request(port, method: "PATCH", location, headers: ["Content-Type": "application/sdp"], body: [])
        XCTAssertEqual(patchWrongType.status, 415)
        let fragment = "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=candidate:1 1 udp 2130706431 192.0.2.1 5000 typ host\r\n"
        let restart = try HTTPClient.request(
            port, method: "PATCH", location, headers: ["Content-Type": "application/trickle-ice-sdpfrag"], body: Array(fragment.utf8))
        XCTAssertEqual(restart.status, 422, "another ufrag is an ICE restart: \(String(decoding: restart.body, as: UTF8.self))")
        let unknown = "/live/whep/" + String(repeating: "0", count: 32)
        XCTAssertEqual(try HTTPClient.request(port, method: "DELETE", unknown, headers: [:], body: []).status, 404)
        XCTAssertEqual(try HTTPClient.request(port, method: "DELETE", location, headers: [:], body: []).status, 200)
        XCTAssertEqual(try HTTPClient.request(port, method: "DELETE", location, headers: [:], body: []).status, 404, "gone after DELETE")
        let server = try XCTUnwrap(fixture.vigil.webRTC)
        let peers = await server.peerCount()
        XCTAssertEqual(peers, 0)
        try await fixture.stop()
    }

    /// One client's offers that never connect hold at most `maxConnectingPerClient` slots;
    /// another client still gets in, and a DELETE gives the slot back.
    func testOneClientsUnconnectedOffersCannotTakeEverySlot() async throws {
        var settings = Self.settings(maxPeers: 64)
        settings.webRTC.maxConnectingPerClient = 2
        let fixture = try await VigilFixture(settings: settings)
        let port = try XCTUnwrap(fixture.httpPort)
        let offer = try Self.aiortcOffer()
        func post(from source: String) throws -> HTTPClient.Answer {
            try HTTPClient.request(
                port, method: "POST", "/live/whep", headers: ["Content-Type": "application/sdp"], body: Array(offer.utf8), source: source)
        }
        let first = try post(from: "127.0.0.1")
        XCTAssertEqual(first.status, 201, String(decoding: first.body, as: UTF8.self))
        XCTAssertEqual(try post(from: "127.0.0.1").status, 201)
        let third = try post(from: "127.0.0.1")
        XCTAssertEqual(third.status, 429, "a third unconnected offer from one address: \(String(decoding: third.body, as: UTF8.self))")
        XCTAssertNotNil(third.headers["retry-after"])
        XCTAssertEqual(try post(from: "127.0.0.2").status, 201, "another address is not held up")
        let location = try XCTUnwrap(first.headers["location"])
        XCTAssertEqual(try HTTPClient.request(port, method: "DELETE", location, headers: [:], body: []).status, 200)
        XCTAssertEqual(try post(from: "127.0.0.1").status, 201, "a DELETE gives the slot back")
        let server = try XCTUnwrap(fixture.vigil.webRTC)
        let peers = await server.peerCount()
        XCTAssertEqual(peers, 3)
        try await fixture.stop()
    }

    /// Random datagrams of every kind the port demultiplexes (STUN-, DTLS- and SRTP-looking)
    /// from a stranger, while aiortc plays: the daemon stays up, the viewer keeps decoding,
    /// and the strangers are counted, never answered with a handshake.
    func testSeededJunkOnTheWebRTCPortHarmsNobody() async throws {
        let fixture = try await VigilFixture(settings: Self.settings())
        let port = try XCTUnwrap(fixture.httpPort)
        let server = try XCTUnwrap(fixture.vigil.webRTC)
        let udpPort = try await XCTUnwrapAsync(await server.boundPort())
        let seed = TestSeed.value(default: 0x57_0C_E7)
        let blaster = Task.detached {
            var random = SeededRandom(seed: seed)
            let socket = try DatagramSocket()
            for _ in 0..<20_000 {
                let first: UInt8 = [UInt8.random(in: 0...3, using: &random), UInt8.random(in: 20...63, using: &random),
                                    UInt8.random(in: 128...191, using: &random), UInt8.random(in: 0...255, using: &random)][Int.random(in: 0..<4, using: &random)]
                var bytes = [first] + (0..<Int.random(in: 0...300, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
                if first <= 3 && bytes.count >= 8 {
                    bytes[4...7] = [0x21, 0x12, 0xA4, 0x42]  // a STUN magic cookie, so the parser goes deeper
                }
                socket.send(bytes, to: udpPort)
                if Task.isCancelled { break }
                try? await Task.sleep(for: .microseconds(150))
            }
        }
        let report = try await Self.playInBackground(port, ["--seconds", "4"])
        let json = report.json
        blaster.cancel()
        _ = await blaster.result
        XCTAssertEqual(json["status"] as? Int, 201, "\(json)")
        XCTAssertGreaterThanOrEqual(json["video_frames"] as? Int ?? 0, 70, "\(TestSeed.describe(seed)): \(json)")
        let counters = await server.counters()
        XCTAssertGreaterThan(counters.strangers, 1000, "\(counters)")
        try await fixture.stop()
    }

    // MARK: - Helpers

    /// An offer as aiortc makes it (recvonly video and audio).
    static func aiortcOffer() throws -> String {
        let script = """
            import asyncio
            from aiortc import RTCPeerConnection
            async def main():
                pc = RTCPeerConnection()
                pc.addTransceiver('video', direction='recvonly')
                pc.addTransceiver('audio', direction='recvonly')
                await pc.setLocalDescription(await pc.createOffer())
                print(pc.localDescription.sdp)
                await pc.close()
            asyncio.run(main())
            """
        let result = try runProcess(HLSTests.python, ["-c", script], timeout: 30)
        XCTAssertEqual(result.status, 0, result.stderr)
        return String(decoding: result.stdout, as: UTF8.self)
    }

    /// `offer` cut to its video section with only `codec`'s payload types kept.
    static func videoOnly(_ offer: String, codec: String) -> String {
        let lines = offer.components(separatedBy: "\r\n")
        var out: [String] = []
        var inVideo = false
        var inAudio = false
        var keep: Set<String> = []
        for line in lines {
            if line.hasPrefix("m=") {
                inVideo = line.hasPrefix("m=video")
                inAudio = !inVideo
            }
            if line.hasPrefix("a=group:BUNDLE") {
                out.append("a=group:BUNDLE 0")
                continue
            }
            if inAudio { continue }
            if inVideo, line.hasPrefix("a=rtpmap:"), line.contains(" \(codec)/") {
                keep.insert(String(line.dropFirst(9).prefix { $0 != " " }))
            }
            out.append(line)
        }
        // Second pass: the m= line and per-format attributes of the kept types only.
        return out.compactMap { line -> String? in
            if line.hasPrefix("m=video") {
                let fields = line.split(separator: " ").map(String.init)
                return (fields.prefix(3) + fields.dropFirst(3).filter { keep.contains($0) }).joined(separator: " ")
            }
            for prefix in ["a=rtpmap:", "a=fmtp:", "a=rtcp-fb:"] where line.hasPrefix(prefix) {
                let type = String(line.dropFirst(prefix.count).prefix { $0 != " " })
                return keep.contains(type) ? line : nil
            }
            return line
        }.joined(separator: "\r\n")
    }

    static func udpTable() -> String {
        ((try? String(contentsOfFile: "/proc/self/net/udp", encoding: .utf8)) ?? "").split(separator: "\n").map { line in
            line.split(separator: " ").prefix(10).joined(separator: " ")
        }.joined(separator: " | ")
    }

    /// This process's open UDP ports: descriptors whose socket inode /proc/net/udp(6) lists unconnected.
    static func openUDPSockets() -> Int {
        var inodes = Set<String>()
        for table in ["/proc/self/net/udp", "/proc/self/net/udp6"] {
            let text = (try? String(contentsOfFile: table, encoding: .utf8)) ?? ""
            for line in text.split(separator: "\n").dropFirst() {
                // Unconnected sockets (state 07) are ports; Foundation keeps a connected loopback
                // pair (state 01) of its own for each run loop that watches a child process.
                let fields = line.split(separator: " ")
                if fields.count > 9, fields[3] == "07" { inodes.insert(String(fields[9])) }
            }
        }
        return describeDescriptors().filter { entry in
            guard let range = entry.range(of: "socket:[") else { return false }
            return inodes.contains(String(entry[range.upperBound...].dropLast()))
        }.count
    }

    /// What each open descriptor is (`socket:[…]`, a path), for a failure message.
    static func describeDescriptors() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return names.sorted { (Int($0) ?? 0) < (Int($1) ?? 0) }.map {
            "\($0)→" + ((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) ?? "?")
        }
    }
}

extension HTTPClient {
    /// Any method through curl, with a body (sent as is).
    /// `source`: the local address curl connects from (any 127.0.0.0/8 address reaches a
    /// server on 127.0.0.1).
    static func request(
        _ port: Int, method: String, _ path: String, headers: [String: String], body: [UInt8], source: String? = nil
    ) throws -> Answer {
        let directory = FileManager.default.temporaryDirectory
        let headerFile = directory.appendingPathComponent("vigil-curl-\(UUID().uuidString)")
        let bodyFile = directory.appendingPathComponent("vigil-curl-body-\(UUID().uuidString)")
        defer {
            try? FileManager.default.removeItem(at: headerFile)
            try? FileManager.default.removeItem(at: bodyFile)
        }
        try Data(body).write(to: bodyFile)
        var arguments = ["-s", "-g", "--max-time", "30", "-D", headerFile.path, "-X", method, "--data-binary", "@\(bodyFile.path)"]
        for (name, value) in headers { arguments += ["-H", "\(name): \(value)"] }
        if headers["Content-Type"] == nil { arguments += ["-H", "Content-Type:"] }
        if let source { arguments += ["--interface", source] }
        arguments.append("http://127.0.0.1:\(port)\(path)")
        let result = try runProcess("curl", arguments, timeout: 40)
        return try answer(result, headerFile: headerFile, what: "\(method) \(path)")
    }
}

/// A plain UDP socket for sending junk.
final class DatagramSocket: @unchecked Sendable {
    let fd: Int32

    init() throws {
        fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8], to port: Int) {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = bytes.withUnsafeBytes { buffer in
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, buffer.baseAddress, buffer.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }
}

func XCTUnwrapAsync<T>(_ value: T?, file: StaticString = #filePath, line: UInt = #line) async throws -> T {
    try XCTUnwrap(value, file: file, line: line)
}
