import NIOCore

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
