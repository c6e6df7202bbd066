/// The answer to a token presented for a stream. Only `.valid` lets the viewer in; the other
/// cases say why not, for the log (all of them are a 401 at the RTSP edge — the client is not
/// told which).
public enum TokenVerdict: Sendable, Equatable {
    /// Let in. `remaining` is the uses left after this one (after a `check`, the uses left
    /// now); nil for a token with unlimited uses.
    case valid(remaining: Int?)
    /// No such token: never minted, revoked, purged, or not even token-shaped.
    case unknown
    /// Past its expiry — dead even with uses left.
    case expired
    /// All its uses are spent.
    case exhausted
    /// Alive, but minted for another stream.
    case wrongPath

    public var isValid: Bool {
        if case .valid = self { true } else { false }
    }
}
