/// An SDP session description — RFC 4566: a builder for DESCRIBE answers and a parser for
/// clients and tests.
///
/// ```
/// Session description
///    v=  (protocol version)
///    o=  (originator and session identifier)
///    s=  (session name)
///    i=* (session information)
///    u=* (URI of description)
///    c=* (connection information)
///    b=* (zero or more bandwidth information lines)
///    t=  (time the session is active)
///    a=* (zero or more session attribute lines)
///    Zero or more media descriptions: m= i=* c=* b=* a=*
/// ```
/// (RFC 4566 §5; e=, p=, r=, z= and k= lines are skipped by the parser and never written.)
public struct SessionDescription: Hashable, Sendable {
    /// RFC 4566 §5.1: "This memo defines version 0."
    public static let version = 0

    public var origin: SDPOrigin
    /// RFC 4566 §5.3: must not be empty; "-" when there is nothing to say.
    public var sessionName: String
    public var information: String?
    public var uri: String?
    public var connection: SDPConnection?
    public var bandwidths: [SDPBandwidth]
    public var timing: SDPTiming
    public var attributes: [SDPAttribute]
    public var media: [MediaDescription]

    public init(
        origin: SDPOrigin, sessionName: String = "-", information: String? = nil, uri: String? = nil,
        connection: SDPConnection? = nil, bandwidths: [SDPBandwidth] = [], timing: SDPTiming = SDPTiming(),
        attributes: [SDPAttribute] = [], media: [MediaDescription] = []
    ) {
        self.origin = origin
        self.sessionName = sessionName
        self.information = information
        self.uri = uri
        self.connection = connection
        self.bandwidths = bandwidths
        self.timing = timing
        self.attributes = attributes
        self.media = media
    }

    /// The value of the first session-level attribute called `name`: "" for a flag, nil when absent.
    public func attribute(_ name: String) -> String? {
        attributes.firstValue(named: name)
    }

    /// The description as CRLF-terminated lines, in RFC 4566 §5 order.
    public func serialized() -> String {
        var lines = ["v=\(Self.version)", "o=\(origin.serialized)", "s=\(sessionName)"]
        if let information { lines.append("i=\(information)") }
        if let uri { lines.append("u=\(uri)") }
        if let connection { lines.append("c=\(connection.serialized)") }
        lines += bandwidths.map { "b=\($0.serialized)" }
        lines.append("t=\(timing.serialized)")
        lines += attributes.map { "a=\($0.serialized)" }
        for description in media { lines += description.serializedLines }
        return lines.map { $0 + "\r\n" }.joined()
    }

    /// Parses CRLF- or LF-separated lines. Leniencies: a missing t= line means `t=0 0`; unknown
    /// line types are skipped (RFC 4566 §5: "parsers ... SHOULD ignore" unknown attributes).
    public static func parse(_ text: String) throws -> SessionDescription {
        try parseTyped(text)
    }

    static func parseTyped(_ text: String) throws(SDPParseError) -> SessionDescription {
        var origin: SDPOrigin?
        var sessionName: String?
        var session = SessionDescription(origin: SDPOrigin(sessionID: 0, sessionVersion: 0, address: ""))
        var current: MediaDescription?
        var sawVersion = false

        // "\r\n" is one Character in Swift, so both line endings are separators.
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        for (offset, line) in lines.enumerated() {
            if line.isEmpty { continue }
            let lineNumber = offset + 1
            // <type>=<value>
            let characters = Array(line.prefix(2))
            guard characters.count == 2, characters[1] == "=" else { throw .malformedLine(lineNumber) }
            let type = characters[0]
            let value = line.dropFirst(2)

            guard sawVersion else {
                guard type == "v", value == "\(version)" else { throw .missingVersion }
                sawVersion = true
                continue
            }
            switch type {
            case "o" where current == nil:
                guard let parsed = SDPOrigin(parsing: value) else { throw .malformedLine(lineNumber) }
                origin = parsed
            case "s" where current == nil:
                sessionName = String(value)
            case "t" where current == nil:
                guard let parsed = SDPTiming(parsing: value) else { throw .malformedLine(lineNumber) }
                session.timing = parsed
            case "u" where current == nil:
                session.uri = String(value)
            case "i":
                if current == nil { session.information = String(value) } else { current?.information = String(value) }
            case "c":
                guard let parsed = SDPConnection(parsing: value) else { throw .malformedLine(lineNumber) }
                if current == nil { session.connection = parsed } else { current?.connection = parsed }
            case "b":
                guard let parsed = SDPBandwidth(parsing: value) else { throw .malformedLine(lineNumber) }
                if current == nil { session.bandwidths.append(parsed) } else { current?.bandwidths.append(parsed) }
            case "a":
                let attribute = SDPAttribute(parsing: value)
                if current == nil { session.attributes.append(attribute) } else { current?.attributes.append(attribute) }
            case "m":
                guard let parsed = MediaDescription(parsingMediaLine: value) else { throw .malformedLine(lineNumber) }
                if let finished = current { session.media.append(finished) }
                current = parsed
            default:
                continue
            }
        }
        guard sawVersion else { throw .missingVersion }
        guard let origin else { throw .missingRequiredField("o") }
        guard let sessionName else { throw .missingRequiredField("s") }
        if let finished = current { session.media.append(finished) }
        session.origin = origin
        session.sessionName = sessionName
        return session
    }
}
