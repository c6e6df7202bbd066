import Crypto

/// The one access check every request passes (RTSP, HTTP, later ONVIF): it knows the users and
/// their grants, verifies Basic, Digest and token credentials, and backs off addresses that
/// keep failing.
///
/// The order of a decision:
///
/// 1. No credentials and the anonymous grants cover the action: allowed as anonymous.
/// 2. The address is backing off: refused unchecked (`rateLimited`), so a guesser costs
///    nothing, not even a PBKDF2.
/// 3. The credentials are verified. Unknown users take the same path as known ones, against a
///    dummy HA1 or a dummy PBKDF2 hash, so a refusal's timing does not tell whether the user
///    exists. Failures (wrong or malformed credentials, an unknown token) count towards the
///    back-off; a missing `Authorization`, a stale nonce or an expired token do not, since
///    well-behaved clients produce those.
/// 4. Authenticated: the address must be in the user's allow list (else 403, so the 403 is
///    only ever seen by someone who knew the password) and a grant, the user's or the anonymous
///    ones, must cover the action (else 403).
///
/// Digest nonces are stateless (`DigestNonceIssuer`), bound to the connection; a right
/// response with a nonce that is expired, foreign or forgotten gets a fresh challenge with
/// `stale=true`, which ffmpeg and GStreamer answer without asking their user again.
public actor AccessPolicy {
    public private(set) var configuration: AccessConfiguration
    private var issuer: DigestNonceIssuer
    private var nonceCounts: NonceCountTable
    private var limiter: FailureLimiter
    private let tokens: (any TokenRedeeming)?
    private let clock: any AccessClock
    private let secret: [UInt8]
    /// Sent in every challenge and echoed by clients; Vigil keeps no state in it.
    private let opaque: String
    private let dummyHA1: [DigestAlgorithm: String]
    private var dummyCredential: StoredCredential
    /// The web page's login sessions (`logIn`, `.session` credentials).
    private var sessions: LoginSessionTable
    /// Draws session ids and CSRF tokens: the system CSPRNG, or a seeded one in tests.
    private var sessionRandom: any RandomNumberGenerator & Sendable

    /// - Parameters:
    ///   - secret: at least 32 random bytes, drawn once per process (see `randomSecret(using:)`);
    ///     keys the nonces and the dummy values.
    ///   - tokens: where tokens are redeemed; nil refuses every token.
    ///   - nonceCountCapacity, failureLimits: fixed for the life of the policy; a reload keeps them.
    public init(
        configuration: AccessConfiguration, secret: [UInt8], tokens: (any TokenRedeeming)? = nil,
        clock: any AccessClock = SystemAccessClock(), nonceCountCapacity: Int = NonceCountTable.defaultCapacity,
        failureLimits: FailureLimiter.Configuration = FailureLimiter.Configuration(),
        sessionLifetimes: LoginSessionLifetimes = LoginSessionLifetimes(),
        sessionRandom: any RandomNumberGenerator & Sendable = SystemRandomNumberGenerator()
    ) {
        sessions = LoginSessionTable(lifetimes: sessionLifetimes)
        self.sessionRandom = sessionRandom
        self.configuration = configuration
        self.secret = secret
        issuer = DigestNonceIssuer(secret: secret, lifetime: configuration.nonceLifetime)
        nonceCounts = NonceCountTable(capacity: nonceCountCapacity)
        limiter = FailureLimiter(configuration: failureLimits)
        self.tokens = tokens
        self.clock = clock
        opaque = Base64URL.encode(Array(Self.derive(secret, "vigil-opaque").prefix(12)))
        let dummySeed = Hex.encode(Self.derive(secret, "vigil-dummy-ha1"))
        let dummyHA1 = Dictionary(uniqueKeysWithValues: DigestAlgorithm.allCases.map { ($0, $0.hash(dummySeed)) })
        self.dummyHA1 = dummyHA1
        dummyCredential = Self.makeDummyCredential(secret: secret, configuration: configuration, dummyHA1: dummyHA1)
    }

    /// `DigestNonceIssuer.minimumSecretByteCount` bytes from `generator`; at start-up, the
    /// system generator (a CSPRNG).
    public static func randomSecret<Generator: RandomNumberGenerator>(using generator: inout Generator) -> [UInt8] {
        (0..<DigestNonceIssuer.minimumSecretByteCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// Takes a new configuration (a reload). Outstanding nonces stay valid, and the back-off
    /// and nonce-count state is kept.
    public func reload(_ configuration: AccessConfiguration) {
        self.configuration = configuration
        issuer = DigestNonceIssuer(secret: secret, lifetime: configuration.nonceLifetime)
        dummyCredential = Self.makeDummyCredential(secret: secret, configuration: configuration, dummyHA1: dummyHA1)
        // A user the new file no longer has is logged out everywhere.
        sessions.retain(users: Set(configuration.users.map(\.name)))
    }

    /// How long `peer` must still wait before it is heard again, or nil: for checks made outside
    /// `decide` (the shared UMAS secret of `/gettoken`), which back off with the same limiter.
    public func backOff(for peer: IPAddress) -> Duration? {
        limiter.retryAfter(for: peer, now: clock.monotonicNow())
    }

    /// Counts a failure made outside `decide` (a wrong UMAS secret) against `peer`; true when it
    /// started a burst, which the caller logs once with the address.
    public func recordFailure(from peer: IPAddress) -> Bool {
        limiter.recordFailure(from: peer, now: clock.monotonicNow()).startedBurst
    }

    /// Forgets what was tracked for a closed connection (its nonce counts).
    public func connectionClosed(_ connection: ConnectionID) {
        nonceCounts.forget(connection: connection)
    }

    /// The `WWW-Authenticate` values of a 401 on `connection`, in order: one digest challenge
    /// per enabled algorithm (SHA-256 before MD5), all with one new nonce, then Basic if enabled.
    public func challenges(for connection: ConnectionID, stale: Bool = false) -> [String] {
        challenges(for: connection, stale: stale, now: clock.monotonicNow())
    }

    public func decide(_ request: AccessRequest) async -> AccessDecision {
        let now = clock.monotonicNow()
        if case .none = request.credentials, configuration.anonymousGrants.permit(request.action) {
            return .allowed(.anonymous, authenticationInfo: nil)
        }
        if let wait = limiter.retryAfter(for: request.peer, now: now) {
            return .refused(.rateLimited(retryAfter: wait), cause: .backingOff, startedFailureBurst: false)
        }
        switch request.credentials {
        case .none:
            return askForCredentials(request, now: now, cause: .noCredentials, isFailure: false)
        case .malformed(let error):
            return askForCredentials(request, now: now, cause: .malformedAuthorization(error), isFailure: true)
        case .basic(let username, let password):
            return verifyBasic(username: username, password: password, request, now: now)
        case .digest(let digest):
            return verifyDigest(digest, request, now: now)
        case .token(let token):
            return await verifyToken(token, request, now: now)
        case .session(let id):
            return verifySession(id, request, now: now)
        }
    }

    // MARK: - Login sessions

    /// The web page's login form: `username` and `password` checked exactly as Basic
    /// credentials are (the back-off first, one PBKDF2 whether or not the user exists, the
    /// failure counted), whether or not Basic is enabled for `Authorization` headers. A user
    /// allowed from this address with a `read` grant on some path gets a new session; a right
    /// password without one is refused (403) and counts as nothing.
    public func logIn(username: String, password: String, peer: IPAddress, connection: ConnectionID) -> LoginDecision {
        let now = clock.monotonicNow()
        let request = AccessRequest(
            action: AccessAction(.read, path: ""), peer: peer, connection: connection, method: "POST", uri: "/login",
            credentials: .none, spendsTokenUse: false)
        if let wait = limiter.retryAfter(for: peer, now: now) {
            return .refused(.rateLimited(retryAfter: wait), cause: .backingOff, startedFailureBurst: false)
        }
        let user = configuration.user(named: username)
        let verified = (user?.credential ?? dummyCredential).verify(password: password)
        guard let user, verified else {
            let startedBurst = limiter.recordFailure(from: peer, now: now).startedBurst
            return .refused(
                .needsCredentials(challenges: challenges(for: request.connection, stale: false, now: now)),
                cause: .wrongCredentials(username: username), startedFailureBurst: startedBurst)
        }
        limiter.recordSuccess(from: peer)
        guard user.allows(peer) else {
            return .refused(.forbidden, cause: .addressNotAllowed(username: user.name), startedFailureBurst: false)
        }
        guard user.grants.contains(where: { $0.permission == .read }) else {
            return .refused(.forbidden, cause: .nothingToWatch(username: user.name), startedFailureBurst: false)
        }
        return .loggedIn(sessions.open(user: user.name, now: now, using: &sessionRandom))
    }

    /// The live session with this id (without restarting its idle time): for the CSRF check.
    public func loginSession(_ id: String) -> LoginSession? {
        sessions.session(id, now: clock.monotonicNow(), touch: false)
    }

    /// Logout: the session is gone server-side, whatever the browser keeps.
    @discardableResult
    public func endSession(_ id: String) -> Bool {
        sessions.end(id)
    }

    /// Sessions alive now (for tests and the status page).
    public var sessionCount: Int {
        sessions.removeExpired(now: clock.monotonicNow())
        return sessions.count
    }

    /// A session cookie: the session must be alive (which restarts its idle time), then the
    /// user's address and grants are checked as for a password. An unknown id is not counted as
    /// a failure: 128 random bits are not guessed, and every logout and expiry leaves one behind.
    private func verifySession(_ id: String, _ request: AccessRequest, now: Duration) -> AccessDecision {
        guard let session = sessions.session(id, now: now), let user = configuration.user(named: session.user) else {
            if configuration.anonymousGrants.permit(request.action) { return .allowed(.anonymous, authenticationInfo: nil) }
            return askForCredentials(request, now: now, cause: .sessionEnded, isFailure: false)
        }
        return authorize(user, request, authenticationInfo: nil)
    }

    // MARK: - Verification

    private func verifyBasic(username: String, password: String, _ request: AccessRequest, now: Duration) -> AccessDecision {
        guard configuration.basicEnabled else {
            return askForCredentials(request, now: now, cause: .basicDisabled, isFailure: false)
        }
        let user = configuration.user(named: username)
        // Always one PBKDF2, against the dummy when the user is unknown.
        let verified = (user?.credential ?? dummyCredential).verify(password: password)
        guard let user, verified else {
            return askForCredentials(request, now: now, cause: .wrongCredentials(username: username), isFailure: true)
        }
        return authorize(user, request, authenticationInfo: nil)
    }

    private func verifyDigest(_ digest: DigestCredentials, _ request: AccessRequest, now: Duration) -> AccessDecision {
        let algorithm = DigestAlgorithm(token: digest.algorithm ?? DigestAlgorithm.md5.token)
        let hashing = algorithm ?? .md5
        let user = configuration.user(named: digest.username)
        // The same work whether or not the user exists, and whether or not the variant is one
        // Vigil takes: one HA1 lookup, one response, one constant-time comparison.
        let ha1 = user?.credential.ha1(for: hashing) ?? dummyHA1[hashing] ?? ""
        let expected = hashing.response(
            ha1: ha1, nonce: digest.nonce, method: request.method, uri: digest.uri, quality: digest.quality
        )
        let responseMatches = ConstantTime.equal(Array(expected.utf8), Array(digest.response.lowercased().utf8))

        if let unsupported = unsupportedVariant(of: digest, algorithm: algorithm) {
            return askForCredentials(request, now: now, cause: .unsupportedDigest(unsupported), isFailure: true)
        }
        guard let user, responseMatches, digest.realm == configuration.realm, digest.uri == request.uri else {
            return askForCredentials(request, now: now, cause: .wrongCredentials(username: digest.username), isFailure: true)
        }
        // The response proves the password; now is the nonce still good here?
        let issuedAt: Duration
        switch issuer.check(digest.nonce, connection: request.connection, at: now) {
        case .invalid, .expired:
            return askForCredentials(request, now: now, cause: .staleNonce, stale: true, isFailure: false)
        case .fresh(let issued):
            issuedAt = issued
        }
        if let count = digest.nonceCount {
            let admission = nonceCounts.admit(
                count, nonce: digest.nonce, connection: request.connection,
                issuedAt: issuedAt, lifetime: issuer.lifetime, now: now
            )
            switch admission {
            case .admitted: break
            case .replayed:
                return askForCredentials(request, now: now, cause: .replayedNonceCount, stale: true, isFailure: false)
            case .forgotten:
                return askForCredentials(request, now: now, cause: .staleNonce, stale: true, isFailure: false)
            }
        }
        // Past half its life, offer the next nonce (RFC 7616 §3.5) so readers of
        // Authentication-Info never see the nonce expire.
        var info: String?
        if now - issuedAt > issuer.lifetime / 2 {
            info = "nextnonce=" + DigestChallenge.quoted(issuer.issue(for: request.connection, at: now))
        }
        return authorize(user, request, authenticationInfo: info)
    }

    /// Why a digest cannot be checked at all, or nil.
    private func unsupportedVariant(of digest: DigestCredentials, algorithm: DigestAlgorithm?) -> String? {
        guard let algorithm else { return "algorithm \(digest.algorithm ?? "")" }
        guard configuration.digestAlgorithms.contains(algorithm) else { return "algorithm \(algorithm) is not enabled" }
        if let quality = digest.quality, quality.qop.lowercased() != "auth" { return "qop \(quality.qop)" }
        if digest.userhash { return "userhash" }
        return nil
    }

    private func verifyToken(_ token: String, _ request: AccessRequest, now: Duration) async -> AccessDecision {
        guard let tokens else {
            return askForCredentials(request, now: now, cause: .tokensDisabled, isFailure: false)
        }
        let verdict = await tokens.redeem(
            token: token, path: request.action.path, now: clock.wallClockNow(), spend: request.spendsTokenUse)
        switch verdict {
        case .valid(let permissions):
            limiter.recordSuccess(from: request.peer)
            guard permissions.contains(request.action.permission) || configuration.anonymousGrants.permit(request.action) else {
                return .refused(.forbidden, cause: .notPermitted(.token, request.action), startedFailureBurst: false)
            }
            return .allowed(.token, authenticationInfo: nil)
        case .unknown:
            // Guessing tokens is guessing passwords.
            return askForCredentials(request, now: now, cause: .tokenRefused(verdict), isFailure: true)
        case .expired, .exhausted:
            return askForCredentials(request, now: now, cause: .tokenRefused(verdict), isFailure: false)
        case .wrongPath:
            return .refused(.forbidden, cause: .tokenRefused(verdict), startedFailureBurst: false)
        }
    }

    /// Authenticated as `user`: the address, then the grants.
    private func authorize(_ user: User, _ request: AccessRequest, authenticationInfo: String?) -> AccessDecision {
        limiter.recordSuccess(from: request.peer)
        guard user.allows(request.peer) else {
            return .refused(.forbidden, cause: .addressNotAllowed(username: user.name), startedFailureBurst: false)
        }
        guard user.permits(request.action) || configuration.anonymousGrants.permit(request.action) else {
            return .refused(.forbidden, cause: .notPermitted(.user(user.name), request.action), startedFailureBurst: false)
        }
        return .allowed(.user(user.name), authenticationInfo: authenticationInfo)
    }

    /// A 401 with fresh challenges; a failure is counted against the address first.
    private func askForCredentials(
        _ request: AccessRequest, now: Duration, cause: RefusalCause, stale: Bool = false, isFailure: Bool
    ) -> AccessDecision {
        let startedBurst = isFailure && limiter.recordFailure(from: request.peer, now: now).startedBurst
        return .refused(
            .needsCredentials(challenges: challenges(for: request.connection, stale: stale, now: now)),
            cause: cause, startedFailureBurst: startedBurst
        )
    }

    private func challenges(for connection: ConnectionID, stale: Bool, now: Duration) -> [String] {
        let nonce = issuer.issue(for: connection, at: now)
        var values = configuration.digestAlgorithms.map { algorithm in
            DigestChallenge(realm: configuration.realm, nonce: nonce, opaque: opaque, algorithm: algorithm, stale: stale).headerValue
        }
        if configuration.basicEnabled { values.append(BasicChallenge(realm: configuration.realm).headerValue) }
        return values
    }

    // MARK: - Derived secrets

    private static func derive(_ secret: [UInt8], _ label: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(label.utf8), using: SymmetricKey(data: secret)))
    }

    /// A credential no password matches, costing what the users' credentials cost to check.
    private static func makeDummyCredential(
        secret: [UInt8], configuration: AccessConfiguration, dummyHA1: [DigestAlgorithm: String]
    ) -> StoredCredential {
        let iterations = configuration.users.map(\.credential.iterations).max() ?? StoredCredential.defaultIterations
        return StoredCredential(
            realm: configuration.realm, iterations: iterations,
            salt: Array(derive(secret, "vigil-dummy-salt").prefix(StoredCredential.saltByteCount)),
            passwordHash: derive(secret, "vigil-dummy-hash"),
            md5HA1: dummyHA1[.md5] ?? "", sha256HA1: dummyHA1[.sha256] ?? ""
        )
    }
}
