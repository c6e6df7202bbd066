import Foundation
import NIOCore
import Serve
import ServeWire
import XCTest

/// A whole viewer: DESCRIBE, SETUP of every track over UDP or TCP, PLAY, and what arrived.
final class TestViewer: @unchecked Sendable {
    enum Transport { case udp, tcp }

    struct TrackState {
        var control: String
        var rtp: UDPReceiver?
        var rtcp: UDPReceiver?
        var interleaved: ClosedRange<Int>?
        var serverPorts: ClosedRange<Int>?
        var ssrc: UInt32?
    }

    let client: TestRTSPClient
    let url: String
    let transport: Transport
    var sdp: SessionDescription?
    var tracks: [TrackState] = []
    var session: String?
    var playResponse: RTSPResponse?
    var playSentAt = Date()

    init(client: TestRTSPClient, url: String, transport: Transport) {
        self.client = client
        self.url = url
        self.transport = transport
    }

    static func start(port: Int, url: String, transport: Transport, group: any EventLoopGroup, play: Bool = true) async throws -> TestViewer {
        let viewer = TestViewer(client: try await TestRTSPClient.connect(port: port, group: group), url: url, transport: transport)
        try await viewer.describeAndSetup()
        if play { try await viewer.play() }
        return viewer
    }

    func describeAndSetup() async throws {
        let describe = try await client.request("DESCRIBE", url, headers: [("Accept", "application/sdp")])
        guard describe.status.code == 200 else { throw TestClientError.unexpected("DESCRIBE \(describe.status.code)") }
        let sdp = try SessionDescription.parse(String(buffer: describe.body))
        self.sdp = sdp
        let base = describe.headers["Content-Base"] ?? (url + "/")
        for (index, media) in sdp.media.enumerated() {
            let control = media.attribute("control") ?? ""
            let trackURL = control.hasPrefix("rtsp://") ? control : base + control
            var state = TrackState(control: trackURL)
            var transportHeader: String
            switch transport {
            case .udp:
                let (rtp, rtcp) = try await UDPReceiver.bindPair(group: client.group)
                state.rtp = rtp
                state.rtcp = rtcp
                transportHeader = "RTP/AVP;unicast;client_port=\(rtp.port)-\(rtcp.port)"
            case .tcp:
                transportHeader = "RTP/AVP/TCP;unicast;interleaved=\(2 * index)-\(2 * index + 1)"
            }
            var headers = [("Transport", transportHeader)]
            if let session { headers.append(("Session", session)) }
            let reply = try await client.request("SETUP", trackURL, headers: headers)
            guard reply.status.code == 200 else { throw TestClientError.unexpected("SETUP \(reply.status.code)") }
            session = reply.headers["Session"].map { String($0.split(separator: ";")[0]) }
            if let value = reply.headers["Transport"], let spec = try TransportHeader.parse(value).first {
                state.interleaved = spec.interleaved
                state.serverPorts = spec.serverPort
                state.ssrc = spec.ssrc
            }
            tracks.append(state)
        }
    }

    func play() async throws {
        playSentAt = Date()
        let reply = try await client.request("PLAY", url, headers: [("Session", session ?? ""), ("Range", "npt=0.000-")])
        guard reply.status.code == 200 else { throw TestClientError.unexpected("PLAY \(reply.status.code)") }
        playResponse = reply
    }

    func teardown() async throws -> RTSPResponse {
        try await client.request("TEARDOWN", url, headers: [("Session", session ?? "")])
    }

    func close() async {
        await client.close()
        for track in tracks {
            await track.rtp?.close()
            await track.rtcp?.close()
        }
    }

    /// RTP packets received for a track, in arrival order.
    func rtpPackets(track: Int) -> [RTPPacket] {
        switch transport {
        case .udp:
            return (tracks[track].rtp?.datagrams.value ?? []).compactMap { try? RTPPacket(parsing: $0) }
        case .tcp:
            let channel = tracks[track].interleaved?.lowerBound ?? 2 * track
            return client.interleavedFrames.filter { Int($0.channel) == channel }.compactMap { try? RTPPacket(parsing: $0.payload) }
        }
    }

    /// Compound RTCP packets received for a track.
    func rtcpPackets(track: Int) -> [[RTCPPacket]] {
        switch transport {
        case .udp:
            return (tracks[track].rtcp?.datagrams.value ?? []).compactMap { try? RTCPCompound.parse($0) }
        case .tcp:
            let channel = tracks[track].interleaved?.upperBound ?? 2 * track + 1
            return client.interleavedFrames.filter { Int($0.channel) == channel }.compactMap { try? RTCPCompound.parse($0.payload) }
        }
    }

    /// The RTCP BYE packets received for a track.
    func goodbyes(track: Int) -> [Goodbye] {
        rtcpPackets(track: track).flatMap { $0 }.compactMap { packet -> Goodbye? in
            if case .goodbye(let bye) = packet { return bye }
            return nil
        }
    }

    /// Whole pictures received for a track (RTP packets with the marker bit).
    func pictures(track: Int = 0) -> Int { rtpPackets(track: track).filter(\.header.marker).count }

    /// The RTP-Info entry of the PLAY response for a track: seq, and rtptime when given.
    func rtpInfo(track: Int) -> (seq: UInt16, rtptime: UInt32?)? {
        guard let value = playResponse?.headers["RTP-Info"] else { return nil }
        for entry in value.split(separator: ",") {
            let fields = entry.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let url = fields.first(where: { $0.hasPrefix("url=") })?.dropFirst(4), url == tracks[track].control[...] else { continue }
            let seq = fields.first(where: { $0.hasPrefix("seq=") }).flatMap { UInt16($0.dropFirst(4)) }
            let time = fields.first(where: { $0.hasPrefix("rtptime=") }).flatMap { UInt32($0.dropFirst(8)) }
            if let seq { return (seq, time) }
        }
        return nil
    }
}

/// Counts sequence gaps in packets in arrival order (RFC 3550 §A.1 arithmetic mod 2^16).
func sequenceGaps(_ packets: [RTPPacket]) -> Int {
    var gaps = 0
    for (previous, next) in zip(packets, packets.dropFirst()) where next.header.sequenceNumber != previous.header.sequenceNumber &+ 1 {
        gaps += 1
    }
    return gaps
}

/// For a hub that no longer has any viewer: everything it wrote to `viewer` arrives (loopback
/// loses nothing), and then nothing more, by the hub's own count and by the viewer's, for
/// half a second (fifteen pictures' time).
func assertNothingMoreArrives(from hub: LiveStream, at viewer: TestViewer, file: StaticString = #filePath, line: UInt = #line) async throws {
    func sentToViewers() async throws -> Int { Int(try await hub.trackSnapshots().map(\.packetsToViewers).reduce(0, +)) }
    func received() -> Int { (0..<viewer.tracks.count).map { viewer.rtpPackets(track: $0).count }.reduce(0, +) }
    let sent = try await sentToViewers()
    await waitUntil { received() >= sent }
    try await Task.sleep(nanoseconds: 500_000_000)
    let sentLater = try await sentToViewers()
    XCTAssertEqual(sentLater, sent, "the hub sent nothing more", file: file, line: line)
    XCTAssertEqual(received(), sent, "the viewer received nothing more", file: file, line: line)
}
