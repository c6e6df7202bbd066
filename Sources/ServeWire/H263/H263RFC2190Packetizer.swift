import NIOCore

/// RTP payload for H.263 (1996) — RFC 2190 §5.1, mode A only.
///
/// `parts` are the byte-aligned segments of ONE picture, each beginning with a picture or GOB
/// start code (what `H263Encoder` produces). Mode A packets must begin at a picture or GOB
/// start (§4.1), so packets carry whole segments: as many as fit. A segment that alone is
/// larger than the MTU is sent whole, in one larger packet — splitting inside a GOB needs
/// mode B's macroblock-level state, which Vigil does not send; at the rates H.263 is used
/// for, a GOB rarely comes near 1400 bytes. Segments are byte-aligned, so SBIT and EBIT are 0.
///
/// ```
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |F|P|SBIT |EBIT | SRC |I|U|S|A|R      |DBQ| TRB |    TR         |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
/// SRC, I, U, S, A and TR repeat the picture header (read from the picture's first part);
/// F=0 (mode A), P=0 and DBQ=TRB=0 (no PB-frames).
public struct H263RFC2190Packetizer: RTPPacketizer {
    static let modeAHeaderLength = 4

    private var sequencer: RTPPacketSequencer
    private let allocator: ByteBufferAllocator

    public var payloadType: UInt8 { sequencer.payloadType }
    public var ssrc: UInt32 { sequencer.ssrc }
    public var nextSequenceNumber: UInt16 { sequencer.nextSequenceNumber }
    public var packetCount: UInt32 { sequencer.packetCount }
    public var octetCount: UInt32 { sequencer.octetCount }

    public init(
        payloadType: UInt8 = 34, ssrc: UInt32, initialSequenceNumber: UInt16, mtu: Int = 1400, headroom: Int = 0,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) {
        self.sequencer = RTPPacketSequencer(
            payloadType: payloadType, ssrc: ssrc, initialSequenceNumber: initialSequenceNumber, mtu: mtu, headroom: headroom)
        self.allocator = allocator
    }

    /// The mode A header for a picture (SBIT = EBIT = 0).
    static func modeAHeader(_ picture: H263PictureHeader) -> [UInt8] {
        var second = (picture.sourceFormat & 0x07) << 5                 // SRC
        if picture.isInter { second |= 0x10 }                          // I
        if picture.unrestrictedMotionVectors { second |= 0x08 }         // U
        if picture.syntaxBasedArithmeticCoding { second |= 0x04 }       // S
        if picture.advancedPrediction { second |= 0x02 }                // A
        return [
            0x00,                       // F=0, P=0, SBIT=0, EBIT=0
            second,                     // SRC, I, U, S, A, first bit of R
            0x00,                       // rest of R, DBQ=0, TRB=0
            picture.temporalReference,  // TR
        ]
    }

    public mutating func packetize(parts: [[UInt8]], timestamp: UInt32, into packets: inout [ByteBuffer]) {
        let segments = parts.filter { !$0.isEmpty }
        guard let first = segments.first else { return }
        // A picture always starts with its header; without one (not H.263) nothing is sent.
        guard let picture = H263PictureHeader(first) else { return }
        let header = Self.modeAHeader(picture)
        let capacity = sequencer.maxPayloadSize - Self.modeAHeaderLength
        var index = 0
        while index < segments.count {
            var end = index + 1
            var size = segments[index].count
            while end < segments.count, size + segments[end].count <= capacity {
                size += segments[end].count
                end += 1
            }
            var packet = sequencer.startPacket(
                payloadSize: Self.modeAHeaderLength + size, marker: end == segments.count, timestamp: timestamp,
                allocator: allocator)
            packet.writeBytes(header)
            for segment in segments[index..<end] { packet.writeBytes(segment) }
            packets.append(packet)
            index = end
        }
    }
}
