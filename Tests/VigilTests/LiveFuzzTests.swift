#if canImport(Glibc)
import Glibc
#endif
import Access
import Foundation
import NIOCore
import NIOPosix
import ServeWire
import TestSeeds
import VigilKit
import XCTest

/// Seeded mutational fuzzing of the live server: RTSP requests (digest headers of ffmpeg's and
/// GStreamer's shapes, `?token=` queries, Transport and Session headers), RTCP compounds and
/// the HTTP routes, mutated from a corpus of valid messages and sent to one in-process Vigil.
/// Answers are only checked for a well-formed status line (2xx, 4xx or 5xx). After every batch
/// a fresh viewer must get pictures, the viewer playing since the start must have seen no
/// sequence gap, and the process's RSS must stay within `rssGrowthBound` of its value after
/// the first batch.
///
/// The fuzz traffic comes from 127.0.0.2 (client sockets bound there), the real viewers from
/// 127.0.0.1 with a token: the access check backs off 127.0.0.2 after the fuzzer's wrong
/// digests, and the real viewers getting in is the check that one address's back-off does not
/// lock out another. RTCP is fuzzed from a viewer of its own (on the anonymous stream `open`,
/// so its fuzzed reports steer only that stream) and from unknown ports.
///
/// `CASES` (per kind, default 2000) sizes the run, `VIGIL_TEST_SEED` replays one;
/// `Scripts/fuzz` is the long run (100 000 per kind).
final class LiveFuzzTests: XCTestCase {
    static let secret = "fuzz-service-access-password"
    static let fuzzSource = "127.0.0.2"
    /// Cases of each kind between two checks.
    static let batchSize = 500
    /// RSS may grow this much over its value after the first batch. What legitimately still
    /// grows after a warm-up batch: malloc arenas of the event-loop and cooperative threads
    /// settling, SQLite's page cache of the token store (2 MiB by default) as fuzzed
    /// `/gettoken`s mint, sessions of fuzzed SETUPs until their 60 s timeout (bounded by
    /// max_sessions, a few KiB each). A leak of one KiB per case would be 100 MiB over the
    /// long run, far over it; a CI-sized run catches leaks of ~10 KiB per case.
    static let rssGrowthBound = 32 << 20

    var cases: Int {
        ProcessInfo.processInfo.environment["CASES"].flatMap { Int($0) } ?? 2000
    }

    func testMutatedRequestsNeverCrashHangOrLeak() async throws {
        let seed = TestSeed.value(default: 0xF022_5EED)
        let seedText = TestSeed.describe(seed)
        // Only if 127.0.0.2 is there (it is on Linux: all of 127/8 is loopback).
        let probe = FuzzSocket.udp(from: Self.fuzzSource)
        try TestEnvironment.require(probe >= 0, "cannot bind \(Self.fuzzSource)")
        close(probe)

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-fuzz-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let fixture = try await VigilFixture(settings: try Self.settings(stateDirectory: directory))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let httpPort = try XCTUnwrap(fixture.httpPort)
        let store = try XCTUnwrap(fixture.vigil.tokens)
        let token = try await store.mint(app: "live", label: "fuzz viewer", now: Date()).token.text
        let rtspPort = fixture.port
        let liveURL = fixture.url("live")
        let openURL = fixture.url("open")

        // The viewer that plays through the whole run, and the one whose address RTCP is fuzzed from.
        let playing = try await TestViewer.start(port: fixture.port, url: liveURL + "?token=\(token)", transport: .udp, group: group)
        var target = try await TestViewer.start(port: fixture.port, url: openURL, transport: .udp, group: group)
        let liveRTCPPorts = playing.tracks.compactMap { $0.serverPorts?.upperBound }
        var playingLast: [ByteBuffer?] = playing.tracks.map { _ in nil }
        var playingSeen = playing.tracks.map { _ in 0 }

        let corpus = FuzzCorpus(port: fixture.port, token: token, secret: Self.secret)
        var random = SeededRandom(seed: seed)
        var rss: [Int] = []
        var failures: [String] = []
        var stats = (rtsp: FuzzStats(), rtcp: FuzzStats(), http: FuzzStats())
        let started = Date()
        let strangerSocket = FuzzSocket.udp(from: Self.fuzzSource)
        defer { close(strangerSocket) }

        var done = 0
        var batch = 0
        while done < cases {
            let count = min(Self.batchSize, cases - done)
            // RTSP over TCP, from 127.0.0.2.
            let rtspCases = (0..<count).map { _ in FuzzMutator.message(from: corpus.rtsp, using: &random, pipelined: true) }
            let rtspReplies = await onThread {
                FuzzSocket.exchange(rtspCases, port: rtspPort, from: Self.fuzzSource)
            }
            for (bytes, reply) in zip(rtspCases, rtspReplies) {
                stats.rtsp.note(reply)
                if let problem = FuzzCheck.statusLine(reply, protocols: ["RTSP/1.0"]) {
                    failures.append("RTSP \(problem)\n  sent: \(FuzzCheck.show(bytes))\n  got: \(FuzzCheck.show(reply))")
                }
            }

            // RTCP: from the target viewer's own RTCP port (parsed by the server), and from an
            // unknown port (counted, never parsed), to the open stream's and the live stream's ports.
            let targetPort = try XCTUnwrap(target.tracks[0].serverPorts?.upperBound)
            var deliveredGoodbye = false
            for _ in 0..<count {
                let bytes = FuzzMutator.datagram(from: corpus.rtcp, using: &random)
                stats.rtcp.sent += 1
                // The parser is pure: what it does with these bytes here it does in the server.
                let parsed = try? RTCPCompound.parse(ByteBuffer(bytes: bytes))
                let stopsTarget = parsed?.contains { packet in
                    if case .goodbye(let bye) = packet { return !bye.ssrcs.isEmpty }
                    return false
                } ?? false
                if parsed != nil { stats.rtcp.answered += 1 }
                // A BYE stops the target's media (RFC 3550 §6.6), and a new target costs a
                // whole SETUP: one a batch reaches the server, the others only the parser here.
                if !stopsTarget || !deliveredGoodbye {
                    deliveredGoodbye = deliveredGoodbye || stopsTarget
                    try await target.tracks[0].rtcp!.send(ByteBuffer(bytes: bytes), to: targetPort)
                }
                let strangerPort = random.next() % 2 == 0 ? targetPort : liveRTCPPorts[Int(random.next() % UInt64(liveRTCPPorts.count))]
                FuzzSocket.send(bytes, on: strangerSocket, to: strangerPort)
            }
            // The target hears media all the while; nothing checks it, so none of it is kept.
            target.tracks[0].rtp?.datagrams.value = []
            target.tracks[0].rtcp?.datagrams.value = []
            if deliveredGoodbye {
                _ = try? await target.teardown()
                await target.close()
                target = try await TestViewer.start(port: fixture.port, url: openURL, transport: .udp, group: group)
            }

            // HTTP over TCP, from 127.0.0.2.
            let httpCases = (0..<count).map { _ in FuzzMutator.message(from: corpus.http(port: httpPort), using: &random, pipelined: true) }
            let httpReplies = await onThread {
                FuzzSocket.exchange(httpCases, port: httpPort, from: Self.fuzzSource)
            }
            for (bytes, reply) in zip(httpCases, httpReplies) {
                stats.http.note(reply)
                if let problem = FuzzCheck.statusLine(reply, protocols: ["HTTP/1.1", "HTTP/1.0"]) {
                    failures.append("HTTP \(problem)\n  sent: \(FuzzCheck.show(bytes))\n  got: \(FuzzCheck.show(reply))")
                }
            }
            done += count
            batch += 1

            // The checks after the batch. A fresh viewer gets pictures…
            let fresh = try await TestViewer.start(port: fixture.port, url: liveURL + "?token=\(token)", transport: .udp, group: group)
            let pictures = await waitUntil(timeout: 10) { fresh.pictures() >= 5 }
            XCTAssertTrue(pictures, "batch \(batch): a fresh viewer got \(fresh.pictures()) pictures in 10 s, \(seedText)")
            _ = try? await fresh.teardown()
            await fresh.close()
            // …the one playing since the start saw every packet (and keeps its session alive)…
            let keepAlive = try await playing.client.request("GET_PARAMETER", liveURL, headers: [("Session", playing.session ?? "")])
            XCTAssertEqual(keepAlive.status.code, 200, "batch \(batch): keep-alive of the playing viewer, \(seedText)")
            _ = try? await target.client.request("GET_PARAMETER", openURL, headers: [("Session", target.session ?? "")])
            for index in playing.tracks.indices {
                // Taken and trimmed at once, so no packet arrives unseen in between; the last one
                // stays, so the next batch checks continuity across the boundary.
                let taken = playing.tracks[index].rtp!.datagrams.mutate { all -> [ByteBuffer] in
                    defer { all = Array(all.suffix(1)) }
                    return all
                }
                let packets = taken.compactMap { try? RTPPacket(parsing: $0) }
                let fresh = packets.count - (playingLast[index] == nil ? 0 : 1)
                playingLast[index] = taken.last
                playingSeen[index] += fresh
                XCTAssertGreaterThan(fresh, 10, "batch \(batch): the playing viewer still receives track \(index), \(seedText)")
                XCTAssertEqual(sequenceGaps(packets), 0, "batch \(batch): the playing viewer's track \(index) has no gap, \(seedText)")
            }
            // …and memory stays put.
            rss.append(FuzzCheck.residentBytes())
            if let first = rss.first, let last = rss.last {
                XCTAssertLessThanOrEqual(
                    last - first, Self.rssGrowthBound,
                    "batch \(batch): RSS grew from \(first >> 20) MiB to \(last >> 20) MiB, \(seedText)")
            }
            if batch % 20 == 0 {
                // Progress for the long run (stderr: XCTest's stdout reaches a pipe only at the end).
                FileHandle.standardError.write(Data("LiveFuzzTests: \(done) cases per kind, RSS \(rss.last! >> 20) MiB\n".utf8))
            }
            if failures.count > 20 { break }
        }

        let elapsed = Date().timeIntervalSince(started)
        let series = rss.map { String(format: "%.1f", Double($0) / 1_048_576) }.joined(separator: " ")
        print("""
            LiveFuzzTests: \(done) cases per kind in \(batch) batches, \(String(format: "%.1f", elapsed)) s, \(seedText)
              RTSP: \(stats.rtsp.sent) sent, \(stats.rtsp.answered) answered (\(stats.rtsp.codes.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " ")))
              RTCP: \(stats.rtcp.sent) sent, \(stats.rtcp.answered) still parse as RTCP
              HTTP: \(stats.http.sent) sent, \(stats.http.answered) answered (\(stats.http.codes.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " ")))
              playing viewer: \(playingSeen.map(String.init).joined(separator: " + ")) packets, no gap
              RSS MiB after each batch: \(series) (bound: first + \(Self.rssGrowthBound >> 20) MiB)
            """)
        for failure in failures.prefix(20) {
            XCTFail("\(failure)\n\(seedText)")
        }

        _ = try? await target.teardown()
        await target.close()
        _ = try? await playing.teardown()
        await playing.close()
        try await fixture.stop()
        try await group.shutdownGracefully()
    }

    /// A user (digest), an admin, a token secret and a state directory; `live` needs
    /// credentials (or a token), `open` is readable anonymously; HTTP on 127.0.0.1 port 0.
    static func settings(stateDirectory: URL) throws -> VigilSettings {
        var settings = VigilFixture.smallSettings()
        settings.http = .init(enabled: true, host: "127.0.0.1", port: 0)
        var open = settings.streams[0]
        open.path = "open"
        open.video.frameRate = 10
        open.audio.enabled = false
        settings.streams.append(open)
        // Few PBKDF2 rounds: Basic is on, and fuzzed Basic headers must not be the slow part.
        func credential(_ user: String, _ password: String) throws -> StoredCredential {
            try StoredCredential.make(user: user, password: password, realm: "Vigil", salt: Array("vigil-fuzz-salt!".utf8), iterations: 1000)
        }
        settings.access.users = [
            User(name: "viewer", credential: try credential("viewer", "viewerpw"), grants: [Grant(.read, path: .any)]),
            User(name: "root", credential: try credential("root", "rootpw"), grants: [Grant(.admin, path: .any)]),
        ]
        settings.access.anonymous = [Grant(.read, path: try PathPattern("open"))]
        settings.access.basic = true
        settings.access.tokenSecret = secret
        settings.access.stateDirectory = stateDirectory.path
        return settings
    }

    /// Runs blocking socket work on a thread of its own, off the cooperative pool the server's
    /// access checks and HTTP handlers run on.
    private func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: body()) }.start()
        }
    }
}

/// What came back for one kind of case.
struct FuzzStats {
    var sent = 0
    var answered = 0
    var codes: [Int: Int] = [:]

    mutating func note(_ reply: [UInt8]) {
        sent += 1
        guard !reply.isEmpty else { return }
        answered += 1
        let text = String(decoding: reply.prefix(16), as: UTF8.self)
        if let code = Int(text.dropFirst(9).prefix(3)) { codes[code, default: 0] += 1 }
    }
}

/// The valid messages the mutator starts from.
struct FuzzCorpus {
    let rtsp: [[UInt8]]
    let rtcp: [[UInt8]]
    private let secret: String
    private let token: String

    init(port: Int, token: String, secret: String) {
        self.secret = secret
        self.token = token
        let live = "rtsp://127.0.0.1:\(port)/live"
        let open = "rtsp://127.0.0.1:\(port)/open"
        let nonce = "5f3c0a9d2b7e41a8c6d0e2f4a1b3c5d7"
        // ffmpeg (libavformat/httpauth.c): MD5 with qop, quoted algorithm, nc unquoted.
        let ffmpeg = #"Digest username="viewer", realm="Vigil", nonce="\#(nonce)", uri="\#(live)", response="0123456789abcdef0123456789abcdef", algorithm="MD5", qop="auth", cnonce="6b8b4567327b23c6", nc=00000001"#
        // GStreamer (gst_rtsp_generate_digest_auth_response): RFC 2069, no qop.
        let gstreamer = #"Digest username="viewer", realm="Vigil", nonce="\#(nonce)", uri="\#(live)", response="fedcba9876543210fedcba9876543210""#
        // curl: SHA-256, unquoted algorithm.
        let curl = #"Digest username="root", realm="Vigil", nonce="\#(nonce)", uri="/live", cnonce="NzA3MzQ5", nc=00000001, qop=auth, response="\#(String(repeating: "ab", count: 32))", algorithm=SHA-256"#
        let basic = "Basic " + Data("viewer:viewerpw".utf8).base64EncodedString()
        func request(_ method: String, _ uri: String, _ headers: [(String, String)], body: String = "") -> [UInt8] {
            var text = "\(method) \(uri) RTSP/1.0\r\nCSeq: 2\r\n"
            for (name, value) in headers { text += "\(name): \(value)\r\n" }
            if !body.isEmpty { text += "Content-Length: \(body.utf8.count)\r\n" }
            text += "User-Agent: Lavf60.16.100\r\n\r\n" + body
            return Array(text.utf8)
        }
        rtsp = [
            request("OPTIONS", "*", []),
            request("OPTIONS", live, [("Require", "implicit-play")]),
            request("DESCRIBE", live, [("Accept", "application/sdp")]),
            request("DESCRIBE", live, [("Accept", "application/sdp"), ("Authorization", ffmpeg)]),
            request("DESCRIBE", live, [("Accept", "application/sdp"), ("Authorization", gstreamer)]),
            request("DESCRIBE", live, [("Authorization", curl)]),
            request("DESCRIBE", live, [("Authorization", basic)]),
            request("DESCRIBE", live + "?token=\(token)", [("Accept", "application/sdp")]),
            request("DESCRIBE", live + "?app=live&token=0000AAAA1111BBBB&x=%41", []),
            request("DESCRIBE", open, [("Accept", "application/sdp")]),
            request("SETUP", open + "/trackID=0", [("Transport", "RTP/AVP;unicast;client_port=50000-50001")]),
            request("SETUP", open + "/trackID=0", [("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1")]),
            request("SETUP", open + "/trackID=0", [("Transport", "RTP/AVP/UDP;unicast;client_port=50002-50003;ssrc=1234ABCD;mode=\"PLAY\"")]),
            request("SETUP", open + "/trackID=0", [("Transport", "RTP/AVP;multicast;port=5000-5001;ttl=1")]),
            request("SETUP", live + "/trackID=1?token=\(token)", [("Transport", "RTP/AVP;unicast;client_port=50004-50005"), ("Session", "1A2B3C4D5E6F")]),
            request("SETUP", live + "/trackID=0", [("Transport", "RTP/AVP/TCP;unicast;interleaved=2-3"), ("Authorization", ffmpeg)]),
            request("PLAY", live, [("Session", "1A2B3C4D5E6F"), ("Range", "npt=0.000-")]),
            request("PLAY", open, [("Session", "DEADBEEF;timeout=60"), ("Range", "npt=now-"), ("Scale", "1.0")]),
            request("PAUSE", open, [("Session", "DEADBEEF")]),
            request("TEARDOWN", live, [("Session", "1A2B3C4D5E6F")]),
            request("GET_PARAMETER", live, [("Session", "1A2B3C4D5E6F")]),
            request("GET_PARAMETER", open, [("Session", "DEADBEEF"), ("Content-Type", "text/parameters")], body: "packets_received\r\njitter\r\n"),
            request("SET_PARAMETER", open, [("Content-Type", "text/parameters")], body: "barparam: barstuff\r\n"),
            Array("$\u{01}\u{00}\u{08}\u{80}\u{c9}\u{00}\u{01}\u{12}\u{34}\u{56}\u{78}".utf8) + request("OPTIONS", open, []),
        ]

        // RTCP compounds as viewers send them, written by the project's own writer.
        let media: UInt32 = 0x1234_5678  // not the server's SSRC: reports about an unknown source
        let viewer: UInt32 = 0xCAFE_F00D
        let report = ReceptionReport(
            ssrc: media, fractionLost: 64, cumulativeLost: 7, highestSequence: 1000, jitter: 900,
            lastSenderReport: 0x1234_0000, delaySinceLastSenderReport: 6553)
        let sdes = RTCPPacket.sourceDescription(.cname(ssrc: viewer, "viewer@fuzz"))
        let sr = SenderReport(
            ssrc: viewer, ntp: NTPTimestamp(unixNanoseconds: 1_700_000_000_000_000_000), rtpTimestamp: 90_000,
            packetCount: 10, octetCount: 12_000, reports: [report])
        let compounds: [[RTCPPacket]] = [
            [.receiverReport(ReceiverReport(ssrc: viewer, reports: [report])), sdes],
            [.receiverReport(ReceiverReport(ssrc: viewer, reports: Array(repeating: report, count: 3))), sdes],
            [.receiverReport(ReceiverReport(ssrc: viewer, reports: [])), sdes],
            [.senderReport(sr), sdes],
            [.receiverReport(ReceiverReport(ssrc: viewer, reports: [report])), sdes, FeedbackMessage.genericNACK(sender: viewer, mediaSource: media, lost: [100, 101, 117, 4000]).packet],
            [.receiverReport(ReceiverReport(ssrc: viewer, reports: [])), FeedbackMessage.pictureLossIndication(sender: viewer, mediaSource: media).packet],
            [FeedbackMessage.fullIntraRequest(sender: viewer, requests: [.init(ssrc: media, sequenceNumber: 3)]).packet],
            [.receiverReport(ReceiverReport(ssrc: viewer, reports: [])), sdes, .goodbye(Goodbye(ssrcs: [viewer], reason: "fuzz over"))],
            [.sourceDescription(SourceDescription(chunks: [
                .init(ssrc: viewer, items: [.cname("a@b"), .init(type: 2, text: "name"), .init(type: 6, text: "tool")]),
            ]))],
            [.other(packetType: 204, count: 0, body: ByteBuffer(bytes: [0xCA, 0xFE, 0xF0, 0x0D, 0x41, 0x42, 0x43, 0x44]))],
        ]
        rtcp = compounds.map { packets in
            var buffer = ByteBuffer()
            RTCPCompound.write(packets, into: &buffer)
            return Array(buffer.readableBytesView)
        }
    }

    /// HTTP requests to every route, with UMAS-like queries and Authorization headers.
    func http(port: Int) -> [[UInt8]] {
        let host = "127.0.0.1:\(port)"
        let digest = #"Digest username="root", realm="Vigil", nonce="abcdef0123456789", uri="/api/v1/tokens", response="0123456789abcdef0123456789abcdef", qop=auth, nc=00000001, cnonce="xyz""#
        let basic = "Basic " + Data("root:rootpw".utf8).base64EncodedString()
        let wrongBasic = "Basic " + Data("root:nope".utf8).base64EncodedString()
        func request(_ method: String, _ target: String, _ headers: [(String, String)] = [], body: String = "") -> [UInt8] {
            var text = "\(method) \(target) HTTP/1.1\r\nHost: \(host)\r\nUser-Agent: fuzz/1\r\n"
            for (name, value) in headers { text += "\(name): \(value)\r\n" }
            if !body.isEmpty { text += "Content-Length: \(body.utf8.count)\r\n" }
            return Array((text + "\r\n" + body).utf8)
        }
        return [
            request("GET", "/api/v1/status"),
            request("GET", "/api/v1/status?pretty=1", [("Accept", "application/json")]),
            request("GET", "/metrics", [("Accept", "text/plain;version=0.0.4")]),
            request("HEAD", "/metrics"),
            request("GET", "/gettoken?token=\(secret)&app=live&duration=60&limit=2"),
            request("GET", "/gettoken?token=\(secret)&app=live&duration=60&limit=2&format=json"),
            request("GET", "/gettoken?token=\(secret)&app=open&format=xml"),
            request("GET", "/gettoken?token=not-the-secret&app=live"),
            request("GET", "/gettoken?token=\(secret)&app=a&app=b&duration=-5&limit=abc"),
            request("GET", "/gettoken?token=\(secret)&app=%2F%2F&format=yaml"),
            request("GET", "/gettoken?app=live", [("Authorization", digest)]),
            request("GET", "/gettoken?app=live&duration=30", [("Authorization", wrongBasic)]),
            request("GET", "/api/v1/tokens", [("Authorization", digest)]),
            request("GET", "/api/v1/tokens", [("Authorization", basic)]),
            request("DELETE", "/api/v1/tokens/\(token)", [("Authorization", wrongBasic)]),
            request("DELETE", "/api/v1/tokens/ABCDEFGHIJKLMNOP", [("Authorization", digest)]),
            request("POST", "/api/v1/status", [("Content-Type", "application/json")], body: #"{"a":1}"#),
            Array("POST /metrics HTTP/1.1\r\nHost: \(host)\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n".utf8),
            Array("GET /metrics HTTP/1.0\r\n\r\n".utf8),
            request("GET", "/nothing/here", [("Connection", "close")]),
        ]
    }
}

/// Mutations, all drawn from one seeded generator.
enum FuzzMutator {
    /// A text message: mostly one mutated corpus item, sometimes two or three back to back
    /// on the same connection, sometimes one left as it is.
    static func message(from corpus: [[UInt8]], using random: inout SeededRandom, pipelined: Bool) -> [UInt8] {
        var result: [UInt8] = []
        let parts = pipelined && random.next() % 8 == 0 ? 2 + Int(random.next() % 2) : 1
        for _ in 0..<parts {
            let item = corpus[Int(random.next() % UInt64(corpus.count))]
            result += random.next() % 10 == 0 ? item : mutateText(item, corpus: corpus, using: &random)
        }
        return result
    }

    static func datagram(from corpus: [[UInt8]], using random: inout SeededRandom) -> [UInt8] {
        let item = corpus[Int(random.next() % UInt64(corpus.count))]
        return random.next() % 10 == 0 ? item : mutateBinary(item, corpus: corpus, using: &random)
    }

    private static func index(_ bytes: [UInt8], _ random: inout SeededRandom, inclusive: Bool = false) -> Int {
        let count = bytes.count + (inclusive ? 1 : 0)
        return count == 0 ? 0 : Int(random.next() % UInt64(count))
    }

    private static let hugeValues: [String] = [
        String(repeating: "A", count: 9000), String(repeating: "9", count: 40), "-1", "0", "4294967296",
        "18446744073709551616", "-9223372036854775809", String(repeating: "%", count: 3000),
        String(repeating: ";", count: 500), String(repeating: ",", count: 2000), "\u{00}", "\u{7F}\u{FF}",
        String(repeating: "a=b&", count: 1500), String(repeating: "x", count: 70_000),
    ]
    private static let escapes = ["%", "%0", "%zz", "%00", "%2F", "%25", "%C0%AF", "%FF", "%0D%0A", "%2e%2e/", "+", "%u0041"]
    private static let crlfGames = ["\r\n", "\n", "\r", "\r\n\r\n", " \r\n ", "\r\r\n", "\n\r", "\r\n\t"]

    static func mutateText(_ input: [UInt8], corpus: [[UInt8]], using random: inout SeededRandom) -> [UInt8] {
        var bytes = input
        for _ in 0..<(1 + Int(random.next() % 3)) {
            switch random.next() % 12 {
            case 0:  // bit flip
                guard !bytes.isEmpty else { continue }
                bytes[index(bytes, &random)] ^= 1 << UInt8(random.next() % 8)
            case 1:  // insert random bytes
                let insert = (0..<(1 + random.next() % 8)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                bytes.insert(contentsOf: insert, at: index(bytes, &random, inclusive: true))
            case 2:  // delete a range
                guard !bytes.isEmpty else { continue }
                let start = index(bytes, &random)
                bytes.removeSubrange(start..<min(bytes.count, start + 1 + Int(random.next() % 16)))
            case 3:  // splice with another corpus item
                let other = corpus[Int(random.next() % UInt64(corpus.count))]
                bytes = Array(bytes.prefix(index(bytes, &random, inclusive: true))) + other.suffix(from: index(other, &random))
            case 4:  // truncate
                bytes = Array(bytes.prefix(index(bytes, &random)))
            case 5:  // duplicate a header line
                var lines = split(bytes)
                guard lines.count > 2 else { continue }
                let line = 1 + Int(random.next() % UInt64(lines.count - 2))
                lines.insert(lines[line], at: line)
                bytes = join(lines)
            case 6:  // a huge or boundary value after a ':', '=', ' ' or '/'
                let value = Array(hugeValues[Int(random.next() % UInt64(hugeValues.count))].utf8)
                let marks = bytes.indices.filter { [0x3A, 0x3D, 0x20, 0x2F].contains(bytes[$0]) }
                guard let mark = marks.isEmpty ? nil : marks[Int(random.next() % UInt64(marks.count))] else { continue }
                // Replace what follows up to the next separator.
                var end = mark + 1
                while end < bytes.count, ![0x0D, 0x0A, 0x3B, 0x2C, 0x26, 0x20].contains(bytes[end]) { end += 1 }
                bytes.replaceSubrange((mark + 1)..<end, with: value)
            case 7:  // CRLF games: replace a line end, or add one
                let game = Array(crlfGames[Int(random.next() % UInt64(crlfGames.count))].utf8)
                let ends = bytes.indices.filter { bytes[$0] == 0x0D }
                if !ends.isEmpty, random.next() % 2 == 0 {
                    let at = ends[Int(random.next() % UInt64(ends.count))]
                    bytes.replaceSubrange(at..<min(bytes.count, at + 2), with: game)
                } else {
                    bytes.insert(contentsOf: game, at: index(bytes, &random, inclusive: true))
                }
            case 8:  // percent escapes
                bytes.insert(contentsOf: Array(escapes[Int(random.next() % UInt64(escapes.count))].utf8), at: index(bytes, &random, inclusive: true))
            case 9:  // a digit run becomes a boundary number
                let digits = bytes.indices.filter { (0x30...0x39).contains(bytes[$0]) }
                guard !digits.isEmpty else { continue }
                var start = digits[Int(random.next() % UInt64(digits.count))]
                while start > 0, (0x30...0x39).contains(bytes[start - 1]) { start -= 1 }
                var end = start
                while end < bytes.count, (0x30...0x39).contains(bytes[end]) { end += 1 }
                let numbers = ["0", "-1", "65535", "65536", "2147483648", "4294967295", "99999999999999999999", "1e9", "0x10"]
                bytes.replaceSubrange(start..<end, with: Array(numbers[Int(random.next() % UInt64(numbers.count))].utf8))
            case 10:  // drop a header line
                var lines = split(bytes)
                guard lines.count > 2 else { continue }
                lines.remove(at: 1 + Int(random.next() % UInt64(lines.count - 2)))
                bytes = join(lines)
            default:  // a byte set to an interesting value
                guard !bytes.isEmpty else { continue }
                let values: [UInt8] = [0x00, 0x0A, 0x0D, 0x20, 0x22, 0x24, 0x25, 0x2C, 0x3A, 0x3B, 0x3D, 0x3F, 0x7F, 0x80, 0xFF]
                bytes[index(bytes, &random)] = values[Int(random.next() % UInt64(values.count))]
            }
        }
        return bytes
    }

    static func mutateBinary(_ input: [UInt8], corpus: [[UInt8]], using random: inout SeededRandom) -> [UInt8] {
        var bytes = input
        for _ in 0..<(1 + Int(random.next() % 3)) {
            switch random.next() % 9 {
            case 0:  // bit flip
                guard !bytes.isEmpty else { continue }
                bytes[index(bytes, &random)] ^= 1 << UInt8(random.next() % 8)
            case 1:  // a packet's length field (each packet's header, at 32-bit boundaries)
                guard bytes.count >= 4 else { continue }
                let at = 4 * Int(random.next() % UInt64(bytes.count / 4)) + 2
                guard at + 1 < bytes.count else { continue }
                let values: [UInt16] = [0, 1, 0xFFFF, 0x7FFF, UInt16(bytes.count / 4), UInt16(truncatingIfNeeded: random.next())]
                let value = values[Int(random.next() % UInt64(values.count))]
                bytes[at] = UInt8(value >> 8)
                bytes[at + 1] = UInt8(value & 0xFF)
            case 2:  // the count (or FMT) and padding bits of a header, version kept at 2
                guard bytes.count >= 4 else { continue }
                let at = 4 * Int(random.next() % UInt64(bytes.count / 4))
                bytes[at] = 0x80 | UInt8(truncatingIfNeeded: random.next() & 0x3F)
            case 3:  // the packet type
                guard bytes.count >= 4 else { continue }
                let types: [UInt8] = [200, 201, 202, 203, 204, 205, 206, 207, 0, 255, 72, 192]
                bytes[4 * Int(random.next() % UInt64(bytes.count / 4)) + 1] = types[Int(random.next() % UInt64(types.count))]
            case 4:  // truncate, often off a 32-bit boundary
                bytes = Array(bytes.prefix(index(bytes, &random)))
            case 5:  // splice or concatenate with another compound
                let other = corpus[Int(random.next() % UInt64(corpus.count))]
                bytes = random.next() % 2 == 0 ? bytes + other : Array(bytes.prefix(index(bytes, &random, inclusive: true))) + other.suffix(from: index(other, &random))
            case 6:  // insert or delete bytes
                if random.next() % 2 == 0 || bytes.isEmpty {
                    bytes.insert(contentsOf: (0..<(1 + random.next() % 8)).map { _ in UInt8(truncatingIfNeeded: random.next()) }, at: index(bytes, &random, inclusive: true))
                } else {
                    let start = index(bytes, &random)
                    bytes.removeSubrange(start..<min(bytes.count, start + 1 + Int(random.next() % 8)))
                }
            case 7:  // a 32-bit word to a boundary value
                guard bytes.count >= 4 else { continue }
                let at = 4 * Int(random.next() % UInt64(bytes.count / 4))
                let word: [UInt8] = random.next() % 2 == 0 ? [0xFF, 0xFF, 0xFF, 0xFF] : [0, 0, 0, 0]
                bytes.replaceSubrange(at..<(at + 4), with: word)
            default:  // huge: the compound repeated up to the UDP maximum
                let times = 1 + Int(random.next() % UInt64(max(1, 65_000 / max(1, bytes.count))))
                bytes = Array([[UInt8]](repeating: bytes, count: min(times, 60)).joined())
            }
        }
        return Array(bytes.prefix(65_000))
    }

    private static func split(_ bytes: [UInt8]) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var current: [UInt8] = []
        for byte in bytes {
            current.append(byte)
            if byte == 0x0A {
                lines.append(current)
                current = []
            }
        }
        lines.append(current)
        return lines
    }

    private static func join(_ lines: [[UInt8]]) -> [UInt8] { Array(lines.joined()) }
}

/// What is asserted about an answer, and the process's memory.
enum FuzzCheck {
    /// nil when `reply` is empty or starts with a well-formed status line of one of
    /// `protocols` with a 2xx, 4xx or 5xx code; else what is wrong. A reply cut short before
    /// its status line ended is checked as far as it goes.
    static func statusLine(_ reply: [UInt8], protocols: [String]) -> String? {
        guard !reply.isEmpty else { return nil }
        let head = String(decoding: reply.prefix(13), as: UTF8.self)
        for name in protocols {
            let prefix = name + " "
            if reply.count < prefix.utf8.count + 4 {
                if prefix.hasPrefix(head) || head.hasPrefix(prefix) { return nil }
                continue
            }
            guard head.hasPrefix(prefix) else { continue }
            let rest = Array(reply.dropFirst(prefix.utf8.count).prefix(4))
            guard rest.prefix(3).allSatisfy({ (0x30...0x39).contains($0) }), rest[3] == 0x20 else {
                return "malformed status code"
            }
            let code = Int(String(decoding: rest.prefix(3), as: UTF8.self))!
            guard (200..<300).contains(code) || (400..<600).contains(code) else { return "status \(code)" }
            return nil
        }
        return "no \(protocols.joined(separator: " or ")) status line"
    }

    /// At most 300 bytes, escaped.
    static func show(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes.prefix(300), as: UTF8.self)
        return text.debugDescription + (bytes.count > 300 ? " … (\(bytes.count) bytes)" : "")
    }

    /// VmRSS of this process (which hosts Vigil), in bytes.
    static func residentBytes() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }
}

/// Plain POSIX sockets bound to a chosen loopback source address, for the fuzz traffic.
enum FuzzSocket {
    /// Connections open at once: under the RTSP listener's 32 per address and the HTTP API's
    /// 32 in all, so no case waits in a backlog.
    static let concurrent = 16
    /// How long the answers of one group of connections are waited for, after the last send.
    static let answerWait = 40

    static func address(_ host: String, _ port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        return address
    }

    private static func bind(_ fd: Int32, to host: String) -> Bool {
        var local = address(host, 0)
        return withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    /// A UDP socket bound to `source` on a free port, or -1.
    static func udp(from source: String) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0, bind(fd, to: source) else {
            if fd >= 0 { close(fd) }
            return -1
        }
        return fd
    }

    static func send(_ bytes: [UInt8], on fd: Int32, to port: Int) {
        var remote = address("127.0.0.1", port)
        _ = bytes.withUnsafeBytes { raw in
            withUnsafePointer(to: &remote) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, raw.baseAddress, raw.count, Int32(MSG_DONTWAIT), $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }

    /// A TCP connection from `source` to 127.0.0.1:`port`, or -1. Connecting waits at most 1 s.
    static func tcp(from source: String, to port: Int) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return -1 }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var remote = address("127.0.0.1", port)
        let connected = bind(fd, to: source) && withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
        guard connected else {
            close(fd)
            return -1
        }
        return fd
    }

    /// Sends each case on a connection of its own, `concurrent` connections at a time, and
    /// returns the start of what came back on each (empty: nothing within `answerWait` ms, or
    /// closed without a word). Reading stops at the end of the first line.
    static func exchange(_ cases: [[UInt8]], port: Int, from source: String) -> [[UInt8]] {
        var replies: [[UInt8]] = []
        var start = 0
        while start < cases.count {
            let chunk = cases[start..<min(cases.count, start + concurrent)]
            start += chunk.count
            var sockets: [Int32] = []
            for bytes in chunk {
                let fd = tcp(from: source, to: port)
                if fd >= 0 {
                    // Whatever fits now: a case larger than the socket buffer is cut there, which
                    // is one more way for a request to end early.
                    _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
                }
                sockets.append(fd)
            }
            var received = sockets.map { _ in [UInt8]() }
            var open = sockets.map { $0 >= 0 }
            let deadline = Date(timeIntervalSinceNow: Double(answerWait) / 1000)
            var buffer = [UInt8](repeating: 0, count: 4096)
            while open.contains(true) {
                let left = Int32(deadline.timeIntervalSinceNow * 1000)
                guard left > 0 else { break }
                var polls = sockets.indices.filter { open[$0] }.map { pollfd(fd: sockets[$0], events: Int16(POLLIN), revents: 0) }
                let ready = poll(&polls, nfds_t(polls.count), left)
                guard ready > 0 else { break }
                for entry in polls where entry.revents != 0 {
                    let i = sockets.firstIndex(of: entry.fd)!
                    let count = buffer.withUnsafeMutableBytes { recv(entry.fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                    if count > 0 {
                        received[i] += buffer[..<count]
                        if received[i].contains(0x0A) || received[i].count >= 512 { open[i] = false }
                    } else if count == 0 || errno != EAGAIN {
                        open[i] = false
                    }
                }
            }
            for fd in sockets where fd >= 0 { close(fd) }
            replies += received.map { Array($0.prefix(512)) }
        }
        return replies
    }
}
