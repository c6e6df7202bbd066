import Crypto
import Foundation
import GRDB

/// UMAS tokens and their remaining uses, kept in one SQLite file so that they survive a
/// restart, a `kill -9` and a power cut.
///
/// - **Storage.** A GRDB `DatabasePool`: it insists on WAL mode, so the admin list reads a
///   snapshot while a redeem writes, and a crash leaves committed transactions in the WAL
///   for the next open to replay. (A `DatabaseQueue` would serialize the list behind the
///   writes and leave WAL to a pragma one could forget.) Commits are durable across a
///   restart and a `kill -9` in WAL mode whatever `synchronous` says (the WAL is written
///   before the commit returns); across a power cut only fsynced ones are. So a *spend*
///   (`redeem`) commits with `synchronous = FULL`: a spent use stays spent, or a one-shot
///   token could open a second session after the cut. Mints, revokes and purges commit with
///   NORMAL: a mint lost to a power cut is a URL that fails, not a door left open, and an
///   fsync per mint would hold `/gettoken` to the disk's fsync rate (about 1,600/s here
///   against 7,700/s without, `Scripts/bench --only auth`).
/// - **Atomic uses.** `redeem` decrements in a single conditional
///   `UPDATE … WHERE remaining > 0 RETURNING` inside one write transaction: two viewers
///   racing for the last use get exactly one `valid`, whichever connection or process they
///   come through.
/// - **Clock and randomness are injected**: every call takes `now`, and `init` takes the
///   random source (`SystemRandomNumberGenerator` by default — `getrandom(2)` on Linux).
/// - **Blocking.** Database work runs on GRDB's own dispatch queues and is awaited, so a
///   commit's fsync never blocks the cooperative pool or an event loop.
///
/// Expired and exhausted tokens stay (so a late viewer's refusal says why) until
/// `purgeExpired(now:)`, which the composition root calls at start and periodically.
public actor TokenStore {
    /// The file's name under the state directory.
    public static let fileName = "tokens.sqlite"

    /// Fresh draws before `mint` gives up on collisions. One collision among 2⁹⁵ tokens is
    /// already a broken generator; retrying a few times only keeps a fluke from being an error.
    static let mintAttempts = 4

    /// How long a write waits for another connection's lock (a second process, the sqlite3
    /// shell) before failing: long enough for any transaction this table sees.
    static let busyTimeout: TimeInterval = 5

    public nonisolated let policy: TokenPolicy
    private let pool: DatabasePool
    /// Actor-isolated, so the generator's state needs no lock; `init` took it `Sendable`.
    private var random: any RandomNumberGenerator

    /// Opens (creating if needed, mode 0600 — its rows are credentials) the token database at
    /// `path` and brings its schema up to date. Blocks while it opens: call it at startup.
    public init(
        path: String,
        policy: TokenPolicy = TokenPolicy(),
        random: some RandomNumberGenerator & Sendable = SystemRandomNumberGenerator()
    ) throws {
        if !FileManager.default.fileExists(atPath: path) {
            // SQLite gives the -wal and -shm files the main file's mode, so this covers all three.
            _ = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        var configuration = Configuration()
        configuration.label = "Vigil.Tokens"
        configuration.busyMode = .timeout(Self.busyTimeout)
        let pool = try DatabasePool(path: path, configuration: configuration)
        // Only the writer connection commits; NORMAL unless a spend asks for FULL (above).
        try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = NORMAL") }
        try Self.migrator.migrate(pool)
        self.pool = pool
        self.policy = policy
        self.random = random
    }

    /// Mints a token. `app` nil: every stream (otherwise normalized, see `StreamPath`);
    /// `duration` and `limit` nil: the policy's maximum, or unbounded without one.
    /// Throws `TokenStoreError` for a request the policy refuses.
    public func mint(
        app: String? = nil, duration: Duration? = nil, limit: Int? = nil, label: String? = nil, now: Date
    ) async throws -> IssuedToken {
        let (lifetime, uses) = try policy.grant(duration: duration, limit: limit)
        let app = app.map(StreamPath.normalized)
        if app == "" { throw TokenStoreError.emptyApp }
        let created = Self.milliseconds(now)
        let expires = lifetime.map { created + $0 }

        for _ in 0 ..< Self.mintAttempts {
            let token = drawToken()
            do {
                try await pool.write { db in
                    try db.execute(
                        sql: """
                            INSERT INTO token (digest, token, app, label, created, expires, remaining)
                            VALUES (?, ?, ?, ?, ?, ?, ?)
                            """,
                        arguments: [Self.digest(token), token.text, app, label, created, expires, uses])
                }
            } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
                continue
            }
            return IssuedToken(
                token: token, app: app, label: label, created: Self.date(created), expires: expires.map(Self.date),
                limit: uses)
        }
        throw TokenStoreError.tokenCollision(attempts: Self.mintAttempts)
    }

    /// Spends one use of `token` on the stream at `path`: call it once per *new RTSP
    /// session* (the SETUP that creates it), not per request. `.valid` carries the uses left.
    ///
    /// The check and the decrement are one conditional UPDATE in one write transaction, so
    /// concurrent redeems of the last use let exactly one in. A refusal changes nothing.
    public func redeem(token presented: String, path: String, now: Date) async throws -> TokenVerdict {
        guard let token = Token(presented) else { return .unknown }
        let digest = Self.digest(token)
        let path = StreamPath.normalized(path)
        let now = Self.milliseconds(now)
        return try await pool.writeWithoutTransaction { db in
            // A spend is fsynced at commit (see the type's comment); the connection goes back
            // to NORMAL for whatever writes next.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            defer { try? db.execute(sql: "PRAGMA synchronous = NORMAL") }
            var verdict = TokenVerdict.unknown
            try db.inTransaction(.immediate) {
                verdict = try Self.spend(db, digest: digest, path: path, now: now)
                return .commit
            }
            return verdict
        }
    }

    private static func spend(_ db: Database, digest: Data, path: String, now: Int64) throws -> TokenVerdict {
        // Timing: the lookup is SQLite's primary-key B-tree search, whose comparisons stop
        // at the first differing byte. It compares the SHA-256 of the presented token, not
        // the token: how far a guess matched says only how far two digests agree, and an
        // attacker cannot steer a digest towards a stored one, so nothing about a stored
        // token leaks beyond what that lookup inherently does.
        if let row = try Row.fetchOne(
            db,
            sql: """
                UPDATE token SET remaining = remaining - 1
                WHERE digest = ?
                  AND (expires IS NULL OR expires > ?)
                  AND (remaining IS NULL OR remaining > 0)
                  AND (app IS NULL OR app = ?)
                RETURNING remaining
                """,
            arguments: [digest, now, path])
        {
            return .valid(remaining: row[0])
        }
        return try Self.verdict(db, digest: digest, path: path, now: now)
    }

    /// The verdict `redeem` would give, without spending a use: for the requests of a viewer
    /// that has no session yet (OPTIONS, DESCRIBE), which must not consume the use its SETUP
    /// is about to spend. Same lookup, same timing argument as `redeem`.
    public func check(token presented: String, path: String, now: Date) async throws -> TokenVerdict {
        guard let token = Token(presented) else { return .unknown }
        let digest = Self.digest(token)
        let path = StreamPath.normalized(path)
        let now = Self.milliseconds(now)
        return try await pool.read { db in try Self.verdict(db, digest: digest, path: path, now: now) }
    }

    /// Deletes `token`; true if it existed. Sessions it already opened are not cut here.
    @discardableResult
    public func revoke(token presented: String) async throws -> Bool {
        guard let token = Token(presented) else { return false }
        let digest = Self.digest(token)
        return try await pool.write { db in
            try db.execute(sql: "DELETE FROM token WHERE digest = ?", arguments: [digest])
            return db.changesCount > 0
        }
    }

    /// Every stored token, oldest first, with its status at `now`.
    public func list(now: Date) async throws -> [TokenInfo] {
        let now = Self.milliseconds(now)
        return try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT token, app, label, created, expires, remaining FROM token ORDER BY created, token"
            ).compactMap { row -> TokenInfo? in
                guard let token = Token(row["token"] as String) else { return nil }
                let expires: Int64? = row["expires"]
                let remaining: Int? = row["remaining"]
                let status: TokenInfo.Status =
                    if let expires, expires <= now { .expired }
                    else if let remaining, remaining <= 0 { .exhausted }
                    else { .live }
                return TokenInfo(
                    token: token, app: row["app"], label: row["label"], created: Self.date(row["created"]),
                    expires: expires.map(Self.date), remaining: remaining, status: status)
            }
        }
    }

    /// Deletes every token that can never open a stream again — past its expiry, or with no
    /// uses left — and returns how many.
    @discardableResult
    public func purgeExpired(now: Date) async throws -> Int {
        let now = Self.milliseconds(now)
        return try await pool.write { db in
            try db.execute(
                sql: "DELETE FROM token WHERE (expires IS NOT NULL AND expires <= ?) OR remaining = 0",
                arguments: [now])
            return db.changesCount
        }
    }

    /// Closes the database (a checkpoint folds the WAL into the main file). Later calls throw.
    public func close() throws {
        try pool.close()
    }

    // MARK: - Helpers

    /// A pragma's value on the writer connection, the one that commits (for tests).
    func pragma(_ name: String) async throws -> String? {
        try await pool.writeWithoutTransaction { db in try String.fetchOne(db, sql: "PRAGMA \(name)") }
    }

    private func drawToken() -> Token {
        var generator = random
        defer { random = generator }
        return Token.random(using: &generator)
    }

    /// The refusal (or, from `check`, the acceptance) for a token, in the order that explains
    /// it best: a dead token is reported dead (expired, then exhausted) before it is reported
    /// as belonging to another stream.
    private static func verdict(_ db: Database, digest: Data, path: String, now: Int64) throws -> TokenVerdict {
        guard let row = try Row.fetchOne(
            db, sql: "SELECT app, expires, remaining FROM token WHERE digest = ?", arguments: [digest])
        else { return .unknown }
        let app: String? = row["app"]
        let expires: Int64? = row["expires"]
        let remaining: Int? = row["remaining"]
        if let expires, expires <= now { return .expired }
        if let remaining, remaining <= 0 { return .exhausted }
        if let app, app != path { return .wrongPath }
        return .valid(remaining: remaining)
    }

    /// The primary key: SHA-256 of the token's UTF-8 (see the timing note in `redeem`).
    static func digest(_ token: Token) -> Data {
        Data(SHA256.hash(data: Data(token.text.utf8)))
    }

    /// Whole milliseconds since 1970, rounded down: a token is dead from its expiry
    /// millisecond on.
    static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    static func date(_ milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}
