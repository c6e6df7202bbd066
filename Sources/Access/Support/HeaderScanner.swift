/// A cursor over the bytes of one header value, with the RFC 9110 §5.6 building blocks that
/// `Authorization` needs: optional whitespace, tokens, quoted strings and token68.
struct HeaderScanner {
    let bytes: [UInt8]
    private(set) var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { index >= bytes.count }
    var peek: UInt8? { isAtEnd ? nil : bytes[index] }

    mutating func advance() { index += 1 }

    /// OWS = *( SP / HTAB ), plus obs-fold (CRLF or LF followed by SP or HTAB), which an RTSP
    /// or HTTP/1.0 parser may leave in place of a continuation line.
    @discardableResult
    mutating func skipWhitespace() -> Bool {
        let start = index
        while let byte = peek {
            if byte == 0x20 || byte == 0x09 {
                index += 1
            } else if byte == 0x0D, index + 2 < bytes.count, bytes[index + 1] == 0x0A, Self.isBlank(bytes[index + 2]) {
                index += 3
            } else if byte == 0x0A, index + 1 < bytes.count, Self.isBlank(bytes[index + 1]) {
                index += 2
            } else {
                break
            }
        }
        return index > start
    }

    /// token = 1*tchar; empty when the next byte is not a tchar.
    mutating func readToken() -> ArraySlice<UInt8> {
        let start = index
        while let byte = peek, Self.isTokenCharacter(byte) { index += 1 }
        return bytes[start..<index]
    }

    /// An unquoted parameter value. RFC 7616 says token, but clients also send unquoted values
    /// that are not tokens (`uri=/a/b`, base64 with `=`); anything visible except DQUOTE,
    /// backslash and comma is taken, and it ends at whitespace.
    mutating func readBareValue() -> ArraySlice<UInt8> {
        let start = index
        while let byte = peek, byte > 0x20, byte < 0x7F, byte != 0x22, byte != 0x5C, byte != 0x2C { index += 1 }
        return bytes[start..<index]
    }

    /// quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE, at a DQUOTE; returns the
    /// unescaped contents. Control characters other than HTAB are refused, inside as outside.
    mutating func readQuotedString(parameter: String) throws(AuthorizationHeaderError) -> [UInt8] {
        index += 1  // the opening DQUOTE
        var out: [UInt8] = []
        while let byte = peek {
            switch byte {
            case 0x22:
                index += 1
                return out
            case 0x5C:
                // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
                index += 1
                guard let escaped = peek else { throw .unterminatedQuotedString(parameter: parameter) }
                guard !Self.isControl(escaped) else { throw .controlCharacter(offset: index) }
                out.append(escaped)
                index += 1
            default:
                guard !Self.isControl(byte) else { throw .controlCharacter(offset: index) }
                out.append(byte)
                index += 1
            }
        }
        throw .unterminatedQuotedString(parameter: parameter)
    }

    /// token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" (RFC 9110 §11.2).
    mutating func readToken68() -> ArraySlice<UInt8>? {
        let start = index
        while let byte = peek, Self.isToken68Character(byte) { index += 1 }
        guard index > start else { return nil }
        while peek == 0x3D { index += 1 }
        return bytes[start..<index]
    }

    /// tchar (RFC 9110 §5.6.2).
    static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
        case 0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x5E, 0x5F, 0x60, 0x7C, 0x7E: true
        default: false
        }
    }

    static func isToken68Character(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2D, 0x2E, 0x5F, 0x7E, 0x2B, 0x2F: true
        default: false
        }
    }

    static func isControl(_ byte: UInt8) -> Bool { (byte < 0x20 && byte != 0x09) || byte == 0x7F }

    private static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
}
