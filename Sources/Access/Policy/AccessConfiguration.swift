/// The `[access]` settings: who may do what, and how they prove it. Built once per config
/// load; `init` refuses a configuration that cannot work, with a message for the operator.
public struct AccessConfiguration: Sendable {
    /// The digest realm. Fixed, because every stored credential's HA1 depends on it.
    public var realm: String
    public private(set) var users: [User]
    /// `[access] anonymous = [...]`: what anyone may do without credentials. Users have these
    /// grants too.
    public var anonymousGrants: [Grant]
    /// Accept `Authorization: Basic`. Off by default: Basic sends the password itself, and
    /// costs a PBKDF2 per request.
    public var basicEnabled: Bool
    /// Digest algorithms offered, in challenge order. Both by default: SHA-256 for clients
    /// that have it, MD5 because ffmpeg and GStreamer know nothing else.
    public var digestAlgorithms: [DigestAlgorithm]
    public var nonceLifetime: Duration

    private var usersByName: [String: User]

    public init(
        realm: String, users: [User] = [], anonymousGrants: [Grant] = [], basicEnabled: Bool = false,
        digestAlgorithms: [DigestAlgorithm] = [.sha256, .md5], nonceLifetime: Duration = DigestNonceIssuer.defaultLifetime
    ) throws(AccessConfigurationError) {
        guard !realm.isEmpty, realm.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F }) else { throw .invalidRealm(realm) }
        guard !digestAlgorithms.isEmpty, Set(digestAlgorithms).count == digestAlgorithms.count else {
            throw .invalidDigestAlgorithms
        }
        guard nonceLifetime > .zero else { throw .invalidNonceLifetime }
        var byName: [String: User] = [:]
        for user in users {
            guard !user.name.isEmpty, !user.name.contains(":"), user.name.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F }) else {
                throw .invalidUserName(user.name)
            }
            guard byName[user.name] == nil else { throw .duplicateUser(user.name) }
            guard user.credential.realm == realm else {
                throw .realmMismatch(user: user.name, credentialRealm: user.credential.realm, realm: realm)
            }
            byName[user.name] = user
        }
        self.realm = realm
        self.users = users
        self.anonymousGrants = anonymousGrants
        self.basicEnabled = basicEnabled
        self.digestAlgorithms = digestAlgorithms
        self.nonceLifetime = nonceLifetime
        usersByName = byName
    }

    public func user(named name: String) -> User? { usersByName[name] }
}

/// Why an `[access]` configuration was refused.
public enum AccessConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    case invalidRealm(String)
    case invalidUserName(String)
    case duplicateUser(String)
    case realmMismatch(user: String, credentialRealm: String, realm: String)
    case invalidDigestAlgorithms
    case invalidNonceLifetime

    public var description: String {
        switch self {
        case .invalidRealm(let realm): "realm \"\(realm)\" is empty or has a control character"
        case .invalidUserName(let name): "user name \"\(name)\" is empty, has a colon or a control character"
        case .duplicateUser(let name): "user \"\(name)\" is configured twice"
        case .realmMismatch(let user, let credentialRealm, let realm):
            "the credential of user \"\(user)\" was made for realm \"\(credentialRealm)\", but the realm is \"\(realm)\"; make a new one with `vigil passwd`"
        case .invalidDigestAlgorithms: "digest algorithms must be a non-empty list without repeats"
        case .invalidNonceLifetime: "the nonce lifetime must be positive"
        }
    }
}
