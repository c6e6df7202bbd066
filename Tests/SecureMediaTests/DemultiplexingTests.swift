import XCTest

@testable import SecureMedia

final class DemultiplexingTests: XCTestCase {
    /// RFC 7983 §7's ranges, with real first packets: our ClientHello (22, handshake), an RTP
    /// packet (0x80), an RTCP receiver report (0x80, 201), a STUN Binding request (0x00 0x01).
    func testEachPacketGoesWhereRFC7983Sends() throws {
        let hello = try XCTUnwrap(DTLSSessionTests.pair().client.start().datagrams.first)
        let rtp = SRTPSessionTests.bytes(SRTPSessionTests.rtp(sequence: 1, ssrc: 2, payload: [3]))
        let rtcp = SRTPSessionTests.bytes(SRTPSessionTests.rtcp(ssrc: 2))
        let stun: [UInt8] = [0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42] + Array(repeating: 0, count: 12)
        XCTAssertTrue(MediaDemultiplexing.looksLikeDTLS(hello))
        XCTAssertFalse(MediaDemultiplexing.looksLikeRTPOrRTCP(hello))
        for packet in [rtp, rtcp] {
            XCTAssertTrue(MediaDemultiplexing.looksLikeRTPOrRTCP(packet))
            XCTAssertFalse(MediaDemultiplexing.looksLikeDTLS(packet))
        }
        XCTAssertFalse(MediaDemultiplexing.isRTCP(rtp), "PT 96")
        XCTAssertTrue(MediaDemultiplexing.isRTCP(rtcp), "PT 201, RR")
        XCTAssertFalse(MediaDemultiplexing.looksLikeDTLS(stun))
        XCTAssertFalse(MediaDemultiplexing.looksLikeRTPOrRTCP(stun))
        XCTAssertFalse(MediaDemultiplexing.looksLikeDTLS([]))
        XCTAssertFalse(MediaDemultiplexing.isRTCP([0x80]))
        XCTAssertEqual((0...255).filter { MediaDemultiplexing.looksLikeDTLS([UInt8($0)]) }, Array(20...63))
        XCTAssertEqual((0...255).filter { MediaDemultiplexing.looksLikeRTPOrRTCP([UInt8($0)]) }, Array(128...191))
    }
}
