/// A browser's login to Vigil's web page: who logged in, and the token its page must echo on
/// every state-changing request (CSRF). The id is the cookie's value; both are 128 random
/// bits, base64url. Never logged.
public struct LoginSession: Hashable, Sendable {
    public var id: String
    public var user: String
    public var csrfToken: String

    public init(id: String, user: String, csrfToken: String) {
        self.id = id
        self.user = user
        self.csrfToken = csrfToken
    }
}

/// How long login sessions live: `idle` after the last request that used one, and never more
/// than `absolute` after the login, whatever the use (OWASP's session management advice: both).
public struct LoginSessionLifetimes: Hashable, Sendable {
    public var idle: Duration
    public var absolute: Duration

    /// Half an hour idle, twelve hours in all: a guard's shift on one login.
    public init(idle: Duration = .seconds(30 * 60), absolute: Duration = .seconds(12 * 3600)) {
        self.idle = idle
        self.absolute = absolute
    }
}
