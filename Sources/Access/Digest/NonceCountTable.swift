/// The highest nonce count seen per nonce per connection, so a qop response whose `nc` does
/// not increase is refused as a replay (RFC 7616 §3.4: "the nc value … allows the server to
/// detect request replays").
///
/// Bounded: at most `capacity` entries. When full, entries whose nonce has expired go first
/// (they can never be admitted again anyway); if none has, the entry with the *oldest issued*
/// nonce is evicted, and every nonce issued at or before it is from then on answered
/// `.forgotten` unless it is still in the table. Forgetting therefore never lets a replay
/// through: it costs the client one 401 with `stale=true` and a fresh nonce. A closed
/// connection's entries are dropped with `forget(connection:)`.
///
/// RFC 2069-style responses (no qop, GStreamer) carry no count and are not tracked here; their
/// replay protection is the nonce's binding to one connection and its lifetime.
public struct NonceCountTable: Sendable {
    /// About 100 bytes an entry: 4096 entries is well under a megabyte, and far more
    /// concurrent digest clients than a camera serves.
    public static let defaultCapacity = 4096

    public let capacity: Int
    private var entries: [Key: Entry] = [:]
    /// Nonces issued at or before this were possibly evicted.
    private var forgottenThrough: Duration?

    private struct Key: Hashable {
        var connection: ConnectionID
        var nonce: String
    }

    private struct Entry {
        var highest: UInt32
        var issuedAt: Duration
    }

    public init(capacity: Int = defaultCapacity) {
        precondition(capacity > 0, "a nonce-count table needs room for one entry")
        self.capacity = capacity
    }

    /// What became of one count.
    public enum Admission: Hashable, Sendable {
        /// Higher than any count before for this nonce on this connection; recorded.
        case admitted
        /// Not higher: a replay (or a client bug). Refuse it.
        case replayed
        /// This nonce may have been evicted; refuse it as stale so the client takes a new one.
        case forgotten
    }

    /// Checks and records `nonceCount` for a nonce, already proven fresh, issued at
    /// `issuedAt`. `lifetime` and `now` let a full table drop expired entries first.
    public mutating func admit(
        _ nonceCount: UInt32, nonce: String, connection: ConnectionID,
        issuedAt: Duration, lifetime: Duration, now: Duration
    ) -> Admission {
        let key = Key(connection: connection, nonce: nonce)
        if var entry = entries[key] {
            guard nonceCount > entry.highest else { return .replayed }
            entry.highest = nonceCount
            entries[key] = entry
            return .admitted
        }
        if let forgottenThrough, issuedAt <= forgottenThrough { return .forgotten }
        // Counts start at 1 (RFC 7616 §3.4: "the first request … nc=00000001").
        guard nonceCount > 0 else { return .replayed }
        if entries.count >= capacity { makeRoom(lifetime: lifetime, now: now) }
        entries[key] = Entry(highest: nonceCount, issuedAt: issuedAt)
        return .admitted
    }

    /// Drops every entry of a closed connection.
    public mutating func forget(connection: ConnectionID) {
        entries = entries.filter { $0.key.connection != connection }
    }

    public var count: Int { entries.count }

    private mutating func makeRoom(lifetime: Duration, now: Duration) {
        entries = entries.filter { now - $0.value.issuedAt <= lifetime }
        guard entries.count >= capacity, let oldest = entries.min(by: { $0.value.issuedAt < $1.value.issuedAt }) else {
            return
        }
        entries[oldest.key] = nil
        forgottenThrough = max(forgottenThrough ?? oldest.value.issuedAt, oldest.value.issuedAt)
    }
}
