/// Bandwidth — RFC 4566 §5.8: `b=<bwtype>:<bandwidth>`, e.g. `b=AS:2000` (kilobits per second).
public struct SDPBandwidth: Hashable, Sendable {
    public var type: String
    public var value: Int

    public init(type: String, value: Int) {
        self.type = type
        self.value = value
    }

    var serialized: String { "\(type):\(value)" }

    init?(parsing text: Substring) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, let value = Int(parts[1]) else { return nil }
        self.init(type: String(parts[0]), value: value)
    }
}
