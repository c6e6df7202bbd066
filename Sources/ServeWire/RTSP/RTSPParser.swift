import NIOCore

/// Incremental RTSP request parser — RFC 2326 §6, with interleaved frames (§10.12) between
/// requests.
///
/// `next` returns nil when more bytes are needed and throws when the input is malformed (the
/// connection should answer with `error.status` and close); on nil or throw the buffer is left
/// untouched (reader index unchanged). After nil, call again with the same buffer once more
/// bytes are appended (the parser remembers the lines it has read). Accepts CRLF or bare LF,
/// empty lines before a request, folded header lines, and a body of Content-Length bytes.
public struct RTSPParser: Sendable {
    /// Longest request line, line ending excluded. Real request lines are method + URL +
    /// version, under 300 bytes; 4 KiB leaves room for long tokens in URLs while bounding what
    /// a peer can make us buffer before we see a header. Longer → 414.
    public static let maxRequestLineLength = 4096
    /// Most header fields per request. Real clients send 3–12 (GStreamer's OPTIONS sends 11);
    /// 64 is generous and bounds per-request work.
    public static let maxHeaderCount = 64
    /// Most bytes from the end of the request line through the blank line that ends the head.
    /// 16 KiB holds any real header section (long Authorization or Transport values included).
    public static let maxHeaderSectionBytes = 16 * 1024
    /// Largest body. A camera server only receives small bodies (SET_PARAMETER, GET_PARAMETER,
    /// the odd ANNOUNCE SDP); 64 KiB is far above them and bounds memory per connection. → 413.
    public static let maxBodyBytes = 64 * 1024
    /// Most bytes of empty lines tolerated before a request. Clients may send a CRLF or two as
    /// keep-alive or after a body; a stream of nothing but line endings is not RTSP. → 400.
    public static let maxLeadingEmptyLineBytes = 64

    static let limits = RTSPMessageLimits(
        maxStartLineLength: maxRequestLineLength, maxHeaderSectionBytes: maxHeaderSectionBytes,
        maxHeaderCount: maxHeaderCount, maxBodyBytes: maxBodyBytes, maxLeadingEmptyLineBytes: maxLeadingEmptyLineBytes
    )

    private var framer = RTSPMessageFramer<RequestLine>(limits: limits)

    public init() {}

    public mutating func next(_ buffer: inout ByteBuffer) throws(RTSPParseError) -> RTSPInbound? {
        let frame: RTSPFrame<RequestLine>?
        do {
            frame = try framer.next(&buffer)
        } catch {
            throw RTSPParseError(error)
        }
        switch frame {
        case nil:
            return nil
        case .interleaved(let interleaved):
            return .interleaved(interleaved)
        case .message(let line, let headers, let body):
            return .request(
                RTSPRequest(method: line.method, uri: line.uri, version: line.version, headers: headers, body: body)
            )
        }
    }
}

/// `Request-Line = Method SP Request-URI SP RTSP-Version CRLF` (RFC 2326 §6.1).
struct RequestLine: RTSPStartLine {
    var method: String
    var uri: String
    var version: String

    static func parse(_ line: Substring) throws(RTSPFramingError) -> RequestLine {
        // Runs of spaces or tabs are accepted between the parts, as most servers do.
        let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard parts.count == 3, RTSPToken.isToken(parts[0]) else { throw .malformedStartLine }
        guard let supported = isSupportedRTSPVersion(parts[2]) else { throw .malformedStartLine }
        guard supported else { throw .unsupportedVersion }
        return RequestLine(method: String(parts[0]), uri: String(parts[1]), version: String(parts[2]))
    }
}

extension RTSPParseError {
    init(_ error: RTSPFramingError) {
        switch error {
        case .malformedStartLine: self = .malformedRequestLine
        case .unsupportedVersion: self = .unsupportedVersion
        case .startLineTooLong: self = .requestLineTooLong
        case .malformedHeader: self = .malformedHeader
        case .headerSectionTooLarge: self = .headerSectionTooLarge
        case .tooManyHeaders: self = .tooManyHeaders
        case .badContentLength: self = .badContentLength
        case .bodyTooLarge: self = .bodyTooLarge
        }
    }
}
