/// An SDP attribute line — RFC 4566 §5.13: `a=<attribute>` (a flag) or `a=<attribute>:<value>`.
public struct SDPAttribute: Hashable, Sendable {
    public var name: String
    /// nil for a property attribute such as `a=recvonly`.
    public var value: String?

    public init(name: String, value: String? = nil) {
        self.name = name
        self.value = value
    }

    /// The text after "a=".
    var serialized: String { value.map { "\(name):\($0)" } ?? name }

    /// Parses the text after "a="; the value is everything after the first colon.
    init(parsing text: Substring) {
        if let colon = text.firstIndex(of: ":") {
            self.init(name: String(text[..<colon]), value: String(text[text.index(after: colon)...]))
        } else {
            self.init(name: String(text))
        }
    }
}

extension [SDPAttribute] {
    /// The value of the first attribute called `name`: "" for a flag, nil when absent.
    func firstValue(named name: String) -> String? {
        first { $0.name == name }.map { $0.value ?? "" }
    }
}
