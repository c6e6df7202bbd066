import NIOCore

/// RTP payload for Opus — RFC 7587 §4.
///
/// One Opus packet per RTP packet: "An RTP payload MUST contain exactly one Opus packet"
/// (§4.2). Each part is one Opus packet; the timestamp counts 48 kHz samples whatever rate the
/// encoder ran at (§4.1), and each later part starts where the one before ended, by the duration
/// its TOC byte announces (RFC 6716 §3.1). The marker bit is used as RFC 3551 §4.1 says (§4.1);
/// Vigil does not use DTX, and "Applications without silence suppression MUST set the marker
/// bit to zero."
///
/// RFC 7587 has no fragmentation, so a packet larger than the MTU allows goes out whole (and
/// IP fragments it). Vigil's packets hold one 20 ms frame, at most the TOC byte and 1275 bytes
/// (RFC 6716 §3.2.1): within the default MTU.
public struct OpusPacketizer: RTPPacketizer {
    private var sequencer: RTPPacketSequencer
    private let allocator: ByteBufferAllocator

    public var payloadType: UInt8 { sequencer.payloadType }
    public var ssrc: UInt32 { sequencer.ssrc }
    public var nextSequenceNumber: UInt16 { sequencer.nextSequenceNumber }
    public var packetCount: UInt32 { sequencer.packetCount }
    public var octetCount: UInt32 { sequencer.octetCount }
    public var mtu: Int { sequencer.mtu }
    public var headroom: Int { sequencer.headroom }

    public init(
        payloadType: UInt8, ssrc: UInt32, initialSequenceNumber: UInt16, mtu: Int = 1400, headroom: Int = 0,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) {
        self.sequencer = RTPPacketSequencer(
            payloadType: payloadType, ssrc: ssrc, initialSequenceNumber: initialSequenceNumber, mtu: mtu,
            headroom: headroom
        )
        self.allocator = allocator
    }

    /// `timestamp` is the RTP time (48 kHz) of the first sample of the first part.
    public mutating func packetize(parts: [[UInt8]], timestamp: UInt32, into packets: inout [ByteBuffer]) {
        var sampleTime = timestamp
        for part in parts {
            // RFC 6716 §3.4 R1: an Opus packet has at least its TOC byte; nothing to send.
            guard !part.isEmpty else { continue }
            var packet = sequencer.startPacket(
                payloadSize: part.count, marker: false, timestamp: sampleTime, allocator: allocator
            )
            packet.writeBytes(part)
            packets.append(packet)
            // A part whose TOC announces no valid duration (no encoder makes one) moves the
            // clock by nothing rather than by a guess.
            sampleTime &+= UInt32(OpusPacket.duration(of: part) ?? 0)
        }
    }
}
