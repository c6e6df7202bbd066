/// The server-side store of login sessions: a value, driven by the caller's monotonic clock,
/// with its ids drawn from the caller's generator (so a test replays a seed).
///
/// Bounded: at most `capacity` sessions. A login past it drops the session used least
/// recently (a user who logs in from many browsers loses the oldest, and a flood of logins
/// — each of which needed a right password — cannot grow memory).
public struct LoginSessionTable: Sendable {
    /// Bytes of randomness in a session id and in a CSRF token: 128 bits.
    public static let idByteCount = 16
    /// 1024 sessions of about 200 bytes: far more browsers than a camera box has users.
    public static let defaultCapacity = 1024

    public var lifetimes: LoginSessionLifetimes
    public let capacity: Int
    private var entries: [String: Entry] = [:]

    private struct Entry: Sendable {
        var session: LoginSession
        var created: Duration
        var lastUsed: Duration
    }

    public init(lifetimes: LoginSessionLifetimes = LoginSessionLifetimes(), capacity: Int = LoginSessionTable.defaultCapacity) {
        precondition(capacity > 0, "a session table needs room for one session")
        self.lifetimes = lifetimes
        self.capacity = capacity
    }

    public var count: Int { entries.count }

    /// A new session for `user`, made at `now`.
    public mutating func open<Generator: RandomNumberGenerator>(user: String, now: Duration, using generator: inout Generator) -> LoginSession {
        removeExpired(now: now)
        if entries.count >= capacity, let oldest = entries.min(by: { $0.value.lastUsed < $1.value.lastUsed })?.key {
            entries[oldest] = nil
        }
        var id = Self.randomText(using: &generator)
        while entries[id] != nil { id = Self.randomText(using: &generator) }
        let session = LoginSession(id: id, user: user, csrfToken: Self.randomText(using: &generator))
        entries[id] = Entry(session: session, created: now, lastUsed: now)
        return session
    }

    /// The live session with this id, its idle time restarted when `touch`; nil when unknown,
    /// ended, or expired (and then forgotten).
    public mutating func session(_ id: String, now: Duration, touch: Bool = true) -> LoginSession? {
        guard let entry = entries[id] else { return nil }
        guard now - entry.lastUsed < lifetimes.idle, now - entry.created < lifetimes.absolute else {
            entries[id] = nil
            return nil
        }
        if touch { entries[id]?.lastUsed = now }
        return entry.session
    }

    /// Ends a session (logout); true when it existed.
    @discardableResult
    public mutating func end(_ id: String) -> Bool {
        entries.removeValue(forKey: id) != nil
    }

    /// Ends every session of users not in `users` (a reload that removed one).
    public mutating func retain(users: Set<String>) {
        entries = entries.filter { users.contains($0.value.session.user) }
    }

    public mutating func removeExpired(now: Duration) {
        entries = entries.filter { now - $0.value.lastUsed < lifetimes.idle && now - $0.value.created < lifetimes.absolute }
    }

    static func randomText<Generator: RandomNumberGenerator>(using generator: inout Generator) -> String {
        Base64URL.encode((0..<idByteCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }
}
