import NIOCore

/// RTP payload for G.711 — RFC 3551 §4.5.14 (PCMU, static PT 0; PCMA, static PT 8; a dynamic
/// PT for other rates or channel counts).
///
/// One packet per part. A part larger than the MTU allows is split at sample-frame boundaries,
/// each packet's timestamp advancing by the sample frames before it (one octet per sample,
/// RFC 3551 §4.5.14). The marker bit is always zero: Vigil does not suppress silence, and
/// RFC 3551 §4.1 says "Applications without silence suppression MUST set the marker bit to zero."
public struct G711Packetizer: RTPPacketizer {
    private var sequencer: RTPPacketSequencer
    private let allocator: ByteBufferAllocator
    /// Interleaved channels; one octet per channel per sample frame.
    public let channels: Int

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
        self.init(
            payloadType: payloadType, ssrc: ssrc, initialSequenceNumber: initialSequenceNumber, channels: 1, mtu: mtu,
            headroom: headroom, allocator: allocator
        )
    }

    /// A packetizer for interleaved multi-channel G.711 (only with a dynamic payload type).
    public init(
        payloadType: UInt8, ssrc: UInt32, initialSequenceNumber: UInt16, channels: Int, mtu: Int = 1400,
        headroom: Int = 0, allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) {
        precondition(channels >= 1, "G.711 needs at least one channel")
        self.sequencer = RTPPacketSequencer(
            payloadType: payloadType, ssrc: ssrc, initialSequenceNumber: initialSequenceNumber, mtu: mtu,
            headroom: headroom
        )
        precondition(sequencer.maxPayloadSize >= channels, "MTU \(mtu) cannot hold one sample frame")
        self.channels = channels
        self.allocator = allocator
    }

    /// `timestamp` is the RTP time of the first sample of the first part; each later part starts
    /// where the previous one ended.
    public mutating func packetize(parts: [[UInt8]], timestamp: UInt32, into packets: inout [ByteBuffer]) {
        // The largest payload that fits and holds whole sample frames.
        let maxChunk = sequencer.maxPayloadSize / channels * channels
        var sampleTime = timestamp
        for part in parts {
            var offset = 0
            while offset < part.count {
                let end = min(offset + maxChunk, part.count)
                var packet = sequencer.startPacket(
                    payloadSize: end - offset, marker: false, timestamp: sampleTime, allocator: allocator
                )
                packet.writeBytes(part[offset..<end])
                packets.append(packet)
                sampleTime &+= UInt32(truncatingIfNeeded: (end - offset) / channels)
                offset = end
            }
        }
    }
}
