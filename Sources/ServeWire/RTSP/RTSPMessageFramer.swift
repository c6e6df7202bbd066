import NIOCore

/// Errors of the framing shared by requests and responses; each parser maps them to its own.
enum RTSPFramingError: Error, Hashable {
    case malformedStartLine
    case unsupportedVersion
    case startLineTooLong
    case malformedHeader
    case headerSectionTooLarge
    case tooManyHeaders
    case badContentLength
    case bodyTooLarge
}

/// The first line of an RTSP message, checked as soon as it is complete so that garbage is
/// refused before the rest of a head arrives.
protocol RTSPStartLine: Sendable {
    static func parse(_ line: Substring) throws(RTSPFramingError) -> Self
}

/// Bounds on what one message may make a parser hold.
struct RTSPMessageLimits: Hashable, Sendable {
    var maxStartLineLength: Int
    var maxHeaderSectionBytes: Int
    var maxHeaderCount: Int
    var maxBodyBytes: Int
    var maxLeadingEmptyLineBytes: Int
}

enum RTSPFrame<StartLine: RTSPStartLine> {
    case message(StartLine, RTSPHeaders, ByteBuffer)
    case interleaved(InterleavedFrame)
}

/// Splits an RTSP byte stream into messages and interleaved frames — RFC 2326 §4, §10.12.
///
/// ```
/// generic-message = start-line *(message-header CRLF) CRLF [ message-body ]
/// interleaved     = "$" channel(1 byte) length(2 bytes, network order) data(length bytes)
/// ```
///
/// Incremental: lines already read are remembered between calls, so bytes that arrive one at a
/// time cost linear work in total. The buffer is never changed unless a whole message or frame
/// is returned; the caller must pass the same stream again (more bytes appended) after `nil`.
/// CRLF or bare LF end lines (RFC 2326 §4: "recipients SHOULD also accept a bare LF"); empty
/// lines before a message are skipped (RFC 2616 §4.1 robustness); folded header lines
/// (leading SP/HT) continue the previous value.
struct RTSPMessageFramer<StartLine: RTSPStartLine>: Sendable {
    private static var lineFeed: UInt8 { UInt8(ascii: "\n") }
    private static var carriageReturn: UInt8 { UInt8(ascii: "\r") }
    private static var horizontalTab: UInt8 { UInt8(ascii: "\t") }
    private static var space: UInt8 { UInt8(ascii: " ") }
    private static var delete: UInt8 { 0x7F }

    /// What is known about a message whose head or body has not fully arrived. Offsets count
    /// from the buffer's reader index.
    private struct Partial: Sendable {
        var lineStart: Int
        /// How far the current line has been scanned without finding its LF.
        var scanned: Int
        var startLine: StartLine?
        var headerStart = 0
        var headers = RTSPHeaders()
        var bodyStart: Int?
        var bodyLength = 0
    }

    let limits: RTSPMessageLimits
    private var partial: Partial?

    init(limits: RTSPMessageLimits) {
        self.limits = limits
    }

    mutating func next(_ buffer: inout ByteBuffer) throws(RTSPFramingError) -> RTSPFrame<StartLine>? {
        do {
            return try step(&buffer)
        } catch {
            partial = nil
            throw error
        }
    }

    private mutating func step(_ buffer: inout ByteBuffer) throws(RTSPFramingError) -> RTSPFrame<StartLine>? {
        if let known = partial, buffer.readableBytes < known.scanned {
            partial = nil  // not the stream we were reading: start over
        }
        let view = buffer.readableBytesView
        let base = view.startIndex
        let end = view.endIndex

        if partial == nil {
            // Skip empty lines before a message.
            var index = base
            while index < end {
                if view[index] == Self.lineFeed {
                    index += 1
                } else if view[index] == Self.carriageReturn {
                    guard index + 1 < end else { return nil }
                    guard view[index + 1] == Self.lineFeed else { throw .malformedStartLine }
                    index += 2
                } else {
                    break
                }
                guard index - base <= limits.maxLeadingEmptyLineBytes else { throw .malformedStartLine }
            }
            guard index < end else { return nil }

            if view[index] == InterleavedFrame.magic {
                // |  '$'  |channel|  length (16)  |  payload ...
                guard end - index >= InterleavedFrame.headerSize else { return nil }
                let channel = view[index + 1]
                let length = Int(view[index + 2]) << 8 | Int(view[index + 3])
                let payloadStart = index + InterleavedFrame.headerSize
                guard end - payloadStart >= length else { return nil }
                let payload = buffer.getSlice(at: payloadStart, length: length)!
                buffer.moveReaderIndex(to: payloadStart + length)
                return .interleaved(InterleavedFrame(channel: channel, payload: payload))
            }
            partial = Partial(lineStart: index - base, scanned: index - base)
        }

        while var message = partial {
            if let bodyStart = message.bodyStart {
                guard end - base - bodyStart >= message.bodyLength else { return nil }
                let body = buffer.getSlice(at: base + bodyStart, length: message.bodyLength)!
                buffer.moveReaderIndex(to: base + bodyStart + message.bodyLength)
                partial = nil
                return .message(message.startLine!, message.headers, body)
            }

            let lineError: RTSPFramingError = message.startLine == nil ? .malformedStartLine : .malformedHeader
            var index = base + message.scanned
            var lineFeed: Int?
            while index < end {
                let byte = view[index]
                if byte == Self.lineFeed {
                    lineFeed = index
                    break
                }
                if byte == Self.carriageReturn {
                    guard index + 1 < end else { break }  // wait to see what follows the CR
                    guard view[index + 1] == Self.lineFeed else { throw lineError }
                } else if (byte < Self.space && byte != Self.horizontalTab) || byte == Self.delete {
                    throw lineError
                }
                index += 1
            }

            guard let lineFeed else {
                // The line is incomplete: refuse it now if it can no longer fit.
                message.scanned = index - base
                if message.startLine == nil {
                    guard message.scanned - message.lineStart <= limits.maxStartLineLength else {
                        throw .startLineTooLong
                    }
                } else {
                    guard message.scanned - message.headerStart <= limits.maxHeaderSectionBytes else {
                        throw .headerSectionTooLarge
                    }
                }
                partial = message
                return nil
            }

            var contentEnd = lineFeed
            if contentEnd > base + message.lineStart && view[contentEnd - 1] == Self.carriageReturn {
                contentEnd -= 1
            }
            let line = view[(base + message.lineStart)..<contentEnd]
            let nextLine = lineFeed + 1 - base

            if message.startLine == nil {
                guard line.count <= limits.maxStartLineLength else { throw .startLineTooLong }
                message.startLine = try StartLine.parse(Substring(String(decoding: line, as: UTF8.self)))
                message.headerStart = nextLine
            } else {
                guard nextLine - message.headerStart <= limits.maxHeaderSectionBytes else {
                    throw .headerSectionTooLarge
                }
                if line.isEmpty {
                    message.bodyStart = nextLine
                    message.bodyLength = try contentLength(of: message.headers)
                } else {
                    try addHeaderLine(String(decoding: line, as: UTF8.self), to: &message.headers)
                }
            }
            message.lineStart = nextLine
            message.scanned = nextLine
            partial = message
        }
        return nil
    }

    /// `message-header = field-name ":" [ field-value ] CRLF` (RFC 2326 §4.2, after RFC 2616 §4.2).
    private func addHeaderLine(_ line: String, to headers: inout RTSPHeaders) throws(RTSPFramingError) {
        if line.first == " " || line.first == "\t" {
            // A folded continuation of the previous field.
            guard headers.count > 0 else { throw .malformedHeader }
            headers.appendToLastValue(line.trimmingASCIIWhitespace())
            return
        }
        guard let colon = line.firstIndex(of: ":") else { throw .malformedHeader }
        let name = line[..<colon].trimmingASCIIWhitespace()
        guard !name.isEmpty, name.utf8.allSatisfy(RTSPToken.isTokenByte) else { throw .malformedHeader }
        guard headers.count < limits.maxHeaderCount else { throw .tooManyHeaders }
        let value = line[line.index(after: colon)...].trimmingASCIIWhitespace()
        headers.add(name: String(name), value: String(value))
    }

    /// RFC 2326 §12.14: the body length in octets; absent means no body. Repeated fields must
    /// agree, since two lengths would let two parsers disagree on where the next message starts.
    private func contentLength(of headers: RTSPHeaders) throws(RTSPFramingError) -> Int {
        let values = headers.values(name: "Content-Length").map { $0.trimmingASCIIWhitespace() }
        guard let first = values.first else { return 0 }
        guard
            values.allSatisfy({ $0 == first }), !first.isEmpty,
            first.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else { throw .badContentLength }
        guard let length = Int(first), length <= limits.maxBodyBytes else { throw .bodyTooLarge }
        return length
    }
}

/// RFC 2616 §2.2 token characters, which RFC 2326 §15 uses for methods and header names.
enum RTSPToken {
    private static let separators = Set("()<>@,;:\\\"/[]?={} \t".utf8)

    static func isTokenByte(_ byte: UInt8) -> Bool {
        byte > 0x20 && byte < 0x7F && !separators.contains(byte)
    }

    static func isToken(_ text: some StringProtocol) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy(isTokenByte)
    }
}

/// `RTSP-Version = "RTSP" "/" 1*DIGIT "." 1*DIGIT` (RFC 2326 §3.1). Returns nil when `text`
/// is not of the `NAME/major.minor` shape at all, false for a well-formed version other than
/// RTSP/1.0 (HTTP/1.1 from a browser, RTSP/2.0).
func isSupportedRTSPVersion(_ text: some StringProtocol) -> Bool? {
    let parts = Substring(text).split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, !parts[0].isEmpty, parts[0].utf8.allSatisfy({ RTSPToken.isTokenByte($0) }) else {
        return nil
    }
    let numbers = parts[1].split(separator: ".", omittingEmptySubsequences: false)
    let isDigits: (Substring) -> Bool = { !$0.isEmpty && $0.utf8.allSatisfy { (48...57).contains($0) } }
    guard numbers.count == 2, isDigits(numbers[0]), isDigits(numbers[1]) else { return nil }
    return parts[0] == "RTSP" && Int(numbers[0]) == 1 && Int(numbers[1]) == 0
}
