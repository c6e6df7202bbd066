import Foundation
import NIOCore
import TestSeeds
import XCTest

@testable import SecureMedia

/// Vigil's SRTP against pylibsrtp's (PyPI: its own libsrtp build and binding, run by
/// `Scripts/testkit/srtp_peer.py`), both profiles, RTP and RTCP, both directions: each
/// unprotects what the other protects to the same bytes; a changed byte fails authentication;
/// a replay is refused; a NACK resend of the same packet is protected again and accepted.
final class SRTPSessionTests: XCTestCase {
    /// An RTP packet (RFC 3550 §5.1): V=2, PT 96, the given sequence number and SSRC.
    static func rtp(sequence: UInt16, ssrc: UInt32, payload: [UInt8], csrcs: [UInt32] = [], extensionWords: [UInt32]? = nil) -> ByteBuffer {
        var buffer = ByteBuffer()
        let first = UInt8(0x80) | (extensionWords == nil ? 0 : 0x10) | UInt8(csrcs.count)
        buffer.writeInteger(first)  // V=2, P=0, X, CC
        buffer.writeInteger(UInt8(0x60))  // M=0, PT=96
        buffer.writeInteger(sequence)
        buffer.writeInteger(UInt32(sequence) &* 3000)  // timestamp
        buffer.writeInteger(ssrc)
        for csrc in csrcs { buffer.writeInteger(csrc) }
        if let words = extensionWords {
            buffer.writeInteger(UInt16(0xBEDE))  // RFC 8285 one-byte header extensions
            buffer.writeInteger(UInt16(words.count))
            for word in words { buffer.writeInteger(word) }
        }
        buffer.writeBytes(payload)
        return buffer
    }

    /// An RTCP receiver report (RFC 3550 §6.4.2) with no report blocks, from `ssrc`, and
    /// `extra` (whole words) as its profile-specific extension, so the packet has a body to encrypt.
    static func rtcp(ssrc: UInt32, extra: [UInt8] = []) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt8(0x80))  // V=2, P=0, RC=0
        buffer.writeInteger(UInt8(201))  // PT=RR
        buffer.writeInteger(UInt16(1 + extra.count / 4))  // length in 32-bit words minus one
        buffer.writeInteger(ssrc)
        buffer.writeBytes(extra)
        return buffer
    }

    static func keyMaterial(_ profile: SRTPProfile, random: inout SeededRandom) -> SRTPKeyMaterial {
        func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) } }
        return SRTPKeyMaterial(
            profile: profile, localKey: bytes(profile.keyLength), localSalt: bytes(profile.saltLength),
            remoteKey: bytes(profile.keyLength), remoteSalt: bytes(profile.saltLength))
    }

    static func bytes(_ buffer: ByteBuffer) -> [UInt8] { buffer.getBytes(at: buffer.readerIndex, length: buffer.readableBytes) ?? [] }

    /// Runs the steps in one pylibsrtp process whose outbound keys are our remote ones and
    /// whose inbound keys are our local ones; one result (bytes, or nil for an error) per step.
    static func pylibsrtp(_ keys: SRTPKeyMaterial, _ steps: [(op: String, bytes: [UInt8])]) throws -> [[UInt8]?] {
        try PeerTools.require(PeerTools.python)
        let request: [String: Any] = [
            "profile": keys.profile == .aeadAes128Gcm ? "aead_aes_128_gcm" : "aes128_cm_sha1_80",
            "outbound": PeerTools.hex(keys.remoteKey + keys.remoteSalt),
            "inbound": PeerTools.hex(keys.localKey + keys.localSalt),
            "steps": steps.map { ["op": $0.op, "hex": PeerTools.hex($0.bytes)] },
        ]
        let result = try RunningTool.run(PeerTools.python, [PeerTools.srtpPeer], stdin: JSONSerialization.data(withJSONObject: request))
        XCTAssertEqual(result.status, 0, "pylibsrtp must run (Scripts/install-deps --test): \(result.stderr)")
        let answers = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: String]])
        XCTAssertEqual(answers.count, steps.count)
        return answers.map { answer in answer["hex"].map(PeerTools.bytes) }
    }

    func testBothProfilesInteroperateWithPylibsrtp() throws {
        for profile in [SRTPProfile.aes128CmHmacSha1_80, .aeadAes128Gcm] {
            try interoperate(profile)
        }
    }

    private func interoperate(_ profile: SRTPProfile) throws {
        let seed = TestSeed.value(default: 0x5352_5450)
        var random = SeededRandom(seed: seed)
        let keys = Self.keyMaterial(profile, random: &random)
        let ours = try SRTPSession(keys: keys)
        let place = "\(profile), \(TestSeed.describe(seed))"
        let tag = profile == .aeadAes128Gcm ? 16 : 10
        let payload = { (count: Int) in (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) } }
        let packets: [ByteBuffer] = [
            Self.rtp(sequence: 1000, ssrc: 0xCAFE_0001, payload: payload(1100)),
            Self.rtp(sequence: 1001, ssrc: 0xCAFE_0001, payload: payload(1), csrcs: [0x1111_1111, 0x2222_2222]),
            Self.rtp(sequence: 1002, ssrc: 0xCAFE_0001, payload: payload(200), extensionWords: [0x1020_3040, 0x5060_7080]),
            Self.rtp(sequence: 7, ssrc: 0x0BAD_F00D, payload: payload(60)),  // a second stream (audio)
        ]
        let reports = [Self.rtcp(ssrc: 0xCAFE_0001, extra: payload(16)), Self.rtcp(ssrc: 0xCAFE_0001)]

        // Theirs → ours.
        let theirs = try Self.pylibsrtp(keys, packets.map { ("protect", Self.bytes($0)) } + reports.map { ("protect_rtcp", Self.bytes($0)) })
        for (index, plain) in packets.enumerated() {
            let protected = try XCTUnwrap(theirs[index], place)
            XCTAssertEqual(protected.count, plain.readableBytes + tag, place)
            var buffer = ByteBuffer(bytes: protected)
            try ours.unprotectRTP(&buffer)
            XCTAssertEqual(buffer, plain, "RTP \(index), \(place)")
        }
        for (index, plain) in reports.enumerated() {
            let protected = try XCTUnwrap(theirs[packets.count + index], place)
            XCTAssertEqual(protected.count, plain.readableBytes + 4 + tag, "SRTCP index and tag, \(place)")
            var buffer = ByteBuffer(bytes: protected)
            try ours.unprotectRTCP(&buffer)
            XCTAssertEqual(buffer, plain, "RTCP \(index), \(place)")
        }

        // A replay of what was accepted is refused, RTP and RTCP.
        var replay = ByteBuffer(bytes: try XCTUnwrap(theirs[0]))
        XCTAssertThrowsError(try ours.unprotectRTP(&replay)) { XCTAssertEqual($0 as? SRTPError, .replay, place) }
        var replayedReport = ByteBuffer(bytes: try XCTUnwrap(theirs[packets.count]))
        XCTAssertThrowsError(try ours.unprotectRTCP(&replayedReport)) { XCTAssertEqual($0 as? SRTPError, .replay, place) }

        // A changed byte — header, payload or tag — fails authentication (a fresh packet, so
        // it is not a replay).
        let fresh = try XCTUnwrap(try Self.pylibsrtp(keys, [("protect", Self.bytes(Self.rtp(sequence: 2000, ssrc: 0xCAFE_0001, payload: payload(100))))])[0])
        for position in [1, 20, fresh.count - 1] {
            var damaged = fresh
            damaged[position] ^= 0x04
            var buffer = ByteBuffer(bytes: damaged)
            XCTAssertThrowsError(try ours.unprotectRTP(&buffer)) { XCTAssertEqual($0 as? SRTPError, .authenticationFailed, "byte \(position), \(place)") }
        }
        var intact = ByteBuffer(bytes: fresh)
        XCTAssertNoThrow(try ours.unprotectRTP(&intact), "the undamaged packet still passes, \(place)")

        // Ours → theirs, with a NACK resend: 3000 is protected and lost, 3001 delivered, then
        // 3000 protected again (the same bytes) and delivered late; and one damaged packet.
        let lost = Self.rtp(sequence: 3000, ssrc: 0xCAFE_0001, payload: payload(500))
        let next = Self.rtp(sequence: 3001, ssrc: 0xCAFE_0001, payload: payload(500))
        func protect(_ packet: ByteBuffer) throws -> [UInt8] {
            var buffer = packet
            try ours.protectRTP(&buffer)
            return Self.bytes(buffer)
        }
        var outbound = try packets.map(protect)
        let firstTry = try protect(lost)
        let following = try protect(next)
        let resend = try protect(lost)
        XCTAssertEqual(resend, firstTry, "a resend is the same packet, protected again (allow_repeat_tx), \(place)")
        outbound += [following, resend]
        var protectedReports: [[UInt8]] = []
        for report in reports {
            var buffer = report
            try ours.protectRTCP(&buffer)
            protectedReports.append(Self.bytes(buffer))
        }
        var damaged = following
        damaged[30] ^= 0x80
        let steps = outbound.map { ("unprotect", $0) } + protectedReports.map { ("unprotect_rtcp", $0) } + [("unprotect", damaged), ("unprotect", resend)]
        let read = try Self.pylibsrtp(keys, steps)
        let plains = packets + [next, lost]
        for (index, plain) in plains.enumerated() {
            XCTAssertEqual(read[index], Self.bytes(plain), "pylibsrtp reads our RTP \(index), \(place)")
        }
        for (index, plain) in reports.enumerated() {
            XCTAssertEqual(read[plains.count + index], Self.bytes(plain), "pylibsrtp reads our RTCP \(index), \(place)")
        }
        XCTAssertNil(read[plains.count + reports.count], "pylibsrtp refuses a damaged packet, \(place)")
        XCTAssertNil(read[plains.count + reports.count + 1], "and a replay, \(place)")
    }

    func testWrongKeysAndShortPacketsAreErrors() throws {
        var random = SeededRandom(seed: 1)
        var keys = Self.keyMaterial(.aes128CmHmacSha1_80, random: &random)
        keys.localSalt.removeLast()
        XCTAssertThrowsError(try SRTPSession(keys: keys))
        let session = try SRTPSession(keys: Self.keyMaterial(.aeadAes128Gcm, random: &random))
        for bytes: [UInt8] in [[], [0x80], Array(repeating: 0x80, count: 11), [0x40] + Array(repeating: 0, count: 20), [0x8F] + Array(repeating: 0, count: 20)] {
            var buffer = ByteBuffer(bytes: bytes)
            XCTAssertThrowsError(try session.protectRTP(&buffer), "\(bytes)")
            XCTAssertEqual(buffer.readableBytes, bytes.count, "left as it was")
            XCTAssertThrowsError(try session.unprotectRTP(&buffer), "\(bytes)")
            XCTAssertThrowsError(try session.unprotectRTCP(&buffer), "\(bytes)")
        }
    }
}
