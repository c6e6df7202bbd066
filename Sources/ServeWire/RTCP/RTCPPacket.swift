import NIOCore

/// One packet of an RTCP compound packet — RFC 3550 §6.4–6.6. Types Vigil does not interpret
/// (APP, RTPFB/PSFB feedback of RFC 4585, XR …) are kept whole as `.other`.
///
/// Every RTCP packet starts with the same header (§6.4.1):
/// ```
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |V=2|P|  count  |      PT       |             length            |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
/// `length` is the packet's size in 32-bit words minus one, header and padding included.
public enum RTCPPacket: Hashable, Sendable {
    case senderReport(SenderReport)
    case receiverReport(ReceiverReport)
    case sourceDescription(SourceDescription)
    case goodbye(Goodbye)
    /// `count` is the 5-bit field of the header (its meaning depends on the type, e.g. FMT for
    /// RFC 4585 feedback); `body` is what follows the 4-byte header, padding removed.
    case other(packetType: UInt8, count: UInt8, body: ByteBuffer)

    /// The packet type of the first header this packet writes.
    public var packetType: UInt8 {
        switch self {
        case .senderReport: SenderReport.packetType
        case .receiverReport: ReceiverReport.packetType
        case .sourceDescription: SourceDescription.packetType
        case .goodbye: Goodbye.packetType
        case .other(let packetType, _, _): packetType
        }
    }
}
