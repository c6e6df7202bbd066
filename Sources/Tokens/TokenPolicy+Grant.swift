extension TokenPolicy {
    /// The bounds a token gets: what was asked for, filled in from the maximums where the
    /// request was silent, refused where it asks for more than the maximums allow.
    /// Returns the lifetime in milliseconds (nil: never expires) and the uses (nil: unlimited).
    func grant(duration: Duration?, limit: Int?) throws(TokenStoreError) -> (milliseconds: Int64?, uses: Int?) {
        let ceiling = min(maximumDuration ?? TokenPolicy.absoluteMaximumDuration, TokenPolicy.absoluteMaximumDuration)
        let lifetime: Duration?
        if let duration {
            guard duration > .zero else { throw .durationNotPositive(duration) }
            guard duration <= ceiling else { throw .durationAboveMaximum(requested: duration, maximum: ceiling) }
            lifetime = duration
        } else {
            lifetime = maximumDuration.map { min($0, ceiling) }
        }

        let uses: Int?
        if let limit {
            guard limit > 0 else { throw .limitNotPositive(limit) }
            if let maximumLimit, limit > maximumLimit {
                throw .limitAboveMaximum(requested: limit, maximum: maximumLimit)
            }
            uses = limit
        } else {
            uses = maximumLimit
        }
        return (lifetime.map(TokenPolicy.milliseconds), uses)
    }

    /// Whole milliseconds, at least one: a positive duration below 1 ms still gets a token
    /// that is alive for an instant rather than one born dead.
    private static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }
}
