import Foundation

/// The `Authorization` request header (RFC 9110 §11.6.2, RTSP 1.0 and 2.0 alike):
///
///     credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
///     auth-param  = token BWS "=" BWS ( token / quoted-string )
///
/// Schemes: `Basic` (RFC 7617), `Digest` (RFC 7616) and `Bearer` (RFC 6750, a token).
/// Scheme and parameter names are case-insensitive; unknown digest parameters are ignored;
/// quoted strings may hold commas and backslash escapes. Any value that does not fit is a
/// thrown `AuthorizationHeaderError`, never a trap.
public enum AuthorizationHeader {
    /// A digest header carries a handful of short values; the longest, `uri`, is a request URI
    /// that the RTSP parser caps already. 4 KiB is about ten times what ffmpeg or GStreamer send.
    public static let maximumLength = 4096
    /// RFC 7616 defines 12 parameters; room for extensions, not for a flood.
    public static let maximumParameters = 32

    /// The credentials in one header value: `.basic`, `.digest` or `.token`.
    public static func parse(_ value: String) throws(AuthorizationHeaderError) -> PresentedCredentials {
        let bytes = Array(value.utf8)
        guard bytes.count <= maximumLength else { throw .tooLong(bytes.count) }
        var scanner = HeaderScanner(bytes)
        scanner.skipWhitespace()
        guard !scanner.isAtEnd else { throw .empty }
        let schemeBytes = scanner.readToken()
        guard !schemeBytes.isEmpty else {
            if let byte = scanner.peek, HeaderScanner.isControl(byte) { throw .controlCharacter(offset: scanner.index) }
            throw .missingScheme
        }
        let scheme = String(decoding: schemeBytes, as: UTF8.self)
        switch scheme.lowercased() {
        case "basic":
            let token = try token68(&scanner, scheme: "Basic")
            return try basic(token)
        case "bearer":
            let token = try token68(&scanner, scheme: "Bearer")
            return .token(String(decoding: token, as: UTF8.self))
        case "digest":
            let parameters = try authParameters(&scanner, scheme: "Digest")
            return .digest(try DigestCredentials(parameters: parameters))
        default:
            throw .unsupportedScheme(scheme)
        }
    }

    /// `1*SP token68 OWS` to the end of the value.
    private static func token68(_ scanner: inout HeaderScanner, scheme: String) throws(AuthorizationHeaderError) -> ArraySlice<UInt8> {
        let spaced = scanner.skipWhitespace()
        guard !scanner.isAtEnd else { throw .missingCredentials(scheme: scheme) }
        guard spaced, let token = scanner.readToken68() else { throw .invalidToken68(scheme: scheme) }
        scanner.skipWhitespace()
        guard scanner.isAtEnd else { throw .invalidToken68(scheme: scheme) }
        return token
    }

    /// RFC 7617 §2: base64 of user-id ":" password, UTF-8. The user-id ends at the first colon;
    /// the password may hold more. Missing `=` padding is tolerated.
    private static func basic(_ token: ArraySlice<UInt8>) throws(AuthorizationHeaderError) -> PresentedCredentials {
        var text = String(decoding: token, as: UTF8.self)
        if text.utf8.count % 4 != 0 { text += String(repeating: "=", count: 4 - text.utf8.count % 4) }
        guard let decoded = Data(base64Encoded: text) else { throw .invalidBase64 }
        let bytes = Array(decoded)
        guard let colon = bytes.firstIndex(of: 0x3A) else { throw .missingColon }
        guard let user = UTF8Text.decode(bytes[..<colon]), let password = UTF8Text.decode(bytes[(colon + 1)...]) else {
            throw .invalidUTF8(field: "Basic credentials")
        }
        return .basic(username: user, password: password)
    }

    /// `1*SP #auth-param`: names lowercased, values unquoted. Empty list elements (`a=1,,b=2`)
    /// are allowed, as RFC 9110 §5.6.1 asks of a recipient.
    static func authParameters(_ scanner: inout HeaderScanner, scheme: String) throws(AuthorizationHeaderError) -> [String: String] {
        let spaced = scanner.skipWhitespace()
        guard !scanner.isAtEnd else { throw .missingCredentials(scheme: scheme) }
        guard spaced else { throw .expectedParameterName(offset: scanner.index) }
        var parameters: [String: String] = [:]
        while true {
            scanner.skipWhitespace()
            while scanner.peek == 0x2C {
                scanner.advance()
                scanner.skipWhitespace()
            }
            if scanner.isAtEnd { break }
            let nameOffset = scanner.index
            let nameBytes = scanner.readToken()
            guard !nameBytes.isEmpty else {
                if let byte = scanner.peek, HeaderScanner.isControl(byte) { throw .controlCharacter(offset: nameOffset) }
                throw .expectedParameterName(offset: nameOffset)
            }
            let name = String(decoding: nameBytes, as: UTF8.self).lowercased()
            scanner.skipWhitespace()
            guard scanner.peek == 0x3D else { throw .expectedEquals(parameter: name) }
            scanner.advance()
            scanner.skipWhitespace()
            let valueBytes: [UInt8]
            if scanner.peek == 0x22 {
                valueBytes = try scanner.readQuotedString(parameter: name)
            } else {
                let bare = scanner.readBareValue()
                guard !bare.isEmpty else {
                    if let byte = scanner.peek, HeaderScanner.isControl(byte) { throw .controlCharacter(offset: scanner.index) }
                    throw .expectedValue(parameter: name)
                }
                valueBytes = Array(bare)
            }
            guard let value = UTF8Text.decode(valueBytes) else { throw .invalidUTF8(field: name) }
            guard parameters[name] == nil else { throw .duplicateParameter(name) }
            guard parameters.count < maximumParameters else { throw .tooManyParameters }
            parameters[name] = value
            scanner.skipWhitespace()
            if scanner.isAtEnd { break }
            guard scanner.peek == 0x2C else {
                if let byte = scanner.peek, HeaderScanner.isControl(byte) { throw .controlCharacter(offset: scanner.index) }
                throw .expectedComma(offset: scanner.index)
            }
        }
        guard !parameters.isEmpty else { throw .missingCredentials(scheme: scheme) }
        return parameters
    }
}
