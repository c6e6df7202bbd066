/// Why a datagram is not a valid RTCP compound packet (RFC 3550 §6.1, Appendix A.2).
public enum RTCPParseError: Error, Hashable, Sendable {
    /// No bytes at all.
    case empty
    /// A header, or the length it announces, runs past the end of the datagram.
    case truncated
    /// A packet's version field is not 2.
    case badVersion
    /// The P bit is set on a packet that is not the last, or the padding count is zero or longer
    /// than the packet.
    case badPadding
    /// A packet's body is too short for the count in its header.
    case malformed(packetType: UInt8)
}
