import XCTest
@testable import ServeWire

final class TransportHeaderTests: XCTestCase {
    /// Real client strings → parsed specs → the serialized form a reply would echo.
    static let vectors: [(name: String, header: String, specs: [TransportSpec], serialized: [String])] = [
        (
            "ffmpeg 5 SETUP UDP",
            "RTP/AVP/UDP;unicast;client_port=5000-5001",
            [TransportSpec(clientPort: 5000...5001)],
            ["RTP/AVP;unicast;client_port=5000-5001"]
        ),
        (
            "VLC/live555 SETUP UDP",
            "RTP/AVP;unicast;client_port=5000-5001",
            [TransportSpec(clientPort: 5000...5001)],
            ["RTP/AVP;unicast;client_port=5000-5001"]
        ),
        (
            "GStreamer rtspsrc SETUP with quoted mode",
            "RTP/AVP;unicast;client_port=5000-5001;mode=\"PLAY\"",
            [TransportSpec(clientPort: 5000...5001, mode: "PLAY")],
            ["RTP/AVP;unicast;client_port=5000-5001;mode=PLAY"]
        ),
        (
            "VLC 3.0 SETUP interleaved",
            "RTP/AVP/TCP;unicast;interleaved=0-1",
            [TransportSpec(lowerTransport: .tcp, interleaved: 0...1)],
            ["RTP/AVP/TCP;unicast;interleaved=0-1"]
        ),
        (
            "multi-spec: TCP preferred, then UDP",
            "RTP/AVP/TCP;unicast;interleaved=0-1, RTP/AVP;unicast;client_port=5002-5003",
            [TransportSpec(lowerTransport: .tcp, interleaved: 0...1), TransportSpec(clientPort: 5002...5003)],
            ["RTP/AVP/TCP;unicast;interleaved=0-1", "RTP/AVP;unicast;client_port=5002-5003"]
        ),
        (
            "RFC 2326 §12.39 single port means the pair",
            "RTP/AVP;unicast;client_port=5000",
            [TransportSpec(clientPort: 5000...5001)],
            ["RTP/AVP;unicast;client_port=5000-5001"]
        ),
        (
            "RFC 2326 §10.4 multicast reply",
            "RTP/AVP;multicast;destination=224.2.0.1;port=3456-3457;ttl=16",
            [TransportSpec(isMulticast: true, port: 3456...3457, destination: "224.2.0.1", ttl: 16)],
            ["RTP/AVP;multicast;destination=224.2.0.1;port=3456-3457;ttl=16"]
        ),
        (
            "server reply with ssrc and unknown parameters kept",
            "RTP/AVPF/UDP;unicast;client_port=6970-6971;server_port=7000-7001;ssrc=1a2b3c4d;append",
            [TransportSpec(profile: "RTP/AVPF", clientPort: 6970...6971, serverPort: 7000...7001, ssrc: 0x1A2B_3C4D,
                           otherParameters: ["append"])],
            ["RTP/AVPF;unicast;client_port=6970-6971;server_port=7000-7001;ssrc=1A2B3C4D;append"]
        ),
    ]

    func testVectors() throws {
        for vector in Self.vectors {
            let specs = try TransportHeader.parse(vector.header)
            XCTAssertEqual(specs, vector.specs, vector.name)
            XCTAssertEqual(specs.map(\.description), vector.serialized, vector.name)
            XCTAssertEqual(try TransportHeader.parse(vector.serialized.joined(separator: ",")), vector.specs, vector.name)
        }
    }

    func testReplySerialization() {
        let reply = TransportSpec(lowerTransport: .tcp, interleaved: 0...1, ssrc: 0x1A2B_3C4D)
        XCTAssertEqual(reply.description, "RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=1A2B3C4D")
        XCTAssertEqual(TransportSpec(ssrc: 0xAB).description, "RTP/AVP;unicast;ssrc=000000AB")
    }

    func testUnparseableSpecIsSkippedWhenAnotherWorks() throws {
        let specs = try TransportHeader.parse("RTP/AVP/SCTP;unicast, RTP/AVP;unicast;client_port=4000-4001")
        XCTAssertEqual(specs, [TransportSpec(clientPort: 4000...4001)])
    }

    func testErrors() {
        let vectors: [(String, TransportParseError)] = [
            ("", .empty),
            (" , ", .empty),
            ("RAW/RAW/UDP;unicast", .unsupportedProtocol("RAW/RAW/UDP")),
            ("RTP", .unsupportedProtocol("RTP")),
            ("RTP/AVP/SCTP;unicast", .unsupportedLowerTransport("SCTP")),
            ("RTP/AVP;unicast;client_port=abc", .badParameter("client_port=abc")),
            ("RTP/AVP;unicast;client_port=70000-70001", .badParameter("client_port=70000-70001")),
            ("RTP/AVP;unicast;client_port=5001-5000", .badParameter("client_port=5001-5000")),
            ("RTP/AVP;unicast;client_port=65535", .badParameter("client_port=65535")),
            ("RTP/AVP/TCP;interleaved=255-256", .badParameter("interleaved=255-256")),
            ("RTP/AVP;ssrc=xyz", .badParameter("ssrc=xyz")),
            ("RTP/AVP;ssrc=123456789", .badParameter("ssrc=123456789")),
            ("RTP/AVP;multicast;ttl=300", .badParameter("ttl=300")),
        ]
        for (header, error) in vectors {
            XCTAssertThrowsError(try TransportHeader.parse(header), header) {
                XCTAssertEqual($0 as? TransportParseError, error, header)
            }
        }
    }
}
