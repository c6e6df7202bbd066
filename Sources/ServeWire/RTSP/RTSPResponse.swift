import NIOCore

/// An RTSP response — RFC 2326 §7.
///
/// ```
/// Status-Line = RTSP-Version SP Status-Code SP Reason-Phrase CRLF
/// *( general-header | response-header | entity-header ) CRLF
/// CRLF
/// [ message-body ]
/// ```
public struct RTSPResponse: Hashable, Sendable {
    public var status: RTSPStatus
    public var headers: RTSPHeaders
    public var body: ByteBuffer

    public init(status: RTSPStatus, headers: RTSPHeaders = RTSPHeaders(), body: ByteBuffer = ByteBuffer()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Writes `RTSP/1.0 200 OK\r\n`, the headers in order, `Content-Length` when the body is
    /// non-empty (computed here; any Content-Length in `headers` is ignored), a blank line, the body.
    public func write(into buffer: inout ByteBuffer) {
        buffer.writeString("\(RTSPRequest.version1_0) \(status.code) \(status.reason)\r\n")
        RTSPMessageWriter.writeHeadersAndBody(headers: headers, body: body, into: &buffer)
    }
}
