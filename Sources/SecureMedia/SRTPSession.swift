import CSRTP
import NIOCore

/// Why a packet could not be protected or unprotected.
public enum SRTPError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Not an RTP or RTCP packet SRTP can handle: too short, not version 2, a header longer than
    /// the packet, or too long. `reason` says which.
    case malformedPacket(reason: String)
    /// The authentication tag does not match: damaged, forged, or under other keys.
    case authenticationFailed
    /// The packet's index was seen before or is older than the replay window (RFC 3711 §3.3.2).
    case replay
    /// The keys do not fit the profile (lengths).
    case badKeys(reason: String)
    /// Any other libsrtp status, with the call that returned it.
    case libsrtp(call: String, status: UInt32)

    public var description: String {
        switch self {
        case .malformedPacket(let reason): "not an SRTP-able packet: \(reason)"
        case .authenticationFailed: "SRTP authentication failed"
        case .replay: "SRTP replay refused"
        case .badKeys(let reason): "SRTP keys: \(reason)"
        case .libsrtp(let call, let status): "\(call) returned libsrtp status \(status)"
        }
    }
}

/// SRTP and SRTCP for one WebRTC peer, both directions — RFC 3711, with AES-GCM by RFC 7714 —
/// through libsrtp2. Outbound packets are protected with the local key and salt (one policy
/// for any SSRC this end sends), inbound ones unprotected with the remote (any SSRC the peer
/// sends, each with its own replay window). Packets change in place in their `ByteBuffer`.
///
/// Not `Sendable`: libsrtp's contexts are not safe to share; one owner calls it.
public final class SRTPSession {
    /// Packets remembered per inbound SSRC against replay (RFC 3711 §3.3.2 asks at least 64):
    /// wide enough for video's reordering and NACK-driven resends arriving late.
    public static let replayWindow = 1024
    /// UDP carries at most this much.
    public static let maximumPacketLength = 65_535
    /// Room libsrtp may write past the packet (tag and MKI, and SRTCP's index word).
    static let trailerRoom = Int(vigil_srtp_max_trailer_length) + 4

    public let profile: SRTPProfile
    private let outbound: srtp_t
    private let inbound: srtp_t

    /// libsrtp's global state, initialized once per process, on first use.
    private static let library: srtp_err_status_t = srtp_init()

    public init(keys: SRTPKeyMaterial) throws {
        guard Self.library == srtp_err_status_ok else { throw SRTPError.libsrtp(call: "srtp_init", status: Self.library.rawValue) }
        profile = keys.profile
        outbound = try Self.context(profile: keys.profile, key: keys.localKey, salt: keys.localSalt, direction: ssrc_any_outbound)
        do {
            inbound = try Self.context(profile: keys.profile, key: keys.remoteKey, salt: keys.remoteSalt, direction: ssrc_any_inbound)
        } catch {
            srtp_dealloc(outbound)
            throw error
        }
    }

    deinit {
        srtp_dealloc(outbound)
        srtp_dealloc(inbound)
    }

    /// Encrypts an RTP packet and appends its tag (10 bytes for counter mode, 16 for GCM).
    /// The same packet may be protected again, as a NACK resend needs (allow_repeat_tx).
    public func protectRTP(_ packet: inout ByteBuffer) throws(SRTPError) {
        try Self.checkRTPHeader(packet)
        try Self.transform(&packet, room: Self.trailerRoom, "srtp_protect") { srtp_protect(outbound, $0, $1) }
    }

    /// Encrypts an RTCP compound packet and appends the SRTCP index and tag (RFC 3711 §3.4).
    public func protectRTCP(_ packet: inout ByteBuffer) throws(SRTPError) {
        try Self.checkRTCPHeader(packet)
        try Self.transform(&packet, room: Self.trailerRoom, "srtp_protect_rtcp") { srtp_protect_rtcp(outbound, $0, $1) }
    }

    /// Checks and decrypts an SRTP packet, removing its tag. On an error the packet's bytes
    /// are unspecified (GCM decrypts in place before the tag verdict) and it should be dropped.
    public func unprotectRTP(_ packet: inout ByteBuffer) throws(SRTPError) {
        try Self.checkRTPHeader(packet)
        try Self.transform(&packet, room: 0, "srtp_unprotect") { srtp_unprotect(inbound, $0, $1) }
    }

    /// Checks and decrypts an SRTCP packet, removing its index and tag.
    public func unprotectRTCP(_ packet: inout ByteBuffer) throws(SRTPError) {
        try Self.checkRTCPHeader(packet)
        try Self.transform(&packet, room: 0, "srtp_unprotect_rtcp") { srtp_unprotect_rtcp(inbound, $0, $1) }
    }

    // MARK: Steps

    private static func context(profile: SRTPProfile, key: [UInt8], salt: [UInt8], direction: srtp_ssrc_type_t) throws(SRTPError) -> srtp_t {
        guard key.count == profile.keyLength, salt.count == profile.saltLength else {
            throw .badKeys(reason: "\(key.count)-byte key and \(salt.count)-byte salt; \(profile) takes \(profile.keyLength) and \(profile.saltLength)")
        }
        var policy = srtp_policy_t()
        switch profile {
        case .aes128CmHmacSha1_80:
            // libsrtp's defaults are AES_CM_128_HMAC_SHA1_80 (its named setter is a macro for these).
            srtp_crypto_policy_set_rtp_default(&policy.rtp)
            srtp_crypto_policy_set_rtcp_default(&policy.rtcp)
        case .aeadAes128Gcm:
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp)
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp)
        }
        policy.ssrc.type = direction
        policy.window_size = UInt(replayWindow)
        policy.allow_repeat_tx = 1
        policy.next = nil
        // libsrtp takes the master key and salt as one run of bytes, and copies them in srtp_create.
        var keyAndSalt = key + salt
        var session: srtp_t?
        let status = keyAndSalt.withUnsafeMutableBufferPointer { bytes in
            policy.key = bytes.baseAddress
            return srtp_create(&session, &policy)
        }
        for index in keyAndSalt.indices { keyAndSalt[index] = 0 }
        guard status == srtp_err_status_ok, let session else { throw .libsrtp(call: "srtp_create", status: status.rawValue) }
        return session
    }

    /// Runs a libsrtp call on the packet's bytes in place, with `room` bytes of space after
    /// them, and sets the buffer's length to what the call left.
    private static func transform(
        _ packet: inout ByteBuffer, room: Int, _ call: String,
        _ body: (UnsafeMutableRawPointer, UnsafeMutablePointer<Int32>) -> srtp_err_status_t
    ) throws(SRTPError) {
        let length = packet.readableBytes
        guard length <= maximumPacketLength else { throw .malformedPacket(reason: "\(length) bytes, longer than a UDP datagram") }
        if room > 0 { packet.writeRepeatingByte(0, count: room) }
        var produced = Int32(length)
        let status = packet.withUnsafeMutableReadableBytes { bytes in body(bytes.baseAddress!, &produced) }
        guard status == srtp_err_status_ok, produced >= 0, Int(produced) <= length + room else {
            packet.moveWriterIndex(to: packet.readerIndex + length)
            throw error(status, call)
        }
        packet.moveWriterIndex(to: packet.readerIndex + Int(produced))
    }

    private static func error(_ status: srtp_err_status_t, _ call: String) -> SRTPError {
        switch status {
        case srtp_err_status_auth_fail: .authenticationFailed
        case srtp_err_status_replay_fail, srtp_err_status_replay_old: .replay
        case srtp_err_status_bad_param: .malformedPacket(reason: "libsrtp refused it as a bad parameter")
        default: .libsrtp(call: call, status: status.rawValue)
        }
    }

    /// RFC 3550 §5.1: version 2, and the fixed header, CSRC list and header extension (whose
    /// length word is in 32-bit units) inside the packet. libsrtp reads them all.
    ///
    ///      0                   1                   2                   3
    ///     |V=2|P|X|  CC   |M|     PT      |       sequence number         |
    ///     |                           timestamp                           |
    ///     |           synchronization source (SSRC) identifier            |
    ///     |            contributing source (CSRC) identifiers             |
    ///     |      defined by profile       |           length              |
    static func checkRTPHeader(_ packet: ByteBuffer) throws(SRTPError) {
        let length = packet.readableBytes
        guard length >= 12, let first = packet.getInteger(at: packet.readerIndex, as: UInt8.self) else {
            throw .malformedPacket(reason: "\(length) bytes, shorter than an RTP header")
        }
        guard first >> 6 == 2 else { throw .malformedPacket(reason: "RTP version \(first >> 6)") }
        var header = 12 + 4 * Int(first & 0x0F)
        if first & 0x10 != 0 {
            guard header + 4 <= length, let words = packet.getInteger(at: packet.readerIndex + header + 2, as: UInt16.self) else {
                throw .malformedPacket(reason: "the header extension is past the packet's end")
            }
            header += 4 + 4 * Int(words)
        }
        guard header <= length else { throw .malformedPacket(reason: "a \(header)-byte header in \(length) bytes") }
    }

    /// RFC 3550 §6.4: version 2 and at least the first packet's header and SSRC.
    static func checkRTCPHeader(_ packet: ByteBuffer) throws(SRTPError) {
        let length = packet.readableBytes
        guard length >= 8, let first = packet.getInteger(at: packet.readerIndex, as: UInt8.self) else {
            throw .malformedPacket(reason: "\(length) bytes, shorter than an RTCP header")
        }
        guard first >> 6 == 2 else { throw .malformedPacket(reason: "RTCP version \(first >> 6)") }
    }
}
