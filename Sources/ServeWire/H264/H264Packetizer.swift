import NIOCore

/// RTP payload for H.264 — RFC 6184 §5.6–5.8, packetization-mode=1 (non-interleaved).
///
/// `parts` are the NAL units of ONE access unit (no start codes, no length prefixes). Runs of
/// consecutive NAL units that fit in one packet together (SPS, PPS, SEI, small slices) travel as
/// one STAP-A (§5.7.1); a lone NAL unit that fits travels as a single NAL unit packet (§5.6); a
/// NAL unit larger than the MTU is split into FU-A fragments (§5.8). The marker bit is set on the
/// last packet of the access unit (§5.1). `mtu` bounds the whole RTP packet (header + payload).
public struct H264Packetizer: RTPPacketizer {
    /// Each aggregation unit in a STAP-A is preceded by its 16-bit size (§5.7.1).
    static let aggregationUnitSizeLength = 2
    /// A STAP-A begins with its own one-byte NAL unit header (type 24).
    static let stapAHeaderLength = 1
    /// A FU-A begins with the FU indicator and the FU header (§5.8).
    static let fuAHeaderLength = 2
    /// FU header bits (§5.8): S(tart), E(nd), R(eserved, 0).
    static let fuStartBit: UInt8 = 0x80
    static let fuEndBit: UInt8 = 0x40

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

    /// Packetizes one access unit. Empty parts are skipped: a NAL unit has at least its header byte.
    public mutating func packetize(parts: [[UInt8]], timestamp: UInt32, into packets: inout [ByteBuffer]) {
        let nalUnits = parts.filter { !$0.isEmpty }
        let maxPayload = sequencer.maxPayloadSize
        var index = 0
        while index < nalUnits.count {
            let nal = nalUnits[index]
            if nal.count > maxPayload {
                let isLastNAL = index == nalUnits.count - 1
                appendFragments(of: nal, timestamp: timestamp, lastInAccessUnit: isLastNAL, into: &packets)
                index += 1
                continue
            }
            // Gather the longest run starting here that fits one STAP-A.
            var end = index + 1
            var stapSize = Self.stapAHeaderLength + Self.aggregationUnitSizeLength + nal.count
            while end < nalUnits.count {
                let next = stapSize + Self.aggregationUnitSizeLength + nalUnits[end].count
                guard next <= maxPayload else { break }
                stapSize = next
                end += 1
            }
            let isLast = end == nalUnits.count
            if end - index == 1 {
                appendSingle(nal, timestamp: timestamp, marker: isLast, into: &packets)
            } else {
                appendAggregate(nalUnits[index..<end], size: stapSize, timestamp: timestamp, marker: isLast, into: &packets)
            }
            index = end
        }
    }

    /// §5.6 single NAL unit packet: the payload is the NAL unit, header byte included.
    private mutating func appendSingle(_ nal: [UInt8], timestamp: UInt32, marker: Bool, into packets: inout [ByteBuffer]) {
        var packet = sequencer.startPacket(
            payloadSize: nal.count, marker: marker, timestamp: timestamp, allocator: allocator
        )
        packet.writeBytes(nal)
        packets.append(packet)
    }

    /// §5.7.1 STAP-A:
    /// ```
    /// |STAP-A NAL HDR |         NALU 1 Size           | NALU 1 HDR    |
    /// |                         NALU 1 Data                           |
    /// |               |         NALU 2 Size           | NALU 2 HDR    |
    /// |                         NALU 2 Data                           |
    /// ```
    /// F is the OR of the units' F bits and NRI their maximum (§5.7).
    private mutating func appendAggregate(
        _ nalUnits: ArraySlice<[UInt8]>, size: Int, timestamp: UInt32, marker: Bool, into packets: inout [ByteBuffer]
    ) {
        var forbidden: UInt8 = 0
        var nri: UInt8 = 0
        for nal in nalUnits {
            forbidden |= nal[0] & H264NALUnit.forbiddenBitMask
            nri = max(nri, nal[0] & H264NALUnit.nriMask)
        }
        var packet = sequencer.startPacket(payloadSize: size, marker: marker, timestamp: timestamp, allocator: allocator)
        packet.writeInteger(forbidden | nri | H264NALUnit.stapA)
        for nal in nalUnits {
            packet.writeInteger(UInt16(nal.count))
            packet.writeBytes(nal)
        }
        packets.append(packet)
    }

    /// §5.8 FU-A: the NAL unit header is not sent; its F and NRI go in the FU indicator and its
    /// type in the FU header.
    /// ```
    /// | FU indicator  |   FU header   |                               |
    /// |F|NRI|  Type=28|S|E|R|  Type   |      FU payload ...           |
    /// ```
    private mutating func appendFragments(
        of nal: [UInt8], timestamp: UInt32, lastInAccessUnit: Bool, into packets: inout [ByteBuffer]
    ) {
        let header = nal[0]
        let indicator = (header & (H264NALUnit.forbiddenBitMask | H264NALUnit.nriMask)) | H264NALUnit.fuA
        let fragmentCapacity = sequencer.maxPayloadSize - Self.fuAHeaderLength
        var offset = 1
        while offset < nal.count {
            let fragmentEnd = min(offset + fragmentCapacity, nal.count)
            let isFirst = offset == 1
            let isEnd = fragmentEnd == nal.count
            var fuHeader = H264NALUnit.type(header)
            if isFirst { fuHeader |= Self.fuStartBit }
            if isEnd { fuHeader |= Self.fuEndBit }
            var packet = sequencer.startPacket(
                payloadSize: Self.fuAHeaderLength + fragmentEnd - offset, marker: isEnd && lastInAccessUnit,
                timestamp: timestamp, allocator: allocator
            )
            packet.writeInteger(indicator)
            packet.writeInteger(fuHeader)
            packet.writeBytes(nal[offset..<fragmentEnd])
            packets.append(packet)
            offset = fragmentEnd
        }
    }
}
