/// Why an `Authorization` header value was refused. Each case carries what a log line needs
/// to say where the value went wrong.
public enum AuthorizationHeaderError: Error, Hashable, Sendable, CustomStringConvertible {
    case empty
    case tooLong(Int)
    case missingScheme
    case unsupportedScheme(String)
    /// The scheme with nothing after it (`Basic`, `Digest `).
    case missingCredentials(scheme: String)
    /// Basic or Bearer followed by something that is not a token68.
    case invalidToken68(scheme: String)
    case invalidBase64
    /// Basic credentials decoded to text without the `:` between user-id and password.
    case missingColon
    case invalidUTF8(field: String)
    case expectedParameterName(offset: Int)
    case expectedEquals(parameter: String)
    case expectedValue(parameter: String)
    case expectedComma(offset: Int)
    case unterminatedQuotedString(parameter: String)
    case controlCharacter(offset: Int)
    /// RFC 7235 §2.1: each parameter name occurs only once per credentials.
    case duplicateParameter(String)
    case tooManyParameters
    case missingParameter(String)
    /// RFC 7616 §3.4: `username` and `username*` must not both be sent.
    case conflictingParameters(String, String)
    case invalidParameter(name: String, value: String)

    public var description: String {
        switch self {
        case .empty: "empty Authorization header"
        case .tooLong(let count): "Authorization header of \(count) bytes exceeds \(AuthorizationHeader.maximumLength)"
        case .missingScheme: "Authorization header does not start with a scheme"
        case .unsupportedScheme(let scheme): "unsupported authentication scheme \"\(scheme)\""
        case .missingCredentials(let scheme): "\(scheme) credentials are missing"
        case .invalidToken68(let scheme): "\(scheme) credentials are not a token68"
        case .invalidBase64: "Basic credentials are not base64"
        case .missingColon: "Basic credentials have no \":\" between user and password"
        case .invalidUTF8(let field): "\(field) is not UTF-8"
        case .expectedParameterName(let offset): "expected a parameter name at byte \(offset)"
        case .expectedEquals(let name): "expected \"=\" after parameter \(name)"
        case .expectedValue(let name): "parameter \(name) has no value"
        case .expectedComma(let offset): "expected \",\" at byte \(offset)"
        case .unterminatedQuotedString(let name): "quoted value of \(name) is not terminated"
        case .controlCharacter(let offset): "control character at byte \(offset)"
        case .duplicateParameter(let name): "parameter \(name) appears more than once"
        case .tooManyParameters: "more than \(AuthorizationHeader.maximumParameters) parameters"
        case .missingParameter(let name): "digest credentials lack \(name)"
        case .conflictingParameters(let a, let b): "digest credentials have both \(a) and \(b)"
        case .invalidParameter(let name, let value): "invalid \(name) value \"\(value)\""
        }
    }
}
