import Crypto
import CryptoExtras
import Foundation

/// A user's password as Vigil keeps it: never in clear. `vigil passwd` prints one as a single
/// TOML string; the config holds only that line.
///
///     v1$<realm>$pbkdf2-sha256$<iterations>$<salt>$<hash>$<md5 HA1>$<sha256 HA1>
///
/// - `v1`: the format version.
/// - `<realm>`: the digest realm the HA1 values were made for, with `%`, `$`, `"`, `\` and
///   control or non-ASCII bytes percent-encoded (`%24` for `$`), so the line splits cleanly.
/// - `pbkdf2-sha256$<iterations>$<salt>$<hash>`: PBKDF2-HMAC-SHA256 (RFC 8018 §5.2) of the
///   password over a random 16-byte salt, standard base64 with padding, a 32-byte hash. Basic
///   authentication is checked against this.
/// - `<md5 HA1>`, `<sha256 HA1>`: H(username ":" realm ":" password) for the two digest
///   algorithms (RFC 7616 §3.4.2), lowercase hex. Digest authentication needs these, because
///   the server must compute the same response the client did.
///
/// **An HA1 is password-equivalent for its realm**: anyone who reads it can answer a digest
/// challenge for that user in that realm without knowing the password (though not in any other
/// realm, and it does not reveal the password itself). That is why the realm is fixed in the
/// config and written into the line: a realm change makes every line wrong, and each user needs
/// a new line from `vigil passwd`. Keep the config file readable by the daemon only.
public struct StoredCredential: Hashable, Sendable, CustomStringConvertible {
    public let realm: String
    public let iterations: Int
    public let salt: [UInt8]
    let passwordHash: [UInt8]
    let md5HA1: String
    let sha256HA1: String

    /// What `vigil passwd` uses: swift-crypto's own floor for checked PBKDF2 rounds. Basic
    /// verification runs PBKDF2 on every request, so this is also its cost per request (tens of
    /// milliseconds on a small ARM core); digest, the usual path, costs one hash.
    public static let defaultIterations = 210_000
    /// Below this a stolen line is no harder to crack than a bare hash; tests may go this low.
    public static let minimumIterations = 1_000
    /// A hand-edited line cannot make every Basic request cost more than a second or so.
    public static let maximumIterations = 10_000_000
    /// RFC 8018 §4.1 asks for at least 8 bytes; 16 makes collisions across users negligible.
    public static let saltByteCount = 16
    /// PBKDF2 output length: one SHA-256 block of output, all the strength the PRF has.
    static let hashByteCount = 32
    static let version = "v1"
    static let scheme = "pbkdf2-sha256"
    static let fieldCount = 8

    /// Derives every stored value from the password. `salt` must be `saltByteCount` random bytes
    /// (see `randomSalt(using:)`); the name is part of the HA1, so a renamed user needs a new line.
    public static func make(
        user: String, password: String, realm: String, salt: [UInt8], iterations: Int = defaultIterations
    ) throws(StoredCredentialError) -> StoredCredential {
        // RFC 7617 §2: a user-id containing a colon cannot be sent with Basic.
        guard !user.isEmpty, !user.contains(":"), user.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F }) else {
            throw .invalidUsername(user)
        }
        guard !realm.isEmpty, realm.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F }) else { throw .invalidRealm(realm) }
        guard salt.count == saltByteCount else { throw .invalidSalt }
        guard (minimumIterations...maximumIterations).contains(iterations) else { throw .iterationsOutOfRange(iterations) }
        guard let hash = pbkdf2(password: Array(password.utf8), salt: salt, iterations: iterations) else {
            throw .invalidHash
        }
        return StoredCredential(
            realm: realm, iterations: iterations, salt: salt, passwordHash: hash,
            md5HA1: DigestAlgorithm.md5.ha1(username: user, realm: realm, password: password),
            sha256HA1: DigestAlgorithm.sha256.ha1(username: user, realm: realm, password: password)
        )
    }

    /// `saltByteCount` bytes from `generator` (the system generator in `vigil passwd`).
    public static func randomSalt<Generator: RandomNumberGenerator>(using generator: inout Generator) -> [UInt8] {
        (0..<saltByteCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// Parses a line made by `encoded`; every field is checked, and the error names the first
    /// that is wrong.
    public init(_ text: String) throws(StoredCredentialError) {
        let fields = text.split(separator: "$", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == Self.fieldCount else { throw .fieldCount(fields.count) }
        guard fields[0] == Self.version else { throw .unsupportedVersion(fields[0]) }
        guard let realm = Self.decodeRealm(fields[1]) else { throw .invalidRealm(fields[1]) }
        guard fields[2] == Self.scheme else { throw .unsupportedScheme(fields[2]) }
        let iterationsText = fields[3]
        guard !iterationsText.isEmpty, iterationsText.utf8.count <= 9,
              iterationsText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), !iterationsText.hasPrefix("0"),
              let iterations = Int(iterationsText)
        else { throw .invalidIterations(iterationsText) }
        guard (Self.minimumIterations...Self.maximumIterations).contains(iterations) else {
            throw .iterationsOutOfRange(iterations)
        }
        guard let salt = Self.decodeBase64(fields[4], byteCount: Self.saltByteCount) else { throw .invalidSalt }
        guard let hash = Self.decodeBase64(fields[5], byteCount: Self.hashByteCount) else { throw .invalidHash }
        guard Hex.isLowercase(fields[6], count: DigestAlgorithm.md5.hexLength) else { throw .invalidHA1(.md5) }
        guard Hex.isLowercase(fields[7], count: DigestAlgorithm.sha256.hexLength) else { throw .invalidHA1(.sha256) }
        self.init(
            realm: realm, iterations: iterations, salt: salt, passwordHash: hash, md5HA1: fields[6], sha256HA1: fields[7]
        )
    }

    init(realm: String, iterations: Int, salt: [UInt8], passwordHash: [UInt8], md5HA1: String, sha256HA1: String) {
        self.realm = realm
        self.iterations = iterations
        self.salt = salt
        self.passwordHash = passwordHash
        self.md5HA1 = md5HA1
        self.sha256HA1 = sha256HA1
    }

    /// The line for the config file.
    public var encoded: String {
        [
            Self.version, Self.encodeRealm(realm), Self.scheme, String(iterations),
            Data(salt).base64EncodedString(), Data(passwordHash).base64EncodedString(), md5HA1, sha256HA1,
        ].joined(separator: "$")
    }

    /// Not the line: its HA1 values are secrets and must stay out of logs.
    public var description: String { "StoredCredential(realm: \(realm), \(Self.scheme), \(iterations) iterations)" }

    /// True when `password` derives the stored hash. The comparison is constant-time.
    public func verify(password: String) -> Bool {
        guard let derived = Self.pbkdf2(password: Array(password.utf8), salt: salt, iterations: iterations) else {
            return false
        }
        return ConstantTime.equal(derived, passwordHash)
    }

    /// H(username ":" realm ":" password) for `algorithm`, as lowercase hex.
    public func ha1(for algorithm: DigestAlgorithm) -> String {
        switch algorithm {
        case .md5: md5HA1
        case .sha256: sha256HA1
        }
    }

    /// PBKDF2-HMAC-SHA256 with a 32-byte output. The checked swift-crypto entry point refuses
    /// fewer than 210,000 rounds; the range is enforced here instead, so tests can run fast.
    static func pbkdf2(password: [UInt8], salt: [UInt8], iterations: Int, byteCount: Int = hashByteCount) -> [UInt8]? {
        guard let key = try? KDF.Insecure.PBKDF2.deriveKey(
            from: password, salt: salt, using: .sha256, outputByteCount: byteCount, unsafeUncheckedRounds: iterations
        ) else { return nil }
        return key.withUnsafeBytes { Array($0) }
    }

    static func decodeBase64(_ text: String, byteCount: Int) -> [UInt8]? {
        guard let data = Data(base64Encoded: text), data.count == byteCount else { return nil }
        // Only the canonical spelling: one credential has one line.
        guard data.base64EncodedString() == text else { return nil }
        return Array(data)
    }

    static func encodeRealm(_ realm: String) -> String {
        var out = ""
        for byte in realm.utf8 {
            if byte < 0x20 || byte >= 0x7F || byte == 0x25 || byte == 0x24 || byte == 0x22 || byte == 0x5C {
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            } else {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            }
        }
        return out
    }

    static func decodeRealm(_ text: String) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == 0x25 else { bytes.append(byte); continue }
            guard let high = iterator.next().flatMap(Hex.value(of:)), let low = iterator.next().flatMap(Hex.value(of:)) else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        guard !bytes.isEmpty, let realm = UTF8Text.decode(bytes) else { return nil }
        // Strict: the one spelling `encodeRealm` writes.
        return encodeRealm(realm) == text ? realm : nil
    }
}

/// Why a stored-credential line was refused; each case names the field.
public enum StoredCredentialError: Error, Hashable, Sendable, CustomStringConvertible {
    case fieldCount(Int)
    case unsupportedVersion(String)
    case invalidRealm(String)
    case unsupportedScheme(String)
    case invalidIterations(String)
    case iterationsOutOfRange(Int)
    case invalidSalt
    case invalidHash
    case invalidHA1(DigestAlgorithm)
    case invalidUsername(String)

    public var description: String {
        switch self {
        case .fieldCount(let count):
            "a stored credential has \(StoredCredential.fieldCount) fields separated by \"$\", this one has \(count); make a new line with `vigil passwd`"
        case .unsupportedVersion(let version): "unsupported stored-credential version \"\(version)\" (expected \"v1\")"
        case .invalidRealm(let realm): "invalid realm field \"\(realm)\""
        case .unsupportedScheme(let scheme): "unsupported password scheme \"\(scheme)\" (expected \"pbkdf2-sha256\")"
        case .invalidIterations(let text): "iteration count \"\(text)\" is not a decimal number"
        case .iterationsOutOfRange(let count):
            "iteration count \(count) is outside \(StoredCredential.minimumIterations)…\(StoredCredential.maximumIterations)"
        case .invalidSalt: "salt is not \(StoredCredential.saltByteCount) bytes of canonical base64"
        case .invalidHash: "password hash is not \(StoredCredential.hashByteCount) bytes of canonical base64"
        case .invalidHA1(let algorithm): "\(algorithm) HA1 is not \(algorithm.hexLength) lowercase hex digits"
        case .invalidUsername(let user): "user name \"\(user)\" is empty, has a colon or a control character"
        }
    }
}
