/// Why a datagram is not an RTP packet (RFC 3550 §5.1, Appendix A.1 validity checks).
public enum RTPParseError: Error, Hashable, Sendable {
    /// Fewer bytes than the fixed header, or than the CSRC list it announces.
    case tooShort
    /// The version field is not 2.
    case badVersion
    /// The P bit is set but the last octet's count is zero or longer than the payload.
    case badPadding
    /// The X bit is set but the extension header or its announced length runs past the end.
    case badExtension
}
