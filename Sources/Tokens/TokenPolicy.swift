/// The configured ceilings on what `gettoken` may ask for.
///
/// An omitted `duration` or `limit` means "as much as the policy allows": the maximum when
/// one is configured, otherwise no bound at all. A request *above* a configured maximum is
/// rejected, not clamped (`TokenStoreError.durationAboveMaximum` / `.limitAboveMaximum`, an
/// HTTP 400 at the edge): a back end that asks for two hours and silently gets one hands its
/// viewers a URL that dies early with no clue why, while a refusal that names the parameter
/// and the maximum shows the misconfiguration at the first request.
public struct TokenPolicy: Sendable, Equatable {
    /// The longest lifetime a token may have; nil lets an omitted `duration` mint a token that
    /// never expires.
    public var maximumDuration: Duration?
    /// The most uses a token may have; nil lets an omitted `limit` mean unlimited uses.
    public var maximumLimit: Int?

    /// Defaults: one day, any number of uses. A token is a bearer credential that ends up in
    /// player URLs, logs and histories, so by default even an unbounded request dies within a
    /// day; set `maximumDuration` to nil explicitly for tokens that never expire.
    public init(maximumDuration: Duration? = .seconds(86_400), maximumLimit: Int? = nil) {
        self.maximumDuration = maximumDuration
        self.maximumLimit = maximumLimit
    }

    /// Whatever is configured, no token outlives this: it keeps expiry arithmetic (Int64
    /// milliseconds since 1970) far from overflow. A thousand years is "never" for a camera.
    public static let absoluteMaximumDuration = Duration.seconds(1_000 * 365 * 86_400)
}
