import XCTest
@testable import ServeWire

/// `TrickleFragment.parse` — RFC 8840 `application/trickle-ice-sdpfrag`, as WHEP PATCHes it.
final class WHEPTrickleTests: XCTestCase {
    /// RFC 8840 §4.4 (LF line endings, as printed there).
    func testRFC8840Example() throws {
        let fragment = try TrickleFragment.parse("""
            a=ice-ufrag:EsAw
            a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1
            m=audio 9 RTP/AVP 0
            a=mid:1
            a=candidate:1 1 UDP 2130706431 10.0.1.1 8998 typ host
            a=candidate:2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr 10.0.1.1 rport 8998
            a=end-of-candidates

            """)
        XCTAssertEqual(fragment, TrickleFragment(
            iceUfrag: "EsAw", icePassword: "P2uYro0UCOQ4zxjKXaWCBui1",
            candidates: ["1 1 UDP 2130706431 10.0.1.1 8998 typ host", "2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr 10.0.1.1 rport 8998"],
            endOfCandidates: true))
    }

    /// The WHEP/WHIP PATCH example (draft-ietf-wish-whep §4.4, RFC 9725 §4.3.1), CRLF, with
    /// TCP candidates and Chromium's extensions.
    func testWHEPPatchExample() throws {
        let text = [
            "a=group:BUNDLE 0", "a=ice-ufrag:EsAw", "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1", "m=audio 9 UDP/TLS/RTP/SAVPF 0", "a=mid:0",
            "a=candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0 ufrag EsAw network-id 1",
            "a=candidate:3471623853 1 udp 2122194687 198.51.100.2 61765 typ host generation 0 ufrag EsAw network-id 2",
            "a=candidate:473322822 1 tcp 1518280447 192.0.2.1 9 typ host tcptype active generation 0 ufrag EsAw network-id 1",
            "a=candidate:2154773085 1 tcp 1518214911 198.51.100.2 9 typ host tcptype active generation 0 ufrag EsAw network-id 2",
            "a=end-of-candidates",
        ].map { $0 + "\r\n" }.joined()
        let fragment = try TrickleFragment.parse(text)
        XCTAssertEqual(fragment.iceUfrag, "EsAw")
        XCTAssertEqual(fragment.candidates.count, 4)
        XCTAssertEqual(fragment.candidates[2], "473322822 1 tcp 1518280447 192.0.2.1 9 typ host tcptype active generation 0 ufrag EsAw network-id 1")
        XCTAssertTrue(fragment.endOfCandidates)
    }

    /// An ICE restart (RFC 8840 §4.4, WHEP §4.5) carries new credentials and no candidates;
    /// a browser's mDNS candidate is a candidate like any other.
    func testRestartAndMDNS() throws {
        XCTAssertEqual(
            try TrickleFragment.parse("a=ice-ufrag:ZZZZ\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\n"),
            TrickleFragment(iceUfrag: "ZZZZ", icePassword: "abcdefghijklmnopqrstuv"))
        let mdns = try TrickleFragment.parse("a=mid:0\na=candidate:3 1 udp 2113937151 4f1c0c1e-6a57-4f0b-9e45-2a1f3c9f6e2b.local 54321 typ host generation 0\n")
        XCTAssertEqual(mdns.candidates, ["3 1 udp 2113937151 4f1c0c1e-6a57-4f0b-9e45-2a1f3c9f6e2b.local 54321 typ host generation 0"])
        XCTAssertFalse(mdns.endOfCandidates)
        XCTAssertEqual(try TrickleFragment.parse(""), TrickleFragment())
    }

    func testErrors() {
        let cases: [(String, WebRTCNegotiationError)] = [
            ("candidate:1 1 udp 1 1.2.3.4 5 typ host", .notFragment(line: 1, text: "candidate:1 1 udp 1 1.2.3.4 5 typ host")),
            ("a=mid:0\r\nv=0\r\n", .notFragment(line: 2, text: "v=0")),
            ("a=candidate:1 1 udp 2130706431 10.0.1.1 8998", .malformedCandidate("1 1 udp 2130706431 10.0.1.1 8998")),
            ("a=candidate:1 1 udp 2130706431 10.0.1.1 99999 typ host", .malformedCandidate("1 1 udp 2130706431 10.0.1.1 99999 typ host")),
            ("a=candidate:1 x udp 2130706431 10.0.1.1 1 typ host", .malformedCandidate("1 x udp 2130706431 10.0.1.1 1 typ host")),
            ("a=candidate:1 1 udp 99999999999 10.0.1.1 1 typ host", .malformedCandidate("1 1 udp 99999999999 10.0.1.1 1 typ host")),
            (String(repeating: "a=candidate:1 1 udp 1 10.0.0.1 1 typ host\r\n", count: 65), .tooManyCandidates(limit: 64)),
            (String(repeating: "a=x\r\n", count: 5000), .tooLarge(bytes: 25000, limit: 16384)),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try TrickleFragment.parse(text)) { error in
                XCTAssertEqual(error as? WebRTCNegotiationError, expected)
                XCTAssertFalse((error as! WebRTCNegotiationError).isUnacceptable)
            }
        }
        XCTAssertTrue(WebRTCNegotiationError.malformedCandidate("x").description.contains("RFC 8839"))
    }
}
