import NIOCore

/// RTCP compound packets — RFC 3550 §6.1: one or more RTCP packets back to back in one datagram
/// (or one interleaved frame).
public enum RTCPCompound {
    /// The 5-bit count field: at most 31 report blocks, chunks or sources per packet (§6.4.1).
    public static let maxCount = 31
    /// version (2 bits), padding (1), count (5), packet type (8), length (16).
    static let headerSize = 4
    private static let paddingBit: UInt8 = 0x20
    private static let countMask: UInt8 = 0x1F

    /// Writes `packets` in order. Lists longer than the 5-bit count allows are split as §6.4.2
    /// says: report blocks beyond 31 go into following RR packets from the same SSRC, and SDES
    /// chunks or BYE sources beyond 31 into following SDES or BYE packets (a BYE's reason goes
    /// with its last source). SDES chunks and BYE reasons are null-padded to 32 bits (§6.5,
    /// §6.6); an `.other` body is zero-padded to 32 bits. No RTCP padding (P bit) is written.
    public static func write(_ packets: [RTCPPacket], into buffer: inout ByteBuffer) {
        for packet in packets {
            switch packet {
            case .senderReport(var report):
                let overflow = Array(report.reports.dropFirst(maxCount))
                report.reports = Array(report.reports.prefix(maxCount))
                writePacket(type: SenderReport.packetType, count: report.reports.count, into: &buffer) {
                    report.writeBody(into: &$0)
                }
                writeOverflowReports(overflow, ssrc: report.ssrc, into: &buffer)
            case .receiverReport(let report):
                let first = ReceiverReport(ssrc: report.ssrc, reports: Array(report.reports.prefix(maxCount)))
                writePacket(type: ReceiverReport.packetType, count: first.reports.count, into: &buffer) {
                    first.writeBody(into: &$0)
                }
                writeOverflowReports(Array(report.reports.dropFirst(maxCount)), ssrc: report.ssrc, into: &buffer)
            case .sourceDescription(let description):
                for chunks in description.chunks.chunked(by: maxCount, keepingOneEmpty: true) {
                    let part = SourceDescription(chunks: chunks)
                    writePacket(type: SourceDescription.packetType, count: chunks.count, into: &buffer) {
                        part.writeBody(into: &$0)
                    }
                }
            case .goodbye(let goodbye):
                let groups = goodbye.ssrcs.chunked(by: maxCount, keepingOneEmpty: true)
                for (index, ssrcs) in groups.enumerated() {
                    let part = Goodbye(ssrcs: ssrcs, reason: index == groups.count - 1 ? goodbye.reason : nil)
                    writePacket(type: Goodbye.packetType, count: ssrcs.count, into: &buffer) {
                        part.writeBody(into: &$0)
                    }
                }
            case .other(let packetType, let count, let body):
                writePacket(type: packetType, count: Int(count & countMask), into: &buffer) {
                    $0.writeImmutableBuffer(body)
                    $0.writeRepeatingByte(0, count: (4 - body.readableBytes % 4) % 4)
                }
            }
        }
    }

    /// §6.4.2: "If there are more than 31 sources, additional RR packets SHOULD follow".
    private static func writeOverflowReports(_ reports: [ReceptionReport], ssrc: UInt32, into buffer: inout ByteBuffer) {
        for blocks in reports.chunked(by: maxCount, keepingOneEmpty: false) {
            let extra = ReceiverReport(ssrc: ssrc, reports: blocks)
            writePacket(type: ReceiverReport.packetType, count: blocks.count, into: &buffer) {
                extra.writeBody(into: &$0)
            }
        }
    }

    /// Writes the common header, the body, then fills in the length in 32-bit words minus one.
    private static func writePacket(
        type: UInt8, count: Int, into buffer: inout ByteBuffer, body: (inout ByteBuffer) -> Void
    ) {
        let start = buffer.writerIndex
        buffer.writeInteger(RTPHeader.version << 6 | UInt8(count))
        buffer.writeInteger(type)
        buffer.writeInteger(UInt16(0))
        body(&buffer)
        let words = (buffer.writerIndex - start) / 4 - 1
        buffer.setInteger(UInt16(words), at: start + 2)
    }

    /// Parses a compound packet with the validity checks of RFC 3550 Appendix A.2: every packet
    /// has version 2, only the last may be padded, and the lengths add up to exactly the datagram.
    ///
    /// Deliberately lenient on one point: A.2 also wants the first packet to be an SR or RR,
    /// but reduced-size RTCP (RFC 5506) sends lone feedback packets, and some clients send a lone
    /// BYE on teardown. A receiver loses nothing by reading them, so any first packet is accepted.
    public static func parse(_ buffer: ByteBuffer) throws(RTCPParseError) -> [RTCPPacket] {
        var reader = buffer
        guard reader.readableBytes > 0 else { throw .empty }
        var packets: [RTCPPacket] = []
        while reader.readableBytes > 0 {
            // |V=2|P|  count  |      PT       |             length            |
            guard
                let first = reader.getInteger(at: reader.readerIndex, as: UInt8.self),
                let packetType = reader.getInteger(at: reader.readerIndex + 1, as: UInt8.self),
                let words = reader.getInteger(at: reader.readerIndex + 2, as: UInt16.self)
            else { throw .truncated }
            guard first >> 6 == RTPHeader.version else { throw .badVersion }
            let packetSize = (Int(words) + 1) * 4
            guard var packet = reader.readSlice(length: packetSize) else { throw .truncated }
            packet.moveReaderIndex(forwardBy: headerSize)

            if first & paddingBit != 0 {
                // Only the last packet of a compound may carry padding (§6.4.1, A.2).
                guard reader.readableBytes == 0 else { throw .badPadding }
                let count = Int(packet.getInteger(at: packet.writerIndex - 1, as: UInt8.self) ?? 0)
                guard count > 0, count <= packet.readableBytes else { throw .badPadding }
                packet.moveWriterIndex(to: packet.writerIndex - count)
            }
            packets.append(try parsePacket(type: packetType, count: Int(first & countMask), body: packet))
        }
        return packets
    }

    private static func parsePacket(type: UInt8, count: Int, body: ByteBuffer) throws(RTCPParseError) -> RTCPPacket {
        switch type {
        case SenderReport.packetType:
            guard let report = SenderReport(body: body, reportCount: count) else { throw .malformed(packetType: type) }
            return .senderReport(report)
        case ReceiverReport.packetType:
            guard let report = ReceiverReport(body: body, reportCount: count) else { throw .malformed(packetType: type) }
            return .receiverReport(report)
        case SourceDescription.packetType:
            guard let description = SourceDescription(body: body, chunkCount: count) else {
                throw .malformed(packetType: type)
            }
            return .sourceDescription(description)
        case Goodbye.packetType:
            guard let goodbye = Goodbye(body: body, sourceCount: count) else { throw .malformed(packetType: type) }
            return .goodbye(goodbye)
        default:
            return .other(packetType: type, count: UInt8(count), body: body)
        }
    }
}

extension Array {
    /// Consecutive groups of at most `size` elements; an empty array gives one empty group when
    /// `keepingOneEmpty` (an SDES or BYE with nothing in it is still one packet), else none.
    func chunked(by size: Int, keepingOneEmpty: Bool) -> [[Element]] {
        if isEmpty { return keepingOneEmpty ? [[]] : [] }
        return stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}
