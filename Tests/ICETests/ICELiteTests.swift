import Foundation
import TestSeeds
import XCTest

@testable import ICE

/// The ICE-lite responder against aioice's full agent (PyPI, independent): the checks aioice
/// makes are answered so that aioice accepts the answer (integrity with our password, the
/// source address it was sent from), nomination is seen, and wrong credentials are refused
/// the way RFC 8489 says.
final class ICELiteTests: XCTestCase {
    let credentials = ICELite.Credentials(localUfrag: "vGl1", localPassword: "0123456789abcdefghijkl", remoteUfrag: "Brws")
    let source: [UInt8] = [192, 0, 2, 7]

    func request(username: String, key: String, useCandidate: Bool) throws -> (bytes: [UInt8], transaction: String) {
        let (status, json) = try STUNMessageTests.aioice(["request", username, key] + (useCandidate ? ["use-candidate"] : []))
        XCTAssertEqual(status, 0)
        return (STUNMessageTests.bytes(json["hex"] as? String ?? ""), json["transaction_id"] as? String ?? "")
    }

    func testAioicesCheckIsAnsweredSoThatAioiceAcceptsIt() throws {
        for useCandidate in [false, true] {
            let (bytes, transaction) = try request(username: "vGl1:Brws", key: credentials.localPassword, useCandidate: useCandidate)
            XCTAssertEqual(ICELite.localUfrag(ofRequest: bytes), "vGl1")
            guard case .answer(let response, let nominated) = ICELite.answer(bytes, from: source, port: 50321, credentials: credentials) else {
                return XCTFail("a valid check must be answered")
            }
            XCTAssertEqual(nominated, useCandidate)
            // aioice parses it, checks its fingerprint and our MESSAGE-INTEGRITY (our password).
            let (status, json) = try STUNMessageTests.aioice(["parse", STUNMessageTests.hex(response), credentials.localPassword])
            XCTAssertEqual(status, 0, "\(json)")
            XCTAssertEqual(json["class"] as? Int, 0x100, "a success response")
            XCTAssertEqual(json["transaction_id"] as? String, transaction)
            let attributes = json["attributes"] as? [String: Any] ?? [:]
            XCTAssertEqual(attributes["XOR-MAPPED-ADDRESS"] as? [AnyHashable], ["192.0.2.7", 50321] as [AnyHashable])
            XCTAssertEqual(attributes["MESSAGE-INTEGRITY"] as? Bool, true)
            XCTAssertEqual(attributes["FINGERPRINT"] as? Bool, true)
        }
    }

    func testWrongPasswordIsRefused401AndUnknownUfragIgnored() throws {
        let signedWrong = try request(username: "vGl1:Brws", key: "not-the-password-at-all", useCandidate: true).bytes
        guard case .refuse(let response, 401) = ICELite.answer(signedWrong, from: source, port: 1, credentials: credentials) else {
            return XCTFail("bad integrity must get 401")
        }
        let parsed = try STUNMessage(parsing: response)
        XCTAssertEqual(parsed.messageClass, .errorResponse)
        XCTAssertEqual(parsed.attribute(STUNAttribute.errorCode)?.value.prefix(4).map { $0 }, [0, 0, 4, 1])
        XCTAssertTrue(STUNMessage.hasValidFingerprint(response))

        let stranger = try request(username: "zzzz:Brws", key: credentials.localPassword, useCandidate: false).bytes
        XCTAssertEqual(ICELite.answer(stranger, from: source, port: 1, credentials: credentials), .ignore(.unknownUsername))
    }

    func testNonRequestsAndGarbageAreIgnored() {
        XCTAssertEqual(ICELite.answer([0x16, 0xFE, 0xFD] + [UInt8](repeating: 0, count: 40), from: source, port: 1, credentials: credentials), .ignore(.notSTUN))
        let indication = STUNMessage(messageClass: .indication, transactionID: [UInt8](repeating: 1, count: 12)).encoded(fingerprint: true)
        XCTAssertEqual(ICELite.answer(indication, from: source, port: 1, credentials: credentials), .ignore(.notARequest))
        let bare = STUNMessage(messageClass: .request, transactionID: [UInt8](repeating: 2, count: 12)).encoded(fingerprint: true)
        guard case .refuse(_, 400) = ICELite.answer(bare, from: source, port: 1, credentials: credentials) else {
            return XCTFail("a check without USERNAME/MESSAGE-INTEGRITY gets 400")
        }
    }

    /// RFC 8445 §5.1.2.1 with type preference 126 (host), local preference 65535, component 1.
    func testHostPriorityIsTheRFCFormula() {
        XCTAssertEqual(ICELite.hostPriority(), 2_130_706_431)
    }

    /// Mutated real checks: never a trap, and whatever is answered is a well-formed response.
    func testSeededFuzzNeverTraps() throws {
        let seed = TestSeed.value(default: 0x1CE1_17E)
        var random = SeededRandom(seed: seed)
        let (valid, _) = try request(username: "vGl1:Brws", key: credentials.localPassword, useCandidate: true)
        for index in 0..<5000 {
            var bytes = valid
            for _ in 0..<Int.random(in: 1...6, using: &random) {
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
            if Bool.random(using: &random) { bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &random))) }
            _ = ICELite.localUfrag(ofRequest: bytes)
            switch ICELite.answer(bytes, from: source, port: 9, credentials: credentials) {
            case .answer(let response, _), .refuse(let response, _):
                XCTAssertNotNil(try? STUNMessage(parsing: response), "case \(index), \(TestSeed.describe(seed))")
                XCTAssertTrue(STUNMessage.hasValidFingerprint(response), "case \(index), \(TestSeed.describe(seed))")
            case .ignore:
                continue
            }
        }
    }
}
