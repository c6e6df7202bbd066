import TestSeeds
import XCTest
@testable import ServeWire

/// Seeded fuzzing of the WHEP SDP code with mutated real offers: every input ends in a value
/// or a `WebRTCNegotiationError` — never a crash or a hang — and every answer produced
/// re-parses with `SessionDescription.parse` to itself.
final class WHEPFuzzTests: XCTestCase {
    static let fragments = [
        "a=ice-ufrag:EsAw\r\na=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\nm=audio 9 RTP/AVP 0\r\na=mid:1\r\n"
            + "a=candidate:1 1 UDP 2130706431 10.0.1.1 8998 typ host\r\n"
            + "a=candidate:2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr 10.0.1.1 rport 8998\r\na=end-of-candidates\r\n",
    ]
    static let tokens = [
        "0", "-1", "127", "128", "65535", "65536", "99999999999999999999", "", " ", ":", "/", ";", "=", "*", "a=", "m=", "\r", "\u{0}",
        "é", "🎥", "H264", "opus/48000/2", "profile-level-id=zzzzzz", "packetization-mode=1", "actpass", "passive", "holdconn",
        "BUNDLE", "recvonly", "sendonly", "rtcp-mux", "sha-256", "AB:CD", "UDP/TLS/RTP/SAVPF", "webrtc-datachannel",
    ]

    func testSeededMutationsNeverCrash() {
        let seed = TestSeed.value(default: 0x57_4845_5053_4450)
        print("WHEPFuzzTests: \(TestSeed.describe(seed))")
        var random = SeededRandom(seed: seed)
        let offers = [WHEPFixtures.aiortcOffer, WHEPFixtures.chromiumOffer]
        let trackSets = [
            [WHEPStream.constrainedBaseline, WHEPStream.pcmu], [WHEPStream.constrainedBaseline, WHEPStream.opus],
            [WHEPStream.high, WHEPStream.pcma], [WHEPStream.pcmu], [],
        ]
        var answered = 0
        var refused = 0
        for iteration in 0..<1500 {
            let base = iteration % 7 == 6 ? Self.fragments[0] : offers[iteration % 2]
            let text = mutate(base, &random)
            do {
                let offer = try WebRTCOffer.parse(text)
                let answer = try WebRTCNegotiation.answer(offer, tracks: trackSets[Int(random.next() % UInt64(trackSets.count))], local: WHEPStream.endpoint)
                let serialized = answer.sdp.serialized()
                let reparsed = try? SessionDescription.parse(serialized)
                XCTAssertEqual(reparsed, answer.sdp, "iteration \(iteration), \(TestSeed.describe(seed)):\n\(serialized)")
                XCTAssertEqual(answer.bindings.count, answer.sdp.media.filter { $0.port != 0 }.count, "\(TestSeed.describe(seed))")
                XCTAssertEqual(answer.sdp.media.count, offer.sections.count)
                // The answer's promises: the offer's mids in order, each binding on a payload
                // type the offer listed for that section, BUNDLE exactly the accepted mids,
                // nothing per-viewer (no transport-cc, no extmap).
                XCTAssertEqual(answer.sdp.media.map { $0.attribute("mid") }, offer.sections.map(\.mid), TestSeed.describe(seed))
                for binding in answer.bindings {
                    let section = offer.sections.first { $0.mid == binding.mid }
                    XCTAssertTrue(section?.formats.contains { $0.payloadType == binding.payloadType } ?? false, "\(binding) \(TestSeed.describe(seed))")
                }
                XCTAssertEqual(answer.sdp.attribute("group"), (["BUNDLE"] + answer.bindings.map(\.mid)).joined(separator: " "))
                XCTAssertFalse(serialized.contains("transport-cc") || serialized.contains("a=extmap"), TestSeed.describe(seed))
                answered += 1
            } catch {
                XCTAssertFalse(error.description.isEmpty)
                refused += 1
            }
            if let fragment = try? TrickleFragment.parse(text) {
                XCTAssertLessThanOrEqual(fragment.candidates.count, TrickleFragment.maximumCandidates)
                for candidate in fragment.candidates { XCTAssertNoThrow(try TrickleFragment.checkCandidate(candidate)) }
            }
        }
        print("WHEPFuzzTests: \(answered) answered, \(refused) refused")
        XCTAssertGreaterThan(answered, 100, "the mutations should leave many offers answerable")
        XCTAssertGreaterThan(refused, 100)
    }

    /// A handful of line-level and character-level edits.
    func mutate(_ text: String, _ random: inout SeededRandom) -> String {
        var lines = text.components(separatedBy: "\r\n")
        let edits = 1 + Int(random.next() % 4)
        for _ in 0..<edits {
            guard !lines.isEmpty else { break }
            let index = Int(random.next() % UInt64(lines.count))
            switch random.next() % 10 {
            case 0: lines.remove(at: index)
            case 1: lines.insert(lines[index], at: index)
            case 2: lines.swapAt(index, Int(random.next() % UInt64(lines.count)))
            case 3:  // replace a field of the line with a token
                var fields = lines[index].components(separatedBy: " ")
                fields[Int(random.next() % UInt64(fields.count))] = Self.tokens[Int(random.next() % UInt64(Self.tokens.count))]
                lines[index] = fields.joined(separator: " ")
            case 4:  // cut the line short
                let characters = Array(lines[index])
                lines[index] = String(characters.prefix(Int(random.next() % UInt64(characters.count + 1))))
            case 5:  // a random byte inside
                var characters = Array(lines[index])
                let scalar = Unicode.Scalar(UInt8(truncatingIfNeeded: random.next()))
                characters.insert(Character(scalar), at: Int(random.next() % UInt64(characters.count + 1)))
                lines[index] = String(characters)
            case 6:  // digits become huge or negative
                lines[index] = lines[index].replacingOccurrences(of: "9", with: random.next() % 2 == 0 ? "99999999999999999999" : "-9")
            case 7:  // LF endings from here on, or a lone CR
                return lines.joined(separator: random.next() % 2 == 0 ? "\n" : "\r")
            case 8:  // a long value
                lines[index] += String(repeating: "x", count: Int(random.next() % 3000))
            default:  // drop the text after the first colon
                if let colon = lines[index].firstIndex(of: ":") { lines[index] = String(lines[index][...colon]) }
            }
        }
        return lines.joined(separator: "\r\n")
    }
}
