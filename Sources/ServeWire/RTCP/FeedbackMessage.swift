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
public enum FeedbackMessage: Hashable, Sendable {
    case genericNACK(sender: UInt32, mediaSource: UInt32, lost: [UInt16])
    case pictureLossIndication(sender: UInt32, mediaSource: UInt32)
    case fullIntraRequest(sender: UInt32, requests: [FullIntraRequestEntry])

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
        }
    }

    /// Whether the message asks for a key frame of `ssrc`.
    public func asksForKeyFrame(of ssrc: UInt32) -> Bool {
        switch self {
        case .pictureLossIndication(_, let source): return source == ssrc
        case .fullIntraRequest(_, let requests): return requests.contains { $0.ssrc == ssrc }
        case .genericNACK: return false
        }
    }
}
