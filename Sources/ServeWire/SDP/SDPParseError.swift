/// Why text is not a session description (RFC 4566 §5).
public enum SDPParseError: Error, Hashable, Sendable {
    /// The first line is not `v=0`.
    case missingVersion
    /// No `o=` or no `s=` line in the session section.
    case missingRequiredField(Character)
    /// A line (numbered from 1) is not `<type>=<value>`, or its value does not parse.
    case malformedLine(Int)
}
