/// Why a Transport header (RFC 2326 §12.39) could not be used.
public enum TransportParseError: Error, Hashable, Sendable {
    /// The header holds no transport spec.
    case empty
    /// The transport-protocol/profile part is not `RTP/<profile>[/UDP|TCP]`.
    case unsupportedProtocol(String)
    /// A lower transport other than UDP or TCP.
    case unsupportedLowerTransport(String)
    /// A known parameter with a value that does not parse (a port out of range, a bad ssrc …).
    case badParameter(String)
}
