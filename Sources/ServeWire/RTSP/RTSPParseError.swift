/// Why bytes on an RTSP connection are not a request (RFC 2326 §6). The connection should
/// answer with `status` and close: after a framing error the byte stream cannot be resynchronized.
public enum RTSPParseError: Error, Hashable, Sendable {
    case malformedRequestLine
    case malformedHeader
    case requestLineTooLong
    case headerSectionTooLarge
    case tooManyHeaders
    case badContentLength
    case bodyTooLarge
    case unsupportedVersion

    /// The status to answer with.
    ///
    /// An oversized header section gets 400, not HTTP's 431 (RFC 6585): RTSP/1.0 has no 431,
    /// and an RTSP/1.0 client would read an unknown 4xx as plain 400 anyway (RFC 2326 §7.1.1).
    public var status: RTSPStatus {
        switch self {
        case .malformedRequestLine, .malformedHeader, .headerSectionTooLarge, .tooManyHeaders, .badContentLength:
            .badRequest
        case .requestLineTooLong: .requestURITooLarge
        case .bodyTooLarge: .requestEntityTooLarge
        case .unsupportedVersion: .versionNotSupported
        }
    }
}
