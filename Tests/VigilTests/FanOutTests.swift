import Foundation
import NIOCore
import NIOPosix
import ServeWire
import XCTest

/// Many viewers of one stream share one encoder and one packetizer: every viewer gets every
/// packet, starting at a key frame named exactly by its RTP-Info.
final class FanOutTests: XCTestCase {
    func testTwentyUDPViewersReceiveWithoutGaps() async throws {
        try await fanOut(udp: 20, tcp: 0)
    }

    func testUDPAndTCPViewersTogether() async throws {
        try await fanOut(udp: 5, tcp: 5)
    }

    /// On an interleaved connection the PLAY response comes before any RTP or RTCP: clients
    /// that read the response first (rtsp_load.c, some NVRs) cannot skip data in front of it.
    func testInterleavedPlayIsAnsweredBeforeAnyData() async throws {
        let fixture = try await VigilFixture()
        // Blocking reads, bounded by SO_RCVTIMEO; the server runs on its own loop threads.
        let reply = try Self.rawInterleavedPlay(port: fixture.port, url: fixture.url)
        try await fixture.stop()
        XCTAssertTrue(reply.hasPrefix("RTSP/1.0 200"), "first bytes after PLAY: \(reply.prefix(40).debugDescription)")
    }

    /// DESCRIBE, SETUP (interleaved) and PLAY on a plain blocking socket; returns the first
    /// bytes received after PLAY, as a string (binary data shows as a leading "$").
    private static func rawInterleavedPlay(port: Int, url: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        func exchange(_ text: String) -> String {
            _ = text.withCString { send(fd, $0, strlen($0), 0) }
            var buffer = [UInt8](repeating: 0, count: 65536)
            let n = recv(fd, &buffer, buffer.count, 0)
            return String(decoding: buffer.prefix(max(n, 0)), as: UTF8.self)
        }
        _ = exchange("DESCRIBE \(url) RTSP/1.0\r\nCSeq: 1\r\n\r\n")
        let setup = exchange("SETUP \(url)/trackID=0 RTSP/1.0\r\nCSeq: 2\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n")
        guard let line = setup.split(separator: "\r\n").first(where: { $0.hasPrefix("Session:") }) else { return "no session: \(setup)" }
        let session = line.dropFirst("Session:".count).split(separator: ";")[0].trimmingCharacters(in: .whitespaces)
        return exchange("PLAY \(url)/ RTSP/1.0\r\nCSeq: 3\r\nSession: \(session)\r\n\r\n")
    }

    private func fanOut(udp: Int, tcp: Int) async throws {
        let fixture = try await VigilFixture()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var viewers: [TestViewer] = []
        for i in 0..<(udp + tcp) {
            viewers.append(try await TestViewer.start(
                port: fixture.port, url: fixture.url, transport: i < udp ? .udp : .tcp, group: group))
        }
        // Three seconds of media at least (90 pictures, 150 audio packets of 20 ms) for everyone.
        await waitUntil(timeout: 30) { viewers.allSatisfy { $0.pictures() >= 90 && $0.rtpPackets(track: 1).count >= 150 } }
        for viewer in viewers { _ = try await viewer.teardown() }
        await waitUntil { viewers.allSatisfy { viewer in (0..<2).allSatisfy { !viewer.goodbyes(track: $0).isEmpty } } }

        for (n, viewer) in viewers.enumerated() {
            let video = viewer.rtpPackets(track: 0)
            let audio = viewer.rtpPackets(track: 1)
            XCTAssertEqual(sequenceGaps(video), 0, "viewer \(n) video gaps")
            XCTAssertEqual(sequenceGaps(audio), 0, "viewer \(n) audio gaps")
            let pictures = video.filter { $0.header.marker }.count
            XCTAssertGreaterThanOrEqual(pictures, 60, "viewer \(n) pictures")
            XCTAssertGreaterThanOrEqual(audio.count, 100, "viewer \(n) 20 ms audio packets")

            // RTP-Info names the first packet of each track exactly (RFC 2326 §12.33).
            let videoInfo = try XCTUnwrap(viewer.rtpInfo(track: 0), "RTP-Info for video")
            let audioInfo = try XCTUnwrap(viewer.rtpInfo(track: 1), "RTP-Info for audio")
            let firstVideo = try XCTUnwrap(video.first)
            XCTAssertEqual(firstVideo.header.sequenceNumber, videoInfo.seq, "viewer \(n) first video seq")
            XCTAssertEqual(firstVideo.header.timestamp, try XCTUnwrap(videoInfo.rtptime), "viewer \(n) first video rtptime")
            XCTAssertEqual(audio.first?.header.sequenceNumber, audioInfo.seq, "viewer \(n) first audio seq")
            // Audio's RTP time is given once audio has flowed (it is left out only for a
            // viewer that joins before the first chunk was sent).
            if let rtptime = audioInfo.rtptime {
                XCTAssertEqual(audio.first?.header.timestamp, rtptime, "viewer \(n) first audio rtptime")
            } else {
                XCTAssertEqual(n, 0, "only the very first viewer can join before any audio")
            }
            XCTAssertTrue(Self.startsKeyFrame(firstVideo), "viewer \(n) starts at a key frame")
            XCTAssertEqual(firstVideo.header.ssrc, viewer.tracks[0].ssrc, "SSRC announced in SETUP")

            // Every viewer got the same stream: same SSRC and payload types.
            XCTAssertEqual(video.first?.header.payloadType, 96)
            XCTAssertEqual(audio.first?.header.payloadType, 0)
            // And ended with an RTCP BYE for each track.
            for track in 0..<2 {
                let byes = viewer.goodbyes(track: track)
                XCTAssertEqual(byes.first?.ssrcs, viewer.tracks[track].ssrc.map { [$0] }, "viewer \(n) BYE on track \(track)")
            }
        }
        // One packetizer: every viewer got byte-identical packets under the same sequence numbers.
        let reference = Dictionary(viewers[0].rtpPackets(track: 0).map { ($0.header.sequenceNumber, $0) }, uniquingKeysWith: { a, _ in a })
        for viewer in viewers.dropFirst() {
            let common = viewer.rtpPackets(track: 0).filter { reference[$0.header.sequenceNumber] != nil }
            XCTAssertGreaterThan(common.count, 100)
            for packet in common { XCTAssertEqual(packet, reference[packet.header.sequenceNumber]) }
        }

        for viewer in viewers { await viewer.close() }
        try await fixture.stop()
        try await group.shutdownGracefully()
    }

    /// True for the first packet of an IDR access unit: a STAP-A opening with an SPS, an IDR
    /// slice, or the first FU-A fragment of one (RFC 6184 §5.7.1, §5.8).
    static func startsKeyFrame(_ packet: RTPPacket) -> Bool {
        var payload = packet.payload
        guard let indicator: UInt8 = payload.readInteger() else { return false }
        switch indicator & 0x1F {
        case 5, 7: return true
        case 24:
            payload.moveReaderIndex(forwardBy: 2)
            guard let first: UInt8 = payload.readInteger() else { return false }
            return first & 0x1F == 7
        case 28:
            guard let header: UInt8 = payload.readInteger() else { return false }
            return header & 0x80 != 0 && header & 0x1F == 5
        default:
            return false
        }
    }
}
