/// Why bytes on an RTSP connection are not a response (RFC 2326 §7).
public enum RTSPResponseParseError: Error, Hashable, Sendable {
    case malformedStatusLine
    case malformedHeader
    case statusLineTooLong
    case headerSectionTooLarge
    case tooManyHeaders
    case badContentLength
    case bodyTooLarge
    case unsupportedVersion
}
