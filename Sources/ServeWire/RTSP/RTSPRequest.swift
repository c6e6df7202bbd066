import NIOCore

/// An RTSP request — RFC 2326 §6.
///
/// ```
/// Request-Line = Method SP Request-URI SP RTSP-Version CRLF
/// *( general-header | request-header | entity-header ) CRLF
/// CRLF
/// [ message-body ]
/// ```
public struct RTSPRequest: Hashable, Sendable {
    public static let version1_0 = "RTSP/1.0"

    public var method: String
    public var uri: String
    public var version: String
    public var headers: RTSPHeaders
    public var body: ByteBuffer

    public init(
        method: String, uri: String, version: String = RTSPRequest.version1_0, headers: RTSPHeaders = RTSPHeaders(),
        body: ByteBuffer = ByteBuffer()
    ) {
        self.method = method
        self.uri = uri
        self.version = version
        self.headers = headers
        self.body = body
    }

    /// The CSeq header (§12.17), which the response must echo.
    public var cseq: String? { headers["CSeq"] }

    /// The session identifier of the Session header (§12.37), without `;timeout=` or other
    /// parameters.
    public var session: String? {
        guard let value = headers["Session"] else { return nil }
        let id = value.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]
        return String(id.trimmingASCIIWhitespace())
    }

    /// Writes the request (for test clients): request line, headers, Content-Length when the body
    /// is non-empty (any Content-Length in `headers` is replaced), blank line, body.
    public func write(into buffer: inout ByteBuffer) {
        buffer.writeString("\(method) \(uri) \(version)\r\n")
        RTSPMessageWriter.writeHeadersAndBody(headers: headers, body: body, into: &buffer)
    }
}

/// The part of writing a message that requests and responses share.
enum RTSPMessageWriter {
    static func writeHeadersAndBody(headers: RTSPHeaders, body: ByteBuffer, into buffer: inout ByteBuffer) {
        for (name, value) in headers where !name.equalsIgnoringASCIICase("Content-Length") {
            buffer.writeString("\(name): \(value)\r\n")
        }
        if body.readableBytes > 0 {
            buffer.writeString("Content-Length: \(body.readableBytes)\r\n")
        }
        buffer.writeString("\r\n")
        buffer.writeImmutableBuffer(body)
    }
}
