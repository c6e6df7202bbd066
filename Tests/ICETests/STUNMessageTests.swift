import Foundation
import TestSeeds
import XCTest

@testable import ICE

/// Vigil's STUN against aioice's (PyPI: the ICE of aiortc, an independent implementation,
/// run by `Scripts/testkit/stun_peer.py`): each reads what the other writes, integrity and
/// fingerprint included; CRC-32 against zlib's; and a seeded fuzzer of the parser.
final class STUNMessageTests: XCTestCase {
    static let python = "/opt/vigil-test-python/bin/python3"
    static var peer: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Scripts/testkit/stun_peer.py").path
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
    static func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) {
            out.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return out
    }

    static func aioice(_ arguments: [String]) throws -> (status: Int32, json: [String: Any]) {
        let result = try Tool.run(python, [peer] + arguments, timeout: 30)
        XCTAssertTrue(result.status == 0 || result.status == 1, "aioice must run (Scripts/install-deps --test): \(result.stderr)")
        return (result.status, (try? JSONSerialization.jsonObject(with: result.stdout) as? [String: Any]) ?? [:])
    }

    /// An ICE connectivity check as a browser's would be (RFC 8445 §7.2.2): aioice reads every
    /// attribute, and MESSAGE-INTEGRITY with the right password only, and the fingerprint.
    func testABindingRequestVigilWritesIsWhatAioiceReads() throws {
        let transaction: [UInt8] = [0xB7, 0xE7, 0xA7, 0x01, 0xBC, 0x34, 0xD6, 0x86, 0xFA, 0x87, 0xDF, 0xAE]
        var priority: [UInt8] = []
        STUNMessage.append(UInt32(0x6E00_01FF), to: &priority)
        let request = STUNMessage(messageClass: .request, transactionID: transaction, attributes: [
            .username("evtj:h6vY"), STUNAttribute(type: STUNAttribute.priority, value: priority),
            STUNAttribute(type: STUNAttribute.iceControlling, value: [0x93, 0x2F, 0xF9, 0xB1, 0x51, 0x26, 0x3B, 0x36]),
            STUNAttribute(type: STUNAttribute.useCandidate, value: []),
        ])
        let password = "VOkJxbRl1RmTxUk/WvJxBt"
        let wire = request.encoded(integrityKey: Array(password.utf8), fingerprint: true)
        XCTAssertEqual(wire.count % 4, 0)
        let read = try Self.aioice(["parse", Self.hex(wire), password])
        XCTAssertEqual(read.status, 0, "\(read.json)")
        XCTAssertEqual(read.json["method"] as? Int, 1)
        XCTAssertEqual(read.json["class"] as? Int, 0)
        XCTAssertEqual(read.json["transaction_id"] as? String, Self.hex(transaction))
        let attributes = try XCTUnwrap(read.json["attributes"] as? [String: Any])
        XCTAssertEqual(attributes["USERNAME"] as? String, "evtj:h6vY")
        XCTAssertEqual(attributes["PRIORITY"] as? Int, 0x6E00_01FF)
        XCTAssertEqual((attributes["ICE-CONTROLLING"] as? NSNumber)?.uint64Value, 0x932F_F9B1_5126_3B36)
        XCTAssertTrue(attributes.keys.contains("USE-CANDIDATE"))
        XCTAssertEqual(attributes["MESSAGE-INTEGRITY"] as? Bool, true)
        XCTAssertEqual(attributes["FINGERPRINT"] as? Bool, true)
        XCTAssertEqual(try Self.aioice(["parse", Self.hex(wire), "another password"]).status, 1, "the wrong key fails")

        // And Vigil reads its own bytes back, checks included.
        let parsed = try STUNMessage(parsing: wire)
        XCTAssertEqual(parsed.attribute(STUNAttribute.username)?.value, Array("evtj:h6vY".utf8))
        XCTAssertEqual(parsed.attribute(STUNAttribute.priority)?.uint32, 0x6E00_01FF)
        XCTAssertTrue(STUNMessage.hasValidIntegrity(wire, key: Array(password.utf8)))
        XCTAssertFalse(STUNMessage.hasValidIntegrity(wire, key: Array("x".utf8)))
        XCTAssertTrue(STUNMessage.hasValidFingerprint(wire))
    }

    /// aioice's success response: Vigil reads its XOR-MAPPED-ADDRESS (192.0.2.1:32853) and
    /// checks its integrity and fingerprint; a flipped byte fails both.
    func testAioicesResponseIsWhatVigilReads() throws {
        let transaction = Array(0..<12).map { UInt8($0 * 7 + 3) }
        let request = STUNMessage(messageClass: .request, transactionID: transaction, attributes: [.username("a:b")])
        let key = "swordfish"
        let answered = try Self.aioice(["respond", Self.hex(request.encoded(integrityKey: Array(key.utf8), fingerprint: true)), key])
        XCTAssertEqual(answered.status, 0, "\(answered.json)")
        let wire = Self.bytes(try XCTUnwrap(answered.json["hex"] as? String))
        let response = try STUNMessage(parsing: wire)
        XCTAssertEqual(response.messageClass, .successResponse)
        XCTAssertEqual(response.method, STUNMessage.binding)
        XCTAssertEqual(response.transactionID, transaction)
        let mapped = try XCTUnwrap(response.attribute(STUNAttribute.xorMappedAddress)?.xorMappedAddress(transactionID: transaction))
        XCTAssertEqual(mapped.address, [192, 0, 2, 1])
        XCTAssertEqual(mapped.port, 32853)
        XCTAssertTrue(STUNMessage.hasValidIntegrity(wire, key: Array(key.utf8)))
        XCTAssertTrue(STUNMessage.hasValidFingerprint(wire))
        // Vigil's own XOR-MAPPED-ADDRESS is byte for byte aioice's.
        XCTAssertEqual(
            STUNAttribute.xorMappedAddress(address: [192, 0, 2, 1], port: 32853, transactionID: transaction),
            response.attribute(STUNAttribute.xorMappedAddress))
        var damaged = wire
        damaged[26] ^= 0x01
        XCTAssertFalse(STUNMessage.hasValidIntegrity(damaged, key: Array(key.utf8)))
        XCTAssertFalse(STUNMessage.hasValidFingerprint(damaged))
    }

    func testCRC32IsZlibs() throws {
        var random = SeededRandom(seed: 0x43_5243)
        for length in [0, 1, 3, 20, 77, 1500] {
            let data = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            let zlib = try Self.aioice(["crc32", Self.hex(data)])
            XCTAssertEqual(zlib.json["crc32"] as? Int, Int(CRC32.checksum(data[...])), "\(length) bytes")
        }
    }

    /// Network input: random bytes and mutated real messages never crash the parser, and
    /// whatever it accepts re-encodes to a message it accepts again with the same attributes.
    func testTheParserSurvivesSeededFuzzing() {
        let seed = TestSeed.value(default: 0x5354_554E)
        var random = SeededRandom(seed: seed)
        let valid = STUNMessage(messageClass: .request, transactionID: Array(repeating: 9, count: 12), attributes: [
            .username("abcd:efgh"), STUNAttribute(type: STUNAttribute.priority, value: [1, 2, 3, 4]),
        ]).encoded(integrityKey: Array("key".utf8), fingerprint: true)
        var accepted = 0
        for index in 0..<30_000 {
            var bytes: [UInt8]
            if index % 3 == 0 {
                bytes = (0..<Int.random(in: 0...80, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            } else {
                bytes = valid
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    switch Int.random(in: 0..<3, using: &random) {
                    case 0: bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                    case 1: if bytes.count > 1 { bytes.removeLast(Int.random(in: 1...min(8, bytes.count - 1), using: &random)) }
                    default: bytes += (0..<4).map { _ in UInt8.random(in: 0...255, using: &random) }
                    }
                }
            }
            let place = "case \(index), \(TestSeed.describe(seed))"
            _ = STUNMessage.hasValidIntegrity(bytes, key: [1])
            _ = STUNMessage.hasValidFingerprint(bytes)
            guard let message = try? STUNMessage(parsing: bytes) else { continue }
            accepted += 1
            let again = try? STUNMessage(parsing: message.encoded())
            XCTAssertNotNil(again, place)
            let kept = message.attributes.filter { $0.type != STUNAttribute.messageIntegrity && $0.type != STUNAttribute.fingerprint }
            XCTAssertEqual(again?.attributes, kept, place)
        }
        XCTAssertGreaterThan(accepted, 100, "the mutations keep some messages whole")
    }
}
