import NIOCore

/// RTP payload for H.263 (1998/2000) — RFC 4629 §5–6.
///
/// `parts` are the byte-aligned segments of ONE picture, each beginning with a start code: the
/// picture start code for the first, a GOB start code for the others (what `H263Encoder`
/// produces). Whole segments travel together while they fit in a packet; each packet that
/// begins at a segment begins at its start code, with P=1 and the start code's two leading
/// zero bytes left out (§6.1.1). A segment larger than a packet continues in follow-on
/// packets (P=0, §6.2). The marker bit is set on the picture's last packet (§5.1).
///
/// ```
///  0                   1
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |   RR    |P|V|   PLEN    |PEBIT|
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
/// RR is zero, V=0 (no Video Redundancy Coding), PLEN=0 (no extra picture header).
public struct H263RFC4629Packetizer: RTPPacketizer {
    /// The payload header above.
    static let payloadHeaderLength = 2
    /// The two zero bytes of a start code that P=1 stands for.
    static let omittedStartCodeLength = 2
    /// The P bit in the first header byte.
    static let pictureStartBit: UInt8 = 0x04

    private var sequencer: RTPPacketSequencer
    private let allocator: ByteBufferAllocator

    public var payloadType: UInt8 { sequencer.payloadType }
    public var ssrc: UInt32 { sequencer.ssrc }
    public var nextSequenceNumber: UInt16 { sequencer.nextSequenceNumber }
    public var packetCount: UInt32 { sequencer.packetCount }
    public var octetCount: UInt32 { sequencer.octetCount }

    public init(
        payloadType: UInt8, ssrc: UInt32, initialSequenceNumber: UInt16, mtu: Int = 1400, headroom: Int = 0,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) {
        self.sequencer = RTPPacketSequencer(
            payloadType: payloadType, ssrc: ssrc, initialSequenceNumber: initialSequenceNumber, mtu: mtu, headroom: headroom)
        self.allocator = allocator
    }

    public mutating func packetize(parts: [[UInt8]], timestamp: UInt32, into packets: inout [ByteBuffer]) {
        let segments = parts.filter { !$0.isEmpty }
        let capacity = sequencer.maxPayloadSize - Self.payloadHeaderLength
        var index = 0
        while index < segments.count {
            let first = segments[index]
            let startsWithStartCode = first.count >= 2 && first[0] == 0 && first[1] == 0
            let skip = startsWithStartCode ? Self.omittedStartCodeLength : 0
            if first.count - skip > capacity {
                // Too big for one packet: this segment alone, then follow-on packets.
                var offset = skip
                var isFirstFragment = true
                while offset < first.count {
                    let end = min(offset + capacity, first.count)
                    let isLast = end == first.count && index == segments.count - 1
                    append(first[offset..<end], startCode: isFirstFragment && startsWithStartCode, marker: isLast, timestamp: timestamp, into: &packets)
                    isFirstFragment = false
                    offset = end
                }
                index += 1
                continue
            }
            // Gather the following whole segments that still fit.
            var end = index + 1
            var size = first.count - skip
            while end < segments.count, size + segments[end].count <= capacity {
                size += segments[end].count
                end += 1
            }
            var payload = Array(first[skip...])
            for segment in segments[(index + 1)..<end] { payload += segment }
            append(payload[...], startCode: startsWithStartCode, marker: end == segments.count, timestamp: timestamp, into: &packets)
            index = end
        }
    }

    private mutating func append(_ payload: ArraySlice<UInt8>, startCode: Bool, marker: Bool, timestamp: UInt32, into packets: inout [ByteBuffer]) {
        var packet = sequencer.startPacket(
            payloadSize: Self.payloadHeaderLength + payload.count, marker: marker, timestamp: timestamp, allocator: allocator)
        packet.writeInteger(startCode ? Self.pictureStartBit : 0)  // RR=0, P, V=0, PLEN high bit 0
        packet.writeInteger(UInt8(0))                               // PLEN low bits 0, PEBIT 0
        packet.writeBytes(payload)
        packets.append(packet)
    }
}
