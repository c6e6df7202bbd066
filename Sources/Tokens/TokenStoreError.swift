/// Why `TokenStore.mint` refused. Storage failures are not wrapped: they arrive as GRDB's
/// `DatabaseError`, which carries the SQLite code and message (an HTTP 500 at the edge;
/// everything here is a 400).
public enum TokenStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `duration` must be a positive length of time.
    case durationNotPositive(Duration)
    /// `duration` is above `TokenPolicy.maximumDuration` (or the absolute maximum).
    case durationAboveMaximum(requested: Duration, maximum: Duration)
    /// `limit` must be at least one use.
    case limitNotPositive(Int)
    /// `limit` is above `TokenPolicy.maximumLimit`.
    case limitAboveMaximum(requested: Int, maximum: Int)
    /// `app` is empty once its slashes are removed; omit it to mean every stream.
    case emptyApp
    /// Every attempt drew a token that already exists — with a working CSPRNG this does not
    /// happen (2⁹⁵ tokens), so it means the random source is broken.
    case tokenCollision(attempts: Int)

    public var description: String {
        switch self {
        case .durationNotPositive(let duration): "duration \(duration) is not positive"
        case .durationAboveMaximum(let requested, let maximum): "duration \(requested) is above the maximum \(maximum)"
        case .limitNotPositive(let limit): "limit \(limit) is not positive"
        case .limitAboveMaximum(let requested, let maximum): "limit \(requested) is above the maximum \(maximum)"
        case .emptyApp: "app is empty; omit it to allow every stream"
        case .tokenCollision(let attempts): "\(attempts) fresh tokens in a row already existed; the random source is broken"
        }
    }
}
