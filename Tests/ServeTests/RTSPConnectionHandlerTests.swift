import Foundation
import Logging
import MediaCore
import NIOCore
import NIOEmbedded
import ServeWire
import XCTest

@testable import Serve

/// `RTSPConnectionHandler` without a socket: the listener's own pipeline
/// (`configureRTSPServerPipeline`) on an `EmbeddedChannel`, request bytes in, and everything
/// the server writes read back with `RTSPResponseParser`. Expected values come from RFC 2326
/// and from the stream's configuration, never from a run of the handler.
final class RTSPConnectionHandlerTests: XCTestCase {
    let loop = EmbeddedEventLoop()
    let epoch = MediaInstant(nanoseconds: 1_000_000_000)
    /// The address the viewer dialled (the channel's local address), as it appears in URLs.
    static let origin = "rtsp://192.0.2.10:8554"

    // MARK: - The session, step by step

    /// RFC 2326 §10.1: the Public header lists every method the server answers.
    func testOptionsListsTheMethodsInPublic() throws {
        let (viewer, _) = try connect()
        let options = try viewer.response(to: Self.request("OPTIONS \(Self.origin)/live RTSP/1.0", "CSeq: 1"))
        XCTAssertEqual(options.status.code, 200)
        XCTAssertEqual(options.headers["CSeq"], "1", "§12.17: the response echoes the request's CSeq")
        let methods = try XCTUnwrap(options.headers["Public"]).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        XCTAssertEqual(
            Set(methods), ["OPTIONS", "DESCRIBE", "SETUP", "PLAY", "PAUSE", "TEARDOWN", "GET_PARAMETER", "SET_PARAMETER"])
        XCTAssertEqual(methods.count, Set(methods).count, "each method once")
        XCTAssertTrue(try viewer.channel.finish().isClean)
    }

    /// RFC 2326 §10.2 and Appendix C: an SDP body of exactly Content-Length bytes, one media
    /// section per track with its control URL, resolved against Content-Base.
    func testDescribeAnswersWithTheSessionDescription() throws {
        let (viewer, _) = try connect()
        try viewer.send(Self.request("DESCRIBE \(Self.origin)/live RTSP/1.0", "CSeq: 2", "Accept: application/sdp"))
        // Checked on the raw text, so a wrong Content-Length cannot hide behind a parser that trusts it.
        let raw = try viewer.receivedText()
        let headAndBody = raw.components(separatedBy: "\r\n\r\n")
        XCTAssertEqual(headAndBody.count, 2, "one head, one body: \(raw)")
        let head = headAndBody[0].components(separatedBy: "\r\n")
        let body = headAndBody.dropFirst().joined(separator: "\r\n\r\n")
        XCTAssertEqual(head.first, "RTSP/1.0 200 OK")
        XCTAssertTrue(head.contains("CSeq: 2"))
        XCTAssertTrue(head.contains("Content-Type: application/sdp"))
        XCTAssertTrue(head.contains("Content-Base: \(Self.origin)/live/"))
        XCTAssertTrue(head.contains("Content-Length: \(body.utf8.count)"), "Content-Length is the body's length: \(head)")

        let sdp = try SessionDescription.parse(body)
        XCTAssertEqual(sdp.media.map(\.media), ["video", "audio"])
        XCTAssertEqual(sdp.media[0].formats, ["96"])
        XCTAssertEqual(sdp.media[0].rtpmap(for: "96"), "H264/90000")
        XCTAssertEqual(sdp.media[1].formats, ["0"])
        XCTAssertEqual(sdp.media[1].rtpmap(for: "0"), "PCMU/8000")
        XCTAssertEqual(sdp.media.map { $0.attribute("control") }, ["trackID=0", "trackID=1"])
        XCTAssertTrue(body.contains("a=control:*"), "the Content-Base is the aggregate control URL")
        XCTAssertTrue(try viewer.channel.finish().isClean)
    }

    /// RFC 2326 §10.4–10.7 and §10.12 over one connection: SETUP of both tracks interleaved,
    /// PLAY, media as `$` frames on the channels SETUP agreed, TEARDOWN, then silence.
    func testInterleavedSessionFromSetupToTeardown() throws {
        let (viewer, hub) = try connect()

        // SETUP video on the interleaved channels the client asks for.
        let video = try viewer.response(to: Self.request(
            "SETUP \(Self.origin)/live/trackID=0 RTSP/1.0", "CSeq: 3", "Transport: RTP/AVP/TCP;unicast;interleaved=0-1"))
        XCTAssertEqual(video.status.code, 200)
        XCTAssertEqual(video.headers["CSeq"], "3")
        // Session = session-id [ ";" "timeout" "=" delta-seconds ] (§12.37)
        let sessionHeader = try XCTUnwrap(video.headers["Session"])
        let sessionParts = sessionHeader.split(separator: ";").map(String.init)
        let session = try XCTUnwrap(sessionParts.first)
        XCTAssertFalse(session.isEmpty)
        XCTAssertEqual(sessionParts.dropFirst(), ["timeout=60"], "the configured session timeout")
        let videoTransport = try XCTUnwrap(TransportHeader.parse(XCTUnwrap(video.headers["Transport"])).first)
        XCTAssertEqual(videoTransport.lowerTransport, .tcp)
        XCTAssertFalse(videoTransport.isMulticast)
        XCTAssertEqual(videoTransport.interleaved, 0...1, "the channels the client asked for")
        XCTAssertEqual(videoTransport.ssrc, 0x1111_1111, "the video track's SSRC")

        // SETUP audio into the same session (§10.4: Session names the session to add to).
        let audio = try viewer.response(to: Self.request(
            "SETUP \(Self.origin)/live/trackID=1 RTSP/1.0", "CSeq: 4", "Session: \(session)",
            "Transport: RTP/AVP/TCP;unicast;interleaved=2-3"))
        XCTAssertEqual(audio.status.code, 200)
        XCTAssertEqual(audio.headers["Session"]?.split(separator: ";").first.map(String.init), session)
        let audioTransport = try XCTUnwrap(TransportHeader.parse(XCTUnwrap(audio.headers["Transport"])).first)
        XCTAssertEqual(audioTransport.interleaved, 2...3)
        XCTAssertEqual(audioTransport.ssrc, 0x2222_2222)

        // PLAY the aggregate URL: answered at once (no encoder to wait for), naming for each
        // track the first packet the viewer will get (§12.33). Nothing goes out before it.
        let play = try viewer.response(to: Self.request(
            "PLAY \(Self.origin)/live/ RTSP/1.0", "CSeq: 5", "Session: \(session)", "Range: npt=0.000-"))
        XCTAssertEqual(play.status.code, 200)
        XCTAssertEqual(play.headers["CSeq"], "5")
        XCTAssertEqual(
            play.headers["RTP-Info"],
            "url=\(Self.origin)/live/trackID=0;seq=100,url=\(Self.origin)/live/trackID=1;seq=500",
            "the configured first sequence numbers; no rtptime before anything was sent")

        // Just after the response, a sender report per track on its RTCP channel.
        loop.run()
        let reports = try viewer.received().map(Self.interleaved)
        let reporters = try Dictionary(uniqueKeysWithValues: reports.map { ($0.channel, try Self.senderReportSSRC($0.payload)) })
        XCTAssertEqual(reporters, [1: 0x1111_1111, 3: 0x2222_2222], "RTCP channel → SSRC of the sender report")

        // Units handed to the hub reach the viewer as `$` frames on the RTP channels.
        hub.deliver(videoUnit(key: true, at: 0), track: 0)
        hub.deliver(audioUnit(at: 0), track: 1)
        // The audio waits for the connection's next flush, for at most the hold.
        loop.advanceTime(by: hub.interleavedAudioHold)
        let media = try viewer.received().map(Self.interleaved)
        XCTAssertEqual(media.map(\.channel), [0, 0, 0, 0, 2], "SPS+PPS STAP-A and three FU-A fragments, then one G.711 packet")
        let packets = try media.map { try RTPPacket(parsing: $0.payload) }
        XCTAssertEqual(packets.map(\.header.sequenceNumber), [100, 101, 102, 103, 500], "starting where RTP-Info said")
        XCTAssertEqual(packets.map(\.header.ssrc), [0x1111_1111, 0x1111_1111, 0x1111_1111, 0x1111_1111, 0x2222_2222])
        XCTAssertEqual(packets[0].header.timestamp, 1000, "the video timestamp offset at the epoch")
        XCTAssertEqual(packets[4].header.timestamp, 7, "the audio timestamp offset at the epoch")

        // TEARDOWN: RTCP BYE on each RTCP channel (RFC 3550 §6.6), then 200.
        try viewer.send(Self.request("TEARDOWN \(Self.origin)/live/ RTSP/1.0", "CSeq: 6", "Session: \(session)"))
        let teardown = try viewer.received()
        guard case .response(let answer) = teardown.last else { return XCTFail("TEARDOWN answered last: \(teardown)") }
        XCTAssertEqual(answer.status.code, 200)
        XCTAssertEqual(answer.headers["CSeq"], "6")
        let goodbyes = try teardown.dropLast().map(Self.interleaved)
        XCTAssertEqual(goodbyes.map(\.channel).sorted(), [1, 3])
        for frame in goodbyes {
            guard case .goodbye = try RTCPCompound.parse(frame.payload).last else { return XCTFail("BYE ends the compound") }
        }

        // After TEARDOWN the stream goes on without this viewer.
        hub.deliver(videoUnit(key: true, at: 1), track: 0)
        hub.deliver(audioUnit(at: 1), track: 1)
        loop.run()
        XCTAssertEqual(try viewer.received(), [], "no media after TEARDOWN")
        XCTAssertEqual(hub.viewerCount, 0)
        XCTAssertTrue(try viewer.channel.finish().isClean)
    }

    /// RFC 2326 §10.12: RTCP the viewer interleaves on the connection reaches the track it set
    /// up on that channel; a frame on a channel nobody set up is dropped.
    func testInterleavedRTCPFromTheViewerReachesItsTrack() throws {
        let (viewer, hub) = try connect()
        _ = try playVideo(on: viewer)
        loop.run()
        _ = try viewer.received()  // the sender report

        let receiverReport: [UInt8] = [
            0x81, 0xC9, 0x00, 0x07,  // V=2, P=0, RC=1; PT=201 (RR); length 7 (32 bytes)
            0x00, 0x00, 0x51, 0x50,  // SSRC of the viewer
            0x11, 0x11, 0x11, 0x11,  // report block about SSRC 0x11111111 (the video track)
            0x02, 0x00, 0x00, 0x03,  // fraction lost 2/256; cumulative lost 3
            0x00, 0x00, 0x00, 0x64,  // extended highest sequence number 100
            0x00, 0x00, 0x00, 0x10,  // interarrival jitter 16
            0x00, 0x00, 0x00, 0x00,  // LSR: no sender report yet
            0x00, 0x00, 0x00, 0x00,  // DLSR
        ]
        try viewer.send(Self.frame(channel: 1, receiverReport))
        try viewer.send(Self.frame(channel: 9, receiverReport))
        let statistics = try XCTUnwrap(hub.tracks[0].outputs.first).statistics
        XCTAssertEqual(statistics.receiverReports, 1, "the channel-1 report counted once, the channel-9 one dropped")
        XCTAssertEqual(statistics.cumulativeLost, 3)
        XCTAssertEqual(statistics.jitter, 16)
        XCTAssertEqual(try viewer.received(), [], "RTCP is not answered")
        // The viewer goes away without TEARDOWN: its session ends with RTCP BYE (RFC 3550 §6.6).
        XCTAssertEqual(try viewer.hangUp().map { try Self.interleaved($0).channel }, [1])
        XCTAssertEqual(hub.viewerCount, 0)
    }

    /// With an encoder to ask, PLAY waits for its key frame so that RTP-Info names the packet
    /// that starts a decodable picture; a request behind it waits too, so answers stay in
    /// request order (RFC 2326 §12.17), and both go out before the first media packet.
    func testPlayWaitsForAKeyFrameAndRequestsBehindItWait() throws {
        let keyFrameRequests = Counter()
        let (viewer, hub) = try connect(encoder: LiveStream.EncoderControl(requestKeyFrame: { keyFrameRequests.increment() }))
        hub.deliver(videoUnit(key: true, at: 0), track: 0)  // before anyone plays: 100…103
        let session = try setupVideo(on: viewer)

        try viewer.send(
            Self.request("PLAY \(Self.origin)/live/ RTSP/1.0", "CSeq: 5", "Session: \(session)")
                + Self.request("GET_PARAMETER \(Self.origin)/live/ RTSP/1.0", "CSeq: 6", "Session: \(session)"))
        XCTAssertEqual(keyFrameRequests.value, 1, "the encoder is asked for a key frame at once")
        XCTAssertEqual(try viewer.received(), [], "PLAY waits for the key frame; GET_PARAMETER waits behind it")

        hub.deliver(videoUnit(key: false, at: 1), track: 0)  // 104…106
        XCTAssertEqual(try viewer.received(), [], "a picture that is not a key frame does not start the viewer")

        hub.deliver(videoUnit(key: true, at: 2), track: 0)  // 107…110
        let answered = try viewer.received()
        XCTAssertEqual(answered.count, 6, "two responses, then the key frame's four packets: \(answered)")
        guard answered.count == 6, case .response(let play) = answered[0], case .response(let keepAlive) = answered[1] else {
            return XCTFail("responses first: \(answered)")
        }
        XCTAssertEqual(play.status.code, 200)
        XCTAssertEqual(play.headers["CSeq"], "5")
        XCTAssertEqual(
            play.headers["RTP-Info"], "url=\(Self.origin)/live/trackID=0;seq=107;rtptime=\(1000 + 2 * 3000)",
            "the key frame's first packet: after 2 × 3 packets; offset + 2/30 s at 90 kHz")
        XCTAssertEqual(keepAlive.status.code, 200)
        XCTAssertEqual(keepAlive.headers["CSeq"], "6")
        let first = try RTPPacket(parsing: Self.interleaved(answered[2]).payload)
        XCTAssertEqual(first.header.sequenceNumber, 107, "the viewer's first packet is the one RTP-Info named")
        XCTAssertEqual(first.header.timestamp, 7000)
        loop.run()
        XCTAssertEqual(try viewer.received().map { try Self.interleaved($0).channel }, [1], "then the sender report")
        // The viewer goes away without TEARDOWN: its session ends with RTCP BYE (RFC 3550 §6.6).
        XCTAssertEqual(try viewer.hangUp().map { try Self.interleaved($0).channel }, [1])
        XCTAssertEqual(hub.viewerCount, 0)
    }

    /// A PLAY whose key frame never comes is answered after the hub's wait limit, without an
    /// rtptime it cannot know; the viewer then starts at the next key frame.
    func testPlayIsAnsweredAfterTheKeyFrameWaitLimit() throws {
        let (viewer, hub) = try connect(encoder: LiveStream.EncoderControl(requestKeyFrame: {}))
        let session = try setupVideo(on: viewer)
        try viewer.send(Self.request("PLAY \(Self.origin)/live/ RTSP/1.0", "CSeq: 5", "Session: \(session)"))
        loop.advanceTime(by: hub.keyFrameWaitLimit - .milliseconds(1))
        XCTAssertEqual(try viewer.received(), [])
        loop.advanceTime(by: .milliseconds(1))
        let answered = try viewer.received()
        guard case .response(let play) = answered.first else { return XCTFail("PLAY answered first: \(answered)") }
        XCTAssertEqual(play.status.code, 200)
        XCTAssertEqual(play.headers["RTP-Info"], "url=\(Self.origin)/live/trackID=0;seq=100")
        XCTAssertEqual(try answered.dropFirst().map { try Self.interleaved($0).channel }, [1], "then the sender report")
        hub.deliver(videoUnit(key: false, at: 0), track: 0)
        XCTAssertEqual(try viewer.received(), [], "no broken picture first")
        hub.deliver(videoUnit(key: true, at: 1), track: 0)
        XCTAssertEqual(try viewer.received().count, 4)
        // The viewer goes away without TEARDOWN: its session ends with RTCP BYE (RFC 3550 §6.6).
        XCTAssertEqual(try viewer.hangUp().map { try Self.interleaved($0).channel }, [1])
        XCTAssertEqual(hub.viewerCount, 0)
    }

    // MARK: - Refusals

    /// Each refusal with the status RFC 2326 gives it; the connection stays usable after it.
    /// `{session}` stands for the session that the `before` requests set up.
    static let refusals: [(name: String, before: [String], request: String, status: Int)] = [
        (
            "§7.1.1 404: DESCRIBE of a path no stream serves", [],
            request("DESCRIBE \(origin)/nothing RTSP/1.0", "CSeq: 2"), 404
        ),
        (
            "§7.1.1 404: SETUP of a track the stream does not have", [],
            request("SETUP \(origin)/live/trackID=7 RTSP/1.0", "CSeq: 3", "Transport: RTP/AVP/TCP;unicast;interleaved=0-1"), 404
        ),
        (
            "§11.3.5 454: PLAY without SETUP (no Session: the identifier is missing)", [],
            request("PLAY \(origin)/live/ RTSP/1.0", "CSeq: 5"), 454
        ),
        (
            "§11.3.5 454: PLAY with a Session the server never gave", [setupVideoRequest],
            request("PLAY \(origin)/live/ RTSP/1.0", "CSeq: 5", "Session: 0BADC0FFEE"), 454
        ),
        (
            "§11.3.5 454: PLAY after TEARDOWN ended the session",
            [setupVideoRequest, request("TEARDOWN \(origin)/live/ RTSP/1.0", "CSeq: 4", "Session: {session}")],
            request("PLAY \(origin)/live/ RTSP/1.0", "CSeq: 5", "Session: {session}"), 454
        ),
        (
            "§11.3.6, Appendix A.2 455: PAUSE in Ready (set up, never played)", [setupVideoRequest],
            request("PAUSE \(origin)/live/ RTSP/1.0", "CSeq: 5", "Session: {session}"), 455
        ),
        (
            "§11.3.10 459: SETUP of the aggregate URL of a two-track stream", [],
            request("SETUP \(origin)/live RTSP/1.0", "CSeq: 3", "Transport: RTP/AVP/TCP;unicast;interleaved=0-1"), 459
        ),
        (
            "§11.3.11 460: PLAY of one track of a two-track session",
            [
                setupVideoRequest,
                request(
                    "SETUP \(origin)/live/trackID=1 RTSP/1.0", "CSeq: 4", "Session: {session}",
                    "Transport: RTP/AVP/TCP;unicast;interleaved=2-3"),
            ],
            request("PLAY \(origin)/live/trackID=0 RTSP/1.0", "CSeq: 5", "Session: {session}"), 460
        ),
        (
            "§11.3.12 461: SETUP with a transport that is not RTP (curl test 570's RAW/RAW/UDP)", [],
            request("SETUP \(origin)/live/trackID=0 RTSP/1.0", "CSeq: 3", "Transport: RAW/RAW/UDP;unicast;client_port=3056-3057"), 461
        ),
        (
            "§11.3.12 461: SETUP with an RTP profile the server does not speak (SRTP)", [],
            request("SETUP \(origin)/live/trackID=0 RTSP/1.0", "CSeq: 3", "Transport: RTP/SAVP/TCP;unicast;interleaved=0-1"), 461
        ),
        (
            "§12.17 400: a request without CSeq", [],
            request("OPTIONS \(origin)/live RTSP/1.0"), 400
        ),
        (
            "§11.3.1 405: RECORD on a live stream", [],
            request("RECORD \(origin)/live RTSP/1.0", "CSeq: 7"), 405
        ),
        (
            "§7.1.1 (RFC 2068 §10.5.2) 501: a method the server does not know", [],
            request("FLY \(origin)/live RTSP/1.0", "CSeq: 8"), 501
        ),
    ]

    func testRefusalsCarryTheStatusOfRFC2326() throws {
        for refusal in Self.refusals {
            let (viewer, _) = try connect()
            var session = ""
            for before in refusal.before {
                // Only the answer matters here (a TEARDOWN also sends RTCP BYE).
                try viewer.send(before.replacingOccurrences(of: "{session}", with: session))
                let answers = try viewer.received().compactMap { message -> RTSPResponse? in
                    if case .response(let response) = message { return response }
                    return nil
                }
                guard answers.count == 1, let answer = answers.first else { return XCTFail("\(refusal.name): \(before)") }
                XCTAssertEqual(answer.status.code, 200, "\(refusal.name): \(before)")
                if let header = answer.headers["Session"] { session = String(header.prefix { $0 != ";" }) }
            }
            let request = refusal.request.replacingOccurrences(of: "{session}", with: session)
            let answer = try viewer.response(to: request)
            XCTAssertEqual(answer.status.code, refusal.status, refusal.name)
            XCTAssertEqual(answer.status.reason, RTSPStatus(code: refusal.status).reason, refusal.name)
            XCTAssertEqual(answer.headers["CSeq"], try Self.cseq(of: request), "\(refusal.name): CSeq echoed when there is one")
            switch refusal.status {
            case 405: XCTAssertNotNil(answer.headers["Allow"], "\(refusal.name): §11.3.1 MUST include Allow")
            case 501: XCTAssertNotNil(answer.headers["Public"], "\(refusal.name): what the server does implement")
            default: break
            }
            let options = try viewer.response(to: Self.request("OPTIONS * RTSP/1.0", "CSeq: 99"))
            XCTAssertEqual(options.status.code, 200, "\(refusal.name): the connection still answers")
            XCTAssertFalse(try viewer.hangUp().contains(where: Self.isResponse), "\(refusal.name): nothing answered twice")
        }
    }

    /// Bytes that are not an RTSP request: the answer, then the connection closes, because the
    /// stream cannot be trusted past them (§4: the framing is lost).
    static let malformed: [(name: String, bytes: String, status: Int)] = [
        ("§6.1 400: a request line without a version", "DESCRIBE \(origin)/live\r\nCSeq: 2\r\n\r\n", 400),
        ("§6.1 400: garbage where a request line goes", "\u{1}\u{2}\u{3} hello\r\n\r\n", 400),
        ("§4.2 400: a header line without a colon", "OPTIONS * RTSP/1.0\r\nCSeq 1\r\n\r\n", 400),
        ("§7.1.1 505: a version the server does not speak", "OPTIONS * RTSP/2.0\r\nCSeq: 1\r\n\r\n", 505),
    ]

    func testMalformedRequestsAreAnsweredAndTheConnectionCloses() throws {
        for malformed in Self.malformed {
            let (viewer, _) = try connect()
            let answer = try viewer.response(to: malformed.bytes)
            XCTAssertEqual(answer.status.code, malformed.status, malformed.name)
            XCTAssertEqual(answer.headers["Connection"], "close", malformed.name)
            XCTAssertFalse(viewer.channel.isActive, "\(malformed.name): closed")
            XCTAssertTrue(try viewer.channel.finish(acceptAlreadyClosed: true).isClean, malformed.name)
        }
    }

    // MARK: - Fixture

    static let setupVideoRequest = request(
        "SETUP \(origin)/live/trackID=0 RTSP/1.0", "CSeq: 3", "Transport: RTP/AVP/TCP;unicast;interleaved=0-1")

    /// A request as a client writes it: the lines joined by CRLF, then the blank line.
    static func request(_ lines: String...) -> String {
        lines.joined(separator: "\r\n") + "\r\n\r\n"
    }

    /// An interleaved frame (§10.12) as bytes: '$', channel, 16-bit length, payload.
    static func frame(channel: UInt8, _ payload: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer()
        InterleavedFrame(channel: channel, payload: ByteBuffer(bytes: payload)).write(into: &buffer)
        return buffer
    }

    /// The CSeq of a request, read with the server's own parser; nil when it has none.
    static func cseq(of request: String) throws -> String? {
        var parser = RTSPParser()
        var buffer = ByteBuffer(string: request)
        guard case .request(let parsed) = try parser.next(&buffer) else { return nil }
        return parsed.cseq
    }

    static func isResponse(_ message: RTSPResponseOrInterleaved) -> Bool {
        if case .response = message { return true }
        return false
    }

    static func interleaved(_ message: RTSPResponseOrInterleaved) throws -> InterleavedFrame {
        guard case .interleaved(let frame) = message else { throw Unexpected(message: "\(message)") }
        return frame
    }

    static func senderReportSSRC(_ payload: ByteBuffer) throws -> UInt32 {
        guard case .senderReport(let report) = try RTCPCompound.parse(payload).first else {
            throw Unexpected(message: "a compound that starts with a sender report")
        }
        return report.ssrc
    }

    struct Unexpected: Error {
        var message: String
    }

    /// A stream at `live` with H.264 video and G.711 audio, and a viewer connected to the
    /// server through the listener's own pipeline.
    func connect(encoder: LiveStream.EncoderControl = LiveStream.EncoderControl()) throws -> (Viewer, StreamHub) {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let video = TrackConfiguration(
            kind: .video, codec: .h264, payloadType: 96, clockRate: 90_000, formatParameters: "packetization-mode=1",
            ssrc: 0x1111_1111, initialSequenceNumber: 100, timestampOffset: 1000)
        let audio = TrackConfiguration(
            kind: .audio, codec: .pcmu, payloadType: 0, clockRate: 8000, channels: 1,
            ssrc: 0x2222_2222, initialSequenceNumber: 500, timestampOffset: 7)
        let stream = StreamConfiguration(path: "live", tracks: [video, audio], mtu: 1400, cname: "test", sessionBandwidthKbps: 600)
        let hub = StreamHub(
            configuration: stream, eventLoop: loop,
            anchor: WallClockAnchor(instant: epoch, wallClockNanoseconds: 1_700_000_000_000_000_000),
            epoch: epoch, encoder: encoder, logger: logger)
        let state = RTSPServerState(configuration: RTSPServer.Configuration(), hubs: [hub], eventLoop: loop, logger: logger)
        let channel = EmbeddedChannel(loop: loop)
        channel.localAddress = try SocketAddress(ipAddress: "192.0.2.10", port: 8554)
        try channel.pipeline.syncOperations.configureRTSPServerPipeline(server: state)
        try channel.connect(to: SocketAddress(ipAddress: "198.51.100.7", port: 50_000)).wait()
        return (Viewer(channel: channel), hub)
    }

    /// SETUP of the video track on interleaved channels 0-1; returns the session ID.
    func setupVideo(on viewer: Viewer) throws -> String {
        let answer = try viewer.response(to: Self.setupVideoRequest)
        XCTAssertEqual(answer.status.code, 200)
        return try XCTUnwrap(answer.headers["Session"]).split(separator: ";").first.map(String.init) ?? ""
    }

    /// SETUP and PLAY of the video track; returns the session ID.
    func playVideo(on viewer: Viewer) throws -> String {
        let session = try setupVideo(on: viewer)
        let play = try viewer.response(to: Self.request("PLAY \(Self.origin)/live/ RTSP/1.0", "CSeq: 5", "Session: \(session)"))
        XCTAssertEqual(play.status.code, 200)
        return session
    }

    /// A 3000-byte picture (SPS and PPS in front of a key frame): four packets at MTU 1400.
    func videoUnit(key: Bool, at frame: Int64) -> EncodedUnit {
        let slice: [UInt8] = [key ? 0x65 : 0x41] + [UInt8](repeating: UInt8(frame & 0xFF), count: 3000)
        let parts = key ? [[0x67, 0x42, 0xC0, 0x1E], [0x68, 0xCE, 0x3C, 0x80], slice] : [slice]
        return EncodedUnit(
            codec: .h264, parts: parts, instant: epoch + MediaDuration(nanoseconds: frame * 33_333_333), isKeyFrame: key)
    }

    /// 20 ms of G.711 µ-law silence.
    func audioUnit(at period: Int64) -> EncodedUnit {
        EncodedUnit(
            codec: .pcmu, parts: [[UInt8](repeating: 0xFF, count: 160)],
            instant: epoch + MediaDuration(nanoseconds: period * 20_000_000), isKeyFrame: true, sampleCount: 160)
    }
}

/// One viewer's end of the connection: requests go in as bytes, and what the server wrote is
/// read back as responses and interleaved frames.
final class Viewer {
    let channel: EmbeddedChannel
    private var parser = RTSPResponseParser()
    private var unread = ByteBuffer()

    init(channel: EmbeddedChannel) {
        self.channel = channel
    }

    func send(_ text: String) throws {
        try channel.writeInbound(ByteBuffer(string: text))
    }

    func send(_ bytes: ByteBuffer) throws {
        try channel.writeInbound(bytes)
    }

    /// Everything the server wrote since the last read, as raw text.
    func receivedText(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        XCTAssertEqual(unread.readableBytes, 0, "no parsed bytes pending", file: file, line: line)
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
            text += String(buffer: buffer)
        }
        return text
    }

    /// Everything the server wrote since the last read, parsed. Nothing may be left
    /// half-written: a response is always written whole.
    func received(file: StaticString = #filePath, line: UInt = #line) throws -> [RTSPResponseOrInterleaved] {
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
            unread.writeBuffer(&buffer)
        }
        var messages: [RTSPResponseOrInterleaved] = []
        while let message = try parser.next(&unread) {
            messages.append(message)
        }
        XCTAssertEqual(unread.readableBytes, 0, "bytes left over after the last whole message", file: file, line: line)
        unread.discardReadBytes()
        return messages
    }

    /// The one message written since the last read, which must be a response.
    func onlyResponse(file: StaticString = #filePath, line: UInt = #line) throws -> RTSPResponse {
        let messages = try received(file: file, line: line)
        guard messages.count == 1, case .response(let response) = messages[0] else {
            XCTFail("expected exactly one response, got \(messages)", file: file, line: line)
            throw RTSPConnectionHandlerTests.Unexpected(message: "\(messages)")
        }
        return response
    }

    /// Closes the connection as a viewer going away does, and returns what the server wrote
    /// meanwhile. An `EmbeddedChannel` keeps writes made while it closes, which a socket would
    /// refuse; the channel then ends clean.
    func hangUp(file: StaticString = #filePath, line: UInt = #line) throws -> [RTSPResponseOrInterleaved] {
        try channel.close().wait()
        let written = try received(file: file, line: line)
        XCTAssertTrue(try channel.finish(acceptAlreadyClosed: true).isClean, file: file, line: line)
        return written
    }

    /// Sends `request` and returns its answer, which must be all the server wrote.
    func response(to request: String, file: StaticString = #filePath, line: UInt = #line) throws -> RTSPResponse {
        try send(request)
        return try onlyResponse(file: file, line: line)
    }
}
