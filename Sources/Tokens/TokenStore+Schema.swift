import GRDB

extension TokenStore {
    /// The schema, one migration per change; applied at open, never erased on change
    /// (these rows are live credentials).
    ///
    /// Times are INTEGER milliseconds since 1970 (UTC): exact, and comparable in SQL for the
    /// purge without any date parsing. NULL means "no bound" for `app`, `expires` and
    /// `remaining`.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: token") { db in
            try db.execute(sql: """
                CREATE TABLE token (
                    -- SHA-256 of the token's UTF-8: what lookups compare (see TokenStore.digest).
                    digest    BLOB    NOT NULL PRIMARY KEY CHECK (length(digest) = 32),
                    -- The token itself, for the admin list and for revoking from it.
                    token     TEXT    NOT NULL CHECK (length(token) = 16),
                    -- The stream it opens, normalized (StreamPath); NULL: every stream.
                    app       TEXT             CHECK (app IS NULL OR app <> ''),
                    label     TEXT,
                    created   INTEGER NOT NULL,
                    -- NULL: never expires.
                    expires   INTEGER          CHECK (expires IS NULL OR expires > created),
                    -- Uses left; NULL: unlimited. Kept at 0 (not deleted) until the purge, so
                    -- a late viewer is told "exhausted" rather than "unknown".
                    remaining INTEGER          CHECK (remaining IS NULL OR remaining >= 0)
                ) WITHOUT ROWID
                """)
        }
        return migrator
    }
}
