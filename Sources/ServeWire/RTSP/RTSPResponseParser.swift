import NIOCore

/// Incremental RTSP response parser for test clients and tools — RFC 2326 §7, with interleaved
/// frames (§10.12) between responses. Same contract as `RTSPParser`: nil = need more bytes,
/// buffer untouched on nil or throw.
public struct RTSPResponseParser: Sendable {
    /// Same bounds as requests, except the body: a DESCRIBE answer carries an SDP, and an SDP
    /// with many media can exceed the 64 KiB a server accepts from clients.
    public static let maxStatusLineLength = RTSPParser.maxRequestLineLength
    public static let maxBodyBytes = 1024 * 1024

    static let limits = RTSPMessageLimits(
        maxStartLineLength: maxStatusLineLength, maxHeaderSectionBytes: RTSPParser.maxHeaderSectionBytes,
        maxHeaderCount: RTSPParser.maxHeaderCount, maxBodyBytes: maxBodyBytes,
        maxLeadingEmptyLineBytes: RTSPParser.maxLeadingEmptyLineBytes
    )

    private var framer = RTSPMessageFramer<StatusLine>(limits: limits)

    public init() {}

    public mutating func next(_ buffer: inout ByteBuffer) throws -> RTSPResponseOrInterleaved? {
        let frame: RTSPFrame<StatusLine>?
        do {
            frame = try framer.next(&buffer)
        } catch {
            throw RTSPResponseParseError(error)
        }
        switch frame {
        case nil:
            return nil
        case .interleaved(let interleaved):
            return .interleaved(interleaved)
        case .message(let line, let headers, let body):
            return .response(RTSPResponse(status: line.status, headers: headers, body: body))
        }
    }
}

/// `Status-Line = RTSP-Version SP Status-Code SP Reason-Phrase CRLF` (RFC 2326 §7.1).
struct StatusLine: RTSPStartLine {
    var status: RTSPStatus

    static func parse(_ line: Substring) throws(RTSPFramingError) -> StatusLine {
        let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2 else { throw .malformedStartLine }
        guard let supported = isSupportedRTSPVersion(parts[0]) else { throw .malformedStartLine }
        guard supported else { throw .unsupportedVersion }
        guard parts[1].utf8.count == 3, let code = Int(parts[1]), code >= 100 else { throw .malformedStartLine }
        let reason = parts.count == 3 ? String(parts[2]) : ""
        return StatusLine(status: RTSPStatus(code: code, reason: reason))
    }
}

extension RTSPResponseParseError {
    init(_ error: RTSPFramingError) {
        switch error {
        case .malformedStartLine: self = .malformedStatusLine
        case .unsupportedVersion: self = .unsupportedVersion
        case .startLineTooLong: self = .statusLineTooLong
        case .malformedHeader: self = .malformedHeader
        case .headerSectionTooLarge: self = .headerSectionTooLarge
        case .tooManyHeaders: self = .tooManyHeaders
        case .badContentLength: self = .badContentLength
        case .bodyTooLarge: self = .bodyTooLarge
        }
    }
}
