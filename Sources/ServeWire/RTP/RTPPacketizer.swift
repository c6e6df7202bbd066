import NIOCore

/// Common shape of payload-format packetizers: deterministic values whose SSRC and first
/// sequence number are init parameters (drawn at random by the composition root, RFC 3550
/// §5.1), with the counters a sender report needs (RFC 3550 §6.4.1).
public protocol RTPPacketizer: Sendable {
    var payloadType: UInt8 { get }
    var ssrc: UInt32 { get }
    /// The sequence number the next packet will carry.
    var nextSequenceNumber: UInt16 { get }
    /// RTP packets produced so far (the SR "sender's packet count", wrapping).
    var packetCount: UInt32 { get }
    /// Payload octets produced so far, headers excluded (the SR "sender's octet count", wrapping).
    var octetCount: UInt32 { get }
    /// Appends one RTP packet per element to `packets`. Each buffer has `headroom` writable bytes
    /// reserved BEFORE its readerIndex (readerIndex == headroom, readable bytes = exactly the RTP
    /// packet), so a caller can later fill an RFC 2326 §10.12 interleaved header there without
    /// copying.
    mutating func packetize(parts: [[UInt8]], timestamp: UInt32, into packets: inout [ByteBuffer])
}

/// The shared bookkeeping of Vigil's packetizers: numbering, counting, and buffers with headroom.
struct RTPPacketSequencer: Hashable, Sendable {
    /// Below this an MTU leaves no room for the header and one byte of a FU-A fragment
    /// (12 header + 2 FU bytes + 1 byte of data); anything smaller is a configuration error.
    static let minimumMTU = RTPHeader.size + 3

    let payloadType: UInt8
    let ssrc: UInt32
    let mtu: Int
    let headroom: Int
    var nextSequenceNumber: UInt16
    var packetCount: UInt32 = 0
    var octetCount: UInt32 = 0

    init(payloadType: UInt8, ssrc: UInt32, initialSequenceNumber: UInt16, mtu: Int, headroom: Int) {
        precondition(payloadType <= RTPHeader.maxPayloadType, "RTP payload types are 7 bits")
        precondition(mtu >= Self.minimumMTU, "MTU \(mtu) is below the minimum \(Self.minimumMTU)")
        precondition(headroom >= 0, "headroom cannot be negative")
        self.payloadType = payloadType
        self.ssrc = ssrc
        self.mtu = mtu
        self.headroom = headroom
        self.nextSequenceNumber = initialSequenceNumber
    }

    /// Payload bytes that fit in one packet.
    var maxPayloadSize: Int { mtu - RTPHeader.size }

    /// Starts a packet: a buffer with `headroom` reserved bytes before the reader index and the
    /// RTP header written. The caller appends `payloadSize` bytes of payload.
    mutating func startPacket(
        payloadSize: Int, marker: Bool, timestamp: UInt32, allocator: ByteBufferAllocator
    ) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: headroom + RTPHeader.size + payloadSize)
        buffer.moveWriterIndex(to: headroom)
        buffer.moveReaderIndex(to: headroom)
        let header = RTPHeader(
            marker: marker, payloadType: payloadType, sequenceNumber: nextSequenceNumber,
            timestamp: timestamp, ssrc: ssrc
        )
        header.write(into: &buffer)
        nextSequenceNumber &+= 1
        packetCount &+= 1
        octetCount &+= UInt32(truncatingIfNeeded: payloadSize)
        return buffer
    }
}
