/// The answer to one request.
public enum AccessDecision: Hashable, Sendable {
    /// Go ahead. `authenticationInfo`, when set, is an `Authentication-Info` header value
    /// (RFC 7616 §3.5) carrying a `nextnonce`: the nonce in use is past half its lifetime, and
    /// clients that read the header (ffmpeg does) move to the new one before it expires.
    case allowed(Principal, authenticationInfo: String?)
    /// Refused. `cause` is for the log; `startedFailureBurst` is true on the one failure that
    /// started a burst from this address (see `FailureLimiter`): log that one with the peer.
    case refused(AccessRefusal, cause: RefusalCause, startedFailureBurst: Bool)

    public var isAllowed: Bool {
        if case .allowed = self { return true }
        return false
    }
}

/// The answer to a login form.
public enum LoginDecision: Hashable, Sendable {
    /// The password was right and the user may watch: set the session's cookie.
    case loggedIn(LoginSession)
    /// As `AccessDecision.refused`: 401 for a wrong user or password, 429 while backing off,
    /// 403 for a user who may not log in from here or may watch nothing.
    case refused(AccessRefusal, cause: RefusalCause, startedFailureBurst: Bool)
}
