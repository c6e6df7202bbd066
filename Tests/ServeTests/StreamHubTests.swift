import Logging
import MediaCore
import NIOCore
import NIOEmbedded
import ServeWire
import XCTest

@testable import Serve

/// The hub's fan-out, without a socket: viewers on embedded channels, units handed in by hand.
final class StreamHubTests: XCTestCase {
    let loop = EmbeddedEventLoop()
    let epoch = MediaInstant(nanoseconds: 1_000_000_000)

    func makeHub(
        repair: TrackConfiguration.Repair = .resend, profile: TrackConfiguration.Profile = .avp,
        encoder: LiveStream.EncoderControl = LiveStream.EncoderControl()
    ) -> StreamHub {
        var video = TrackConfiguration(
            kind: .video, codec: .h264, payloadType: 96, clockRate: 90_000, formatParameters: "packetization-mode=1",
            ssrc: 0x1111_1111, initialSequenceNumber: 100, timestampOffset: 1000)
        video.repair = repair
        video.profile = profile
        video.bandwidthKbps = 536
        let audio = TrackConfiguration(
            kind: .audio, codec: .pcmu, payloadType: 0, clockRate: 8000, channels: 1,
            ssrc: 0x2222_2222, initialSequenceNumber: 500, timestampOffset: 7)
        let stream = StreamConfiguration(path: "live", tracks: [video, audio], mtu: 1400, cname: "test", sessionBandwidthKbps: 600)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return StreamHub(
            configuration: stream, eventLoop: loop,
            anchor: WallClockAnchor(instant: epoch, wallClockNanoseconds: 1_700_000_000_000_000_000),
            epoch: epoch, encoder: encoder, logger: logger)
    }

    /// A session playing the video track over interleaved channels 0-1 on `channel`.
    func play(_ hub: StreamHub, on channel: EmbeddedChannel, waitsForKeyFrame: Bool = false) throws -> RTSPSession {
        let session = RTSPSession(id: "S\(ObjectIdentifier(channel).hashValue)", source: hub, offer: ObjectIdentifier(hub), connectionID: ObjectIdentifier(channel), peer: nil, now: .now())
        session.outputs[0] = TrackOutput(trackIndex: 0, transport: .interleaved(channel: channel, rtp: 0, rtcp: 1), session: session)
        _ = session.stateMachine.apply(.setup, addsTrack: true)
        _ = session.stateMachine.apply(.play)
        var info: [String] = []
        hub.playLive(session, baseURL: "rtsp://h/live/") { result in info = ((try? result.get()) ?? []).map(\.headerValue) }
        if waitsForKeyFrame {
            XCTAssertEqual(info, [], "with an encoder to ask, PLAY waits for its key frame")
            return session
        }
        // No encoder to ask for a key frame: it starts at once, waiting for the next one.
        // Its RTP time is not known yet, so RTP-Info gives only the sequence number.
        XCTAssertEqual(info, ["url=rtsp://h/live/trackID=0;seq=\(hub.tracks[0].packetizer.nextSequenceNumber)"])
        // The sender report sent at PLAY: header + compound, on the loop's next turn (after
        // the PLAY response, which the connection handler writes when `play` answers).
        XCTAssertNil(try channel.readOutbound(as: ByteBuffer.self), "nothing before the PLAY response")
        loop.run()
        let header = try XCTUnwrap(channel.readOutbound(as: ByteBuffer.self))
        XCTAssertEqual(Array(header.readableBytesView.prefix(2)), [0x24, 0x01])
        let report = try XCTUnwrap(channel.readOutbound(as: ByteBuffer.self))
        guard case .senderReport(let sr) = try RTCPCompound.parse(report).first else {
            XCTFail("the first RTCP packet after PLAY is a sender report (RFC 3550 §6.4.1): \(report.readableBytesView.map { $0 })")
            return session
        }
        XCTAssertEqual(sr.ssrc, 0x1111_1111)
        return session
    }

    func unit(key: Bool, at frame: Int64, size: Int = 3000) -> EncodedUnit {
        let nal: [UInt8] = [key ? 0x65 : 0x41] + [UInt8](repeating: UInt8(frame & 0xFF), count: size)
        let parts = key ? [[0x67, 0x42, 0xC0, 0x1E], [0x68, 0xCE, 0x3C, 0x80], nal] : [nal]
        return EncodedUnit(codec: .h264, parts: parts, instant: epoch + MediaDuration(nanoseconds: frame * 33_333_333), isKeyFrame: key)
    }

    func outbound(_ channel: EmbeddedChannel) throws -> [ByteBuffer] {
        var buffers: [ByteBuffer] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { buffers.append(buffer) }
        return buffers
    }

    /// RFC 2326 §10.12 frames ('$', channel, 16-bit length, packet) cut from everything the
    /// channel was handed since the last read; fails on bytes that are not whole frames.
    func frames(_ channel: EmbeddedChannel, file: StaticString = #filePath, line: UInt = #line) throws -> [(channel: UInt8, packet: ByteBuffer)] {
        var stream = ByteBuffer()
        for var buffer in try outbound(channel) { stream.writeBuffer(&buffer) }
        var frames: [(channel: UInt8, packet: ByteBuffer)] = []
        while stream.readableBytes >= 4 {
            XCTAssertEqual(stream.readInteger(as: UInt8.self), 0x24, "a frame starts with '$'", file: file, line: line)
            let number = stream.readInteger(as: UInt8.self)!
            let length = Int(stream.readInteger(as: UInt16.self)!)
            guard let packet = stream.readSlice(length: length) else {
                XCTFail("a frame cut short: \(length) bytes announced, \(stream.readableBytes) there", file: file, line: line)
                break
            }
            frames.append((number, packet))
        }
        XCTAssertEqual(stream.readableBytes, 0, "bytes after the last whole frame", file: file, line: line)
        return frames
    }

    func testViewersGetTheSameBufferStartingAtAKeyFrame() throws {
        let hub = makeHub()
        let a = EmbeddedChannel(loop: loop)
        let b = EmbeddedChannel(loop: loop)
        _ = try play(hub, on: a)
        _ = try play(hub, on: b)

        hub.deliver(unit(key: false, at: 0), track: 0)
        XCTAssertEqual(try outbound(a).count, 0, "no picture before a key frame")
        hub.deliver(unit(key: true, at: 1), track: 0)
        let sentA = try outbound(a)
        let sentB = try outbound(b)
        // One write per viewer and unit, and both viewers were handed the very same bytes in
        // memory: the unit's frames are built once.
        XCTAssertEqual(sentA.count, 1)
        XCTAssertEqual(sentB.count, 1)
        sentA[0].withUnsafeReadableBytes { pa in
            sentB[0].withUnsafeReadableBytes { pb in XCTAssertEqual(pa.baseAddress, pb.baseAddress) }
        }
        // SPS+PPS in one STAP-A, then the 3001-byte IDR slice in three FU-A fragments: four
        // frames on channel 0, back to back.
        var stream = ByteBuffer()
        var copy = sentA[0]
        stream.writeBuffer(&copy)
        var packets: [RTPPacket] = []
        while stream.readableBytes > 0 {
            XCTAssertEqual(stream.readInteger(as: UInt8.self), 0x24)
            XCTAssertEqual(stream.readInteger(as: UInt8.self), 0)
            let length = Int(try XCTUnwrap(stream.readInteger(as: UInt16.self)))
            packets.append(try RTPPacket(parsing: XCTUnwrap(stream.readSlice(length: length))))
        }
        XCTAssertEqual(packets.count, 4)
        XCTAssertEqual(packets.map(\.header.sequenceNumber), [103, 104, 105, 106],
                       "the picture before the key frame took 100…102 (three FU-A fragments)")
        XCTAssertEqual(packets[0].header.timestamp, 1000 + 3000, "offset + 1/30 s at 90 kHz")
        XCTAssertEqual(packets[0].header.ssrc, 0x1111_1111)
        XCTAssertEqual(packets.map(\.header.marker), [false, false, false, true], "the marker on the picture's last packet")
    }

    /// A viewer that chose other interleaved channels gets the same packets framed for its
    /// channel, still as one write per unit; viewers on the usual channel are unaffected.
    func testAViewerOnItsOwnChannelGetsItsOwnFrames() throws {
        let hub = makeHub()
        let usual = EmbeddedChannel(loop: loop)
        let own = EmbeddedChannel(loop: loop)
        _ = try play(hub, on: usual)
        let session = try play(hub, on: own)
        hub.stop(session, goodbye: false)
        let output = TrackOutput(trackIndex: 0, transport: .interleaved(channel: own, rtp: 6, rtcp: 7), session: session)
        session.outputs[0] = output
        hub.tracks[0].outputs.append(output)
        _ = try outbound(own)

        hub.deliver(unit(key: true, at: 0), track: 0)
        XCTAssertEqual(try outbound(usual).count, 1)
        let ownFrames = try frames(own)
        XCTAssertEqual(ownFrames.map(\.channel), [6, 6, 6, 6])
        XCTAssertEqual(try ownFrames.map { try RTPPacket(parsing: $0.packet).header.sequenceNumber }, [100, 101, 102, 103])
        withExtendedLifetime(session) {}
    }

    /// Audio to a TCP viewer leaves with the next video unit's write (one system call for both),
    /// or by itself once the hold has passed; every packet arrives once, in the order sent.
    func testTCPAudioRidesWithTheNextPictureOrLeavesAfterTheHold() throws {
        let hub = makeHub()
        let channel = EmbeddedChannel(loop: loop)
        let session = try play(hub, on: channel)
        // Audio on the same connection as the video, as the connection handler sets it up.
        guard case .interleaved(let connection, _, _) = session.outputs[0]!.transport else { return XCTFail("interleaved") }
        session.outputs[1] = TrackOutput(trackIndex: 1, transport: .interleaved(connection, rtp: 2, rtcp: 3), session: session)
        hub.tracks[1].outputs.append(session.outputs[1]!)
        hub.deliver(unit(key: true, at: 0), track: 0)
        XCTAssertEqual(try frames(channel).map(\.channel), [0, 0, 0, 0])

        hub.deliver(audio(at: 0), track: 1)
        hub.deliver(audio(at: 1), track: 1)
        XCTAssertEqual(try outbound(channel).count, 0, "audio waits for the next flush")
        hub.deliver(unit(key: false, at: 1), track: 0)
        let together = try frames(channel)
        XCTAssertEqual(together.map(\.channel), [2, 2, 0, 0, 0], "both audio packets, then the picture, in one flush")
        XCTAssertEqual(try together.prefix(2).map { try RTPPacket(parsing: $0.packet).header.sequenceNumber }, [500, 501])

        // No picture comes: the hold timer sends the audio by itself, no later than the hold.
        hub.deliver(audio(at: 2), track: 1)
        loop.advanceTime(by: hub.interleavedAudioHold - .milliseconds(1))
        XCTAssertEqual(try outbound(channel).count, 0)
        loop.advanceTime(by: .milliseconds(1))
        let alone = try frames(channel)
        XCTAssertEqual(alone.map(\.channel), [2])
        XCTAssertEqual(try RTPPacket(parsing: alone[0].packet).header.sequenceNumber, 502)

        // Audio that left with a picture is not sent again, and the hold counts from the audio
        // written after that picture: a timer due for the earlier audio leaves it waiting.
        hub.deliver(audio(at: 3), track: 1)
        loop.advanceTime(by: .milliseconds(10))
        hub.deliver(unit(key: false, at: 2), track: 0)
        XCTAssertEqual(try frames(channel).map(\.channel), [2, 0, 0, 0])
        loop.advanceTime(by: .milliseconds(10))
        hub.deliver(audio(at: 4), track: 1)
        loop.advanceTime(by: hub.interleavedAudioHold - .milliseconds(20))
        XCTAssertEqual(try outbound(channel).count, 0, "the first audio's hold is over, but it left with the picture")
        loop.advanceTime(by: .milliseconds(20))
        XCTAssertEqual(try frames(channel).map(\.channel), [2], "the second audio after its own hold")

        // A hold of zero flushes every unit as it goes.
        hub.interleavedAudioHold = .zero
        hub.deliver(audio(at: 5), track: 1)
        XCTAssertEqual(try frames(channel).map(\.channel), [2])
    }

    func audio(at period: Int64) -> EncodedUnit {
        EncodedUnit(codec: .pcmu, parts: [[UInt8](repeating: 0xFF, count: 160)],
                    instant: epoch + MediaDuration(nanoseconds: period * 20_000_000), isKeyFrame: true, sampleCount: 160)
    }

    func testAViewerThatCannotTakeMoreLosesPacketsAloneAndWaitsForAKeyFrame() throws {
        let requests = Counter()
        let slow = EmbeddedChannel(loop: loop)
        let fast = EmbeddedChannel(loop: loop)
        let hub = makeHub(encoder: LiveStream.EncoderControl(requestKeyFrame: { requests.increment() }))
        _ = try play(hub, on: slow, waitsForKeyFrame: true)
        _ = try play(hub, on: fast, waitsForKeyFrame: true)
        XCTAssertEqual(requests.value, 1, "one key frame asked for both")
        hub.deliver(unit(key: true, at: 0), track: 0)
        _ = try outbound(slow)
        XCTAssertEqual(try frames(fast).count, 4)
        loop.run()  // their first sender reports
        _ = try outbound(slow)
        _ = try outbound(fast)
        // Past the rate limit on forced key frames, so the next request goes out at once.
        loop.advanceTime(by: hub.minimumForcedKeyFrameInterval)

        slow.isWritable = false
        hub.deliver(unit(key: false, at: 1), track: 0)
        XCTAssertEqual(try outbound(slow).count, 0)
        XCTAssertEqual(try frames(fast).count, 3)
        XCTAssertEqual(requests.value, 2, "a key frame is asked for so the slow viewer can recover")

        slow.isWritable = true
        hub.deliver(unit(key: false, at: 2), track: 0)
        XCTAssertEqual(try outbound(slow).count, 0, "a broken picture chain waits for a key frame")
        XCTAssertEqual(try frames(fast).count, 3)
        hub.deliver(unit(key: true, at: 3), track: 0)
        XCTAssertEqual(try frames(slow).count, 4)
        XCTAssertEqual(try frames(fast).count, 4)

        let slowOutput = hub.tracks[0].outputs.first { if case .interleaved(let c, _, _) = $0.transport { return c.channel === slow } else { return false } }
        XCTAssertEqual(slowOutput?.statistics.packetsDropped, 3)
    }

    func testTeardownSendsByeAndStopsTheViewer() throws {
        let hub = makeHub()
        let channel = EmbeddedChannel(loop: loop)
        let session = try play(hub, on: channel)
        hub.stop(session, goodbye: true)
        let sent = try outbound(channel)
        XCTAssertEqual(sent.count, 2)
        let compound = try RTCPCompound.parse(sent[1])
        XCTAssertEqual(compound.count, 3)
        guard case .goodbye(let bye) = compound.last else { return XCTFail("BYE last") }
        XCTAssertEqual(bye.ssrcs, [0x1111_1111])
        hub.deliver(unit(key: true, at: 5), track: 0)
        XCTAssertEqual(try outbound(channel).count, 0)
        XCTAssertEqual(hub.viewerCount, 0)
    }
    /// RFC 3550 §6.3.5: a UDP viewer that reported and then fell silent past the limit stops
    /// getting media; one that never reported, or a TCP one, is left to RTSP's own timeout.
    func testAUDPViewerThatStopsReportingIsDropped() throws {
        let hub = makeHub()
        func udpViewer(_ id: String, port: Int) throws -> (RTSPSession, TrackOutput) {
            let session = RTSPSession(id: id, source: hub, offer: ObjectIdentifier(hub), connectionID: ObjectIdentifier(hub), peer: nil, now: .now())
            let output = TrackOutput(
                trackIndex: 0,
                transport: .udp(rtp: try SocketAddress(ipAddress: "10.0.0.9", port: port), rtcp: try SocketAddress(ipAddress: "10.0.0.9", port: port + 1)),
                session: session)
            session.outputs[0] = output
            _ = session.stateMachine.apply(.setup, addsTrack: true)
            _ = session.stateMachine.apply(.play)
            hub.playLive(session, baseURL: "rtsp://h/live/") { _ in }
            return (session, output)
        }
        let (reportingSession, reporting) = try udpViewer("R", port: 5000)
        let (quietSession, quiet) = try udpViewer("Q", port: 6000)
        let tcp = EmbeddedChannel(loop: loop)
        let tcpSession = try play(hub, on: tcp)
        var report = ByteBuffer()
        RTCPCompound.write([.receiverReport(ReceiverReport(ssrc: 0x5150, reports: []))], into: &report)
        hub.receiveRTCP(report, track: 0, from: nil, output: reporting)
        hub.receiveRTCP(report, track: 0, from: nil, output: tcpSession.outputs[0])
        XCTAssertEqual(hub.tracks[0].outputs.count, 3)

        hub.dropSilentViewers(track: hub.tracks[0], now: .now() + .seconds(55))
        XCTAssertEqual(hub.tracks[0].outputs.count, 3, "within the 60 s limit")
        hub.dropSilentViewers(track: hub.tracks[0], now: .now() + .seconds(61))
        XCTAssertEqual(hub.tracks[0].outputs.map(\.session.id).sorted(), [quiet.session.id, tcpSession.id].sorted())
        withExtendedLifetime((reportingSession, quietSession)) {}
    }

    /// The RTP packets (channel 0) in what was written to an interleaved viewer.
    static func rtpPackets(_ buffers: [ByteBuffer]) throws -> [RTPPacket] {
        var stream = ByteBuffer()
        for var buffer in buffers { stream.writeBuffer(&buffer) }
        var packets: [RTPPacket] = []
        while let marker = stream.readInteger(as: UInt8.self), marker == 0x24,
            let channel = stream.readInteger(as: UInt8.self), let length = stream.readInteger(as: UInt16.self),
            let body = stream.readSlice(length: Int(length))
        {
            if channel == 0 { packets.append(try RTPPacket(parsing: body)) }
        }
        return packets
    }

    /// The lines of the first media section (video).
    static func videoLines(_ sdp: String) -> [String] {
        let lines = sdp.split(separator: "\r\n").map(String.init)
        let start = lines.firstIndex { $0.hasPrefix("m=video") } ?? lines.endIndex
        let rest = lines[start...].dropFirst()
        let end = rest.firstIndex { $0.hasPrefix("m=") } ?? lines.endIndex
        return Array(lines[start..<end])
    }

    /// RFC 4585 + RFC 4588 in the DESCRIBE answer: the AVPF profile, feedback, the rtx payload
    /// type tied to H.264 by `apt`, and the bandwidth receivers size their RTCP from.
    func testSessionDescriptionOffersAVPFAndTheRetransmissionStream() {
        let hub = makeHub(repair: .retransmissionStream(payloadType: 99, ssrc: 0x3333_3333, initialSequenceNumber: 9), profile: .avpf)
        let video = Self.videoLines(hub.sessionDescription(serverAddress: "10.0.0.1").serialized())
        XCTAssertEqual(video, [
            "m=video 0 RTP/AVPF 96 99",
            "b=AS:536",
            "a=rtpmap:96 H264/90000",
            "a=fmtp:96 packetization-mode=1",
            "a=rtcp-fb:96 nack",
            "a=rtcp-fb:96 nack pli",
            "a=rtcp-fb:96 ccm fir",
            "a=rtpmap:99 rtx/90000",
            "a=fmtp:99 apt=96;rtx-time=1000",
            "a=control:trackID=0",
        ])
        let byClient = makeHub(profile: .byClient)
        XCTAssertEqual(Self.videoLines(byClient.sessionDescription(serverAddress: "10.0.0.1", clientTakesAVPF: true).serialized()).first, "m=video 0 RTP/AVPF 96")
        XCTAssertEqual(Self.videoLines(byClient.sessionDescription(serverAddress: "10.0.0.1", clientTakesAVPF: false).serialized()).first, "m=video 0 RTP/AVP 96")
        XCTAssertTrue(TrackConfiguration.Profile.takesAVPF(userAgent: "Lavf/59.27.100"))
        XCTAssertTrue(TrackConfiguration.Profile.takesAVPF(userAgent: "GStreamer/1.22.0"))
        XCTAssertFalse(TrackConfiguration.Profile.takesAVPF(userAgent: "LibVLC/3.0.18 (LIVE555 Streaming Media v2022.10.01)"))
        XCTAssertFalse(TrackConfiguration.Profile.takesAVPF(userAgent: nil))
        let plain = Self.videoLines(makeHub(repair: .none).sessionDescription(serverAddress: "10.0.0.1").serialized())
        XCTAssertEqual(plain.first, "m=video 0 RTP/AVP 96")
        XCTAssertFalse(plain.contains("a=rtcp-fb:96 nack"), "no NACK offered when nothing is repaired")
        XCTAssertTrue(plain.contains("a=rtcp-fb:96 nack pli"))
    }

    /// An Opus track (RFC 7587): "opus/48000/2" and sprop-stereo=0 in DESCRIBE (§7), one RTP
    /// packet per 20 ms unit on the 48 kHz clock (§4.1), 960 ticks apart, marker 0.
    func testOpusTrackIsDescribedAndStampedAt48kHz() throws {
        var video = TrackConfiguration(
            kind: .video, codec: .h264, payloadType: 96, clockRate: 90_000, formatParameters: "packetization-mode=1",
            ssrc: 0x1111_1111, initialSequenceNumber: 100, timestampOffset: 1000)
        video.bandwidthKbps = 536
        let audio = TrackConfiguration.opus(payloadType: 111, ssrc: 0x2222_2222, initialSequenceNumber: 500, timestampOffset: 7)
        let stream = StreamConfiguration(path: "live", tracks: [video, audio], mtu: 1400, cname: "test", sessionBandwidthKbps: 600)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let hub = StreamHub(
            configuration: stream, eventLoop: loop,
            anchor: WallClockAnchor(instant: epoch, wallClockNanoseconds: 1_700_000_000_000_000_000),
            epoch: epoch, logger: logger)
        let lines = hub.sessionDescription(serverAddress: "10.0.0.1").serialized().split(separator: "\r\n").map(String.init)
        let start = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("m=audio") })
        XCTAssertEqual(Array(lines[start...]), [
            "m=audio 0 RTP/AVP 111",
            "a=rtpmap:111 opus/48000/2",
            "a=fmtp:111 sprop-stereo=0",
            "a=control:trackID=1",
        ])

        var timestamps: [UInt32] = []
        for period in Int64(0)..<3 {
            // TOC 0x48: SILK WB 20 ms, one frame.
            let unit = EncodedUnit(codec: .opus, parts: [[0x48, UInt8(period)]],
                                   instant: epoch + MediaDuration(nanoseconds: period * 20_000_000), isKeyFrame: true, sampleCount: 960)
            hub.deliver(unit, track: 1)
            XCTAssertEqual(hub.tracks[1].packets.count, 1)
            let packet = try RTPPacket(parsing: hub.tracks[1].packets[0])
            XCTAssertFalse(packet.header.marker)
            XCTAssertEqual(packet.header.payloadType, 111)
            XCTAssertEqual(Array(packet.payload.readableBytesView), [0x48, UInt8(period)])
            timestamps.append(packet.header.timestamp)
            XCTAssertEqual(hub.tracks[1].nextAudioTimestamp, packet.header.timestamp &+ 960)
        }
        XCTAssertEqual(timestamps, [7, 7 + 960, 7 + 1920])
    }

    /// A generic NACK for two packets is answered in the retransmission stream: each with its
    /// OSN, the rtx SSRC and consecutive rtx sequence numbers.
    func testNACKIsAnsweredInTheRetransmissionStream() throws {
        let hub = makeHub(repair: .retransmissionStream(payloadType: 99, ssrc: 0x3333_3333, initialSequenceNumber: 9))
        let channel = EmbeddedChannel(loop: loop)
        let session = try play(hub, on: channel)
        hub.deliver(unit(key: true, at: 0), track: 0)
        let sent = try Self.rtpPackets(outbound(channel))
        XCTAssertGreaterThanOrEqual(sent.count, 3)
        let lost = [sent[0].header.sequenceNumber, sent[2].header.sequenceNumber]
        var nack = ByteBuffer()
        RTCPCompound.write([
            .receiverReport(ReceiverReport(ssrc: 0x5150, reports: [])),
            FeedbackMessage.genericNACK(sender: 0x5150, mediaSource: 0x1111_1111, lost: lost).packet,
        ], into: &nack)
        hub.receiveRTCP(nack, track: 0, from: nil, output: session.outputs[0])
        let repairs = try Self.rtpPackets(outbound(channel))
        XCTAssertEqual(repairs.map(\.header.payloadType), [99, 99])
        XCTAssertEqual(repairs.map(\.header.ssrc), [0x3333_3333, 0x3333_3333])
        XCTAssertEqual(repairs.map(\.header.sequenceNumber), [9, 10])
        XCTAssertEqual(repairs.map { $0.payload.getInteger(at: $0.payload.readerIndex, as: UInt16.self) }, lost)
        for (repair, original) in zip(repairs, [sent[0], sent[2]]) {
            XCTAssertEqual(repair.header.timestamp, original.header.timestamp)
            XCTAssertEqual(repair.payload.getSlice(at: repair.payload.readerIndex + 2, length: repair.payload.readableBytes - 2), original.payload)
        }
        let totals = hub.trackSnapshots()[0]
        XCTAssertEqual(totals.nacksReceived, 1)
        XCTAssertEqual(totals.packetsResent, 2)
    }
}

final class Counter: @unchecked Sendable {
    private(set) var value = 0
    func increment() { value += 1 }

}
