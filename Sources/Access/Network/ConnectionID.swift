/// The connection a request arrived on, as the server numbers them (a counter per accepted
/// connection is enough). Digest nonces are bound to it: a nonce issued on one connection is
/// refused on any other.
public struct ConnectionID: Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64

    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    public var description: String { "connection \(rawValue)" }
}
