/// Timing — RFC 4566 §5.9: `t=<start-time> <stop-time>`; `t=0 0` is a permanent session.
public struct SDPTiming: Hashable, Sendable {
    public var start: UInt64
    public var stop: UInt64

    public init(start: UInt64 = 0, stop: UInt64 = 0) {
        self.start = start
        self.stop = stop
    }

    var serialized: String { "\(start) \(stop)" }

    init?(parsing text: Substring) {
        let fields = text.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count == 2, let start = UInt64(fields[0]), let stop = UInt64(fields[1]) else { return nil }
        self.init(start: start, stop: stop)
    }
}
