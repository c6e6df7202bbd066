/// Why a `gettoken` query was refused: an HTTP 400 whose body is `description`, which names
/// the parameter and quotes (a bounded prefix of) the offending value.
public enum UMASRequestError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `token` (the shared secret) is absent.
    case missingParameter(String)
    /// A parameter given twice: which one counts would be a guess.
    case duplicateParameter(String)
    /// A parameter present with no value (`duration=`). Absent means "unbounded" or "every
    /// stream"; an empty value is more likely a template's missing variable, so it is refused
    /// rather than read as absent.
    case emptyParameter(String)
    /// A bad `%` escape, or escapes that do not decode to UTF-8.
    case malformedEncoding(parameter: String)
    /// A value longer than `UMASRequest.maximumValueLength`.
    case valueTooLong(parameter: String)
    /// `duration` or `limit` that is not a whole decimal number.
    case notANumber(parameter: String, value: String)
    /// `duration` or `limit` below zero.
    case negative(parameter: String, value: String)
    /// `duration=0` or `limit=0`: a token born dead or born spent. Some APIs read 0 as
    /// "unlimited"; this one refuses rather than guess — omit the parameter for that.
    case zero(parameter: String)
    /// `duration` or `limit` beyond `UMASRequest.largestNumber`.
    case tooLarge(parameter: String, value: String)
    /// `app` with control characters, or only slashes.
    case invalidApp(String)
    /// `format` other than text, json or xml.
    case unknownFormat(String)

    public var description: String {
        switch self {
        case .missingParameter(let name): "missing parameter \(name)"
        case .duplicateParameter(let name): "parameter \(name) given more than once"
        case .emptyParameter(let name): "parameter \(name) is empty; omit it instead"
        case .malformedEncoding(let name): "parameter \(name) is not valid percent-encoded UTF-8"
        case .valueTooLong(let name): "parameter \(name) is longer than \(UMASRequest.maximumValueLength) characters"
        case .notANumber(let name, let value): "\(name) \(Self.quoted(value)) is not a whole number"
        case .negative(let name, let value): "\(name) \(Self.quoted(value)) is negative"
        case .zero(let name): "\(name) 0 is not allowed; omit \(name) for no bound"
        case .tooLarge(let name, let value): "\(name) \(Self.quoted(value)) is too large"
        case .invalidApp(let value): "app \(Self.quoted(value)) is not a stream path"
        case .unknownFormat(let value): "format \(Self.quoted(value)) is not one of text, json, xml"
        }
    }

    /// The value in quotes, cut to 40 characters and with control characters escaped, so an
    /// error message (and the log line carrying it) stays one short line.
    private static func quoted(_ value: String) -> String {
        let cut = value.count > 40 ? String(value.prefix(40)) + "…" : value
        return "\"" + cut.unicodeScalars.map { $0.properties.generalCategory == .control ? $0.escaped(asASCII: true) : String($0) }.joined() + "\""
    }
}
