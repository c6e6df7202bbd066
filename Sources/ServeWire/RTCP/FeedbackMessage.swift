import NIOCore

/// RTCP feedback a receiver sends to ask for repair — RFC 4585 §6 (generic NACK, PLI) and
/// RFC 5104 §4.3.1 (FIR).
///
/// ```
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |V=2|P|   FMT   |       PT      |          length               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                  SSRC of packet sender                        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                  SSRC of media source                         |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// :            Feedback Control Information (FCI)                 :
/// ```
/// Generic NACK (PT 205 RTPFB, FMT 1): FCI entries of PID (16) and BLP (16), each naming
/// PID and every PID + i + 1 whose bit i is set in BLP. PLI (PT 206 PSFB, FMT 1): no FCI.
/// FIR (PT 206, FMT 4): the media source field is 0; FCI entries of SSRC (32), Seq nr (8),
/// reserved (24).
///
/// Two congestion-control reports WebRTC receivers send are read too (Vigil's shared encoder
/// is steered by receiver reports; these are kept as the viewer's statistics):
/// REMB (PT 206, FMT 15, draft-alvestrand-rmcat-remb-03 §2.2): media source 0, FCI of the
/// four bytes "REMB", Num SSRC (8), BR Exp (6), BR Mantissa (18), then the SSRCs it is about;
/// transport-wide feedback (PT 205, FMT 15, draft-holmer-rmcat-transport-wide-cc-extensions-01
/// §3.1): base sequence number (16), packet status count (16), reference time (24, signed, in
/// 64 ms), feedback packet count (8), then status chunks and deltas (not decoded).
public enum FeedbackMessage: Hashable, Sendable {
    case genericNACK(sender: UInt32, mediaSource: UInt32, lost: [UInt16])
    case pictureLossIndication(sender: UInt32, mediaSource: UInt32)
    case fullIntraRequest(sender: UInt32, requests: [FullIntraRequestEntry])
    case receiverEstimatedMaximumBitrate(sender: UInt32, bitsPerSecond: UInt64, ssrcs: [UInt32])
    case transportWideFeedback(
        sender: UInt32, mediaSource: UInt32, baseSequence: UInt16, statusCount: UInt16, referenceTime: Int32, feedbackCount: UInt8)

    public struct FullIntraRequestEntry: Hashable, Sendable {
        public var ssrc: UInt32
        public var sequenceNumber: UInt8
        public init(ssrc: UInt32, sequenceNumber: UInt8) {
            self.ssrc = ssrc
            self.sequenceNumber = sequenceNumber
        }
    }

    static let transportLayerFeedback: UInt8 = 205
    static let payloadSpecificFeedback: UInt8 = 206
    /// FMT 15: "application layer feedback" (PSFB, REMB's) and transport-wide CC's (RTPFB).
    static let extendedFormat: UInt8 = 15
    static let rembIdentifier: [UInt8] = Array("REMB".utf8)

    /// Decodes an RTCP packet that `RTCPCompound.parse` left as `.other`; nil for any other
    /// feedback (or a malformed one: feedback is advisory, so it is dropped, not fatal).
    public init?(_ packet: RTCPPacket) {
        guard case .other(let type, let format, var body) = packet,
            let sender: UInt32 = body.readInteger(), let source: UInt32 = body.readInteger()
        else { return nil }
        switch (type, format) {
        case (Self.transportLayerFeedback, 1):
            var lost: [UInt16] = []
            while let pid: UInt16 = body.readInteger(), let blp: UInt16 = body.readInteger() {
                lost.append(pid)
                for bit in 0..<16 where blp & (1 << bit) != 0 { lost.append(pid &+ UInt16(bit + 1)) }
            }
            guard !lost.isEmpty else { return nil }
            self = .genericNACK(sender: sender, mediaSource: source, lost: lost)
        case (Self.payloadSpecificFeedback, 1):
            self = .pictureLossIndication(sender: sender, mediaSource: source)
        case (Self.payloadSpecificFeedback, 4):
            var requests: [FullIntraRequestEntry] = []
            while let ssrc: UInt32 = body.readInteger(), let seq: UInt8 = body.readInteger() {
                body.moveReaderIndex(forwardBy: min(3, body.readableBytes))
                requests.append(FullIntraRequestEntry(ssrc: ssrc, sequenceNumber: seq))
            }
            guard !requests.isEmpty else { return nil }
            self = .fullIntraRequest(sender: sender, requests: requests)
        case (Self.payloadSpecificFeedback, Self.extendedFormat):
            guard body.readBytes(length: 4) == Self.rembIdentifier, let count: UInt8 = body.readInteger(),
                let rate: UInt8 = body.readInteger(), let mantissaLow: UInt16 = body.readInteger()
            else { return nil }
            let exponent = rate >> 2
            let mantissa = UInt64(rate & 0x03) << 16 | UInt64(mantissaLow)
            // An 18-bit mantissa shifted by up to 63 overflows; such a claim means "no limit".
            let bits = exponent > 46 ? UInt64.max : mantissa << exponent
            var ssrcs: [UInt32] = []
            for _ in 0..<count {
                guard let ssrc: UInt32 = body.readInteger() else { return nil }
                ssrcs.append(ssrc)
            }
            self = .receiverEstimatedMaximumBitrate(sender: sender, bitsPerSecond: bits, ssrcs: ssrcs)
        case (Self.transportLayerFeedback, Self.extendedFormat):
            guard let base: UInt16 = body.readInteger(), let count: UInt16 = body.readInteger(),
                let reference: UInt32 = body.readInteger()
            else { return nil }
            // The top 24 bits are the reference time, signed (two's complement), the low 8 the count.
            let time = Int32(bitPattern: reference) >> 8
            self = .transportWideFeedback(
                sender: sender, mediaSource: source, baseSequence: base, statusCount: count, referenceTime: time,
                feedbackCount: UInt8(reference & 0xFF))
        default:
            return nil
        }
    }

    /// The packet as `RTCPCompound.write` takes it. NACK entries are packed: each PID with
    /// the following 16 sequence numbers in its BLP.
    public var packet: RTCPPacket {
        var body = ByteBuffer()
        switch self {
        case .genericNACK(let sender, let source, let lost):
            body.writeInteger(sender)
            body.writeInteger(source)
            var remaining = lost
            while let pid = remaining.first {
                var blp: UInt16 = 0
                remaining.removeAll { seq in
                    let distance = seq &- pid
                    if distance == 0 { return true }
                    if distance >= 1 && distance <= 16 {
                        blp |= 1 << (distance - 1)
                        return true
                    }
                    return false
                }
                body.writeInteger(pid)
                body.writeInteger(blp)
            }
            return .other(packetType: Self.transportLayerFeedback, count: 1, body: body)
        case .pictureLossIndication(let sender, let source):
            body.writeInteger(sender)
            body.writeInteger(source)
            return .other(packetType: Self.payloadSpecificFeedback, count: 1, body: body)
        case .fullIntraRequest(let sender, let requests):
            body.writeInteger(sender)
            body.writeInteger(UInt32(0))
            for request in requests {
                body.writeInteger(request.ssrc)
                body.writeInteger(request.sequenceNumber)
                body.writeRepeatingByte(0, count: 3)
            }
            return .other(packetType: Self.payloadSpecificFeedback, count: 4, body: body)
        case .receiverEstimatedMaximumBitrate(let sender, let bits, let ssrcs):
            body.writeInteger(sender)
            body.writeInteger(UInt32(0))
            body.writeBytes(Self.rembIdentifier)
            body.writeInteger(UInt8(min(ssrcs.count, 255)))
            var exponent: UInt8 = 0
            var mantissa = bits
            while mantissa >= 1 << 18 {
                mantissa >>= 1
                exponent += 1
            }
            body.writeInteger(exponent << 2 | UInt8(mantissa >> 16))
            body.writeInteger(UInt16(mantissa & 0xFFFF))
            for ssrc in ssrcs.prefix(255) { body.writeInteger(ssrc) }
            return .other(packetType: Self.payloadSpecificFeedback, count: Self.extendedFormat, body: body)
        case .transportWideFeedback(let sender, let source, let base, let count, let time, let feedbackCount):
            // The header only: chunks are not kept, so a count of statuses without them is
            // what this writes (for tests of the reader; Vigil sends no such feedback).
            body.writeInteger(sender)
            body.writeInteger(source)
            body.writeInteger(base)
            body.writeInteger(count)
            body.writeInteger(UInt32(bitPattern: time << 8) | UInt32(feedbackCount))
            return .other(packetType: Self.transportLayerFeedback, count: Self.extendedFormat, body: body)
        }
    }

    /// Whether the message asks for a key frame of `ssrc`.
    public func asksForKeyFrame(of ssrc: UInt32) -> Bool {
        switch self {
        case .pictureLossIndication(_, let source): return source == ssrc
        case .fullIntraRequest(_, let requests): return requests.contains { $0.ssrc == ssrc }
        case .genericNACK, .receiverEstimatedMaximumBitrate, .transportWideFeedback: return false
        }
    }
}
