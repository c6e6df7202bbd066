import NIOCore

/// RTP retransmission payload — RFC 4588 §4, SSRC-multiplexed (§8.3): a lost packet sent
/// again in its own stream, with its own payload type, SSRC and sequence numbers, so that a
/// receiver's loss statistics for the original stream stay true.
///
/// ```
/// |V=2|P|X|  CC   |M|  rtx PT     |   rtx sequence number         |
/// |              original timestamp                               |
/// |                 rtx SSRC                                      |
/// |            OSN                |  original payload ...         |
/// ```
///
/// A deterministic value like every packetizer: the SSRC and first sequence number are given.
public struct RetransmissionPacketizer: Sendable {
    /// The original sequence number field that starts the payload.
    public static let originalSequenceNumberSize = 2

    private var sequencer: RTPPacketSequencer

    public var payloadType: UInt8 { sequencer.payloadType }
    public var ssrc: UInt32 { sequencer.ssrc }
    public var nextSequenceNumber: UInt16 { sequencer.nextSequenceNumber }
    public var packetCount: UInt32 { sequencer.packetCount }
    public var octetCount: UInt32 { sequencer.octetCount }
    /// Bytes left free in front of each packet (for the interleaved frame header).
    public var headroom: Int { sequencer.headroom }

    public init(payloadType: UInt8, ssrc: UInt32, initialSequenceNumber: UInt16, headroom: Int = 0) {
        // No MTU of its own: a retransmission is its original plus the two OSN bytes.
        self.sequencer = RTPPacketSequencer(
            payloadType: payloadType, ssrc: ssrc, initialSequenceNumber: initialSequenceNumber,
            mtu: Int(UInt16.max), headroom: headroom)
    }

    /// The retransmission of `original` (a whole RTP packet as sent), or nil if it does not
    /// parse. Marker and timestamp are the original's (§4); CSRCs and extensions of the
    /// original would also be kept, but Vigil's packets carry none.
    public mutating func retransmission(of original: ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer? {
        guard let packet = try? RTPPacket(parsing: original) else { return nil }
        var buffer = sequencer.startPacket(
            payloadSize: Self.originalSequenceNumberSize + packet.payload.readableBytes,
            marker: packet.header.marker, timestamp: packet.header.timestamp, allocator: allocator)
        buffer.writeInteger(packet.header.sequenceNumber)
        buffer.writeImmutableBuffer(packet.payload)
        return buffer
    }

    /// The original packet inside a retransmission (§4: the OSN becomes the sequence number,
    /// the payload type and SSRC those of the original stream). For tests and receivers.
    public static func original(
        of retransmission: ByteBuffer, payloadType: UInt8, ssrc: UInt32
    ) throws(RTPParseError) -> RTPPacket {
        var packet = try RTPPacket(parsing: retransmission)
        guard let sequence = packet.payload.readInteger(as: UInt16.self) else { throw .tooShort }
        packet.header.sequenceNumber = sequence
        packet.header.payloadType = payloadType
        packet.header.ssrc = ssrc
        return packet
    }
}

/// The SDP side of RFC 4588 (§8.1): `a=rtpmap:<pt> rtx/<clock rate>` and
/// `a=fmtp:<pt> apt=<original pt>;rtx-time=<ms>`.
public enum RetransmissionFormat {
    public static let encodingName = "rtx"

    public static func fmtp(associatedPayloadType: UInt8, rtxTimeMilliseconds: Int) -> String {
        "apt=\(associatedPayloadType);rtx-time=\(rtxTimeMilliseconds)"
    }
}
