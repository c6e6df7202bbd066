import Crypto

/// Stateless digest nonces, bound to a connection and to the time they were issued.
///
///     nonce = base64url( version ‖ issued ‖ MAC )            34 characters
///     version = 0x01                                          1 byte
///     issued  = milliseconds on the monotonic clock            8 bytes, big-endian
///     MAC     = HMAC-SHA256(secret, "vigil-nonce" ‖ version ‖ issued ‖ connection)[0..<16]
///
/// No table of issued nonces is kept: the MAC proves the server made the nonce, for that
/// connection, at that time. So a nonce expires `lifetime` after it was issued, cannot be
/// forged, and is refused on any other connection (it cannot be replayed across sessions).
/// RFC 7616 §3.3 leaves the nonce's construction to the server; §5.5 suggests a time stamp
/// and a secret. The MAC is cut to 128 bits (RFC 2104 §5 allows half the hash or more). The
/// secret lives in memory only; a restart invalidates every nonce, which clients survive by
/// answering the next 401.
public struct DigestNonceIssuer: Sendable {
    /// Long enough for a client to authenticate a whole RTSP setup; short enough that a
    /// captured nonce is useless soon after.
    public static let defaultLifetime: Duration = .seconds(300)
    /// 256 bits, the HMAC-SHA256 key size.
    public static let minimumSecretByteCount = 32

    public let lifetime: Duration
    let key: SymmetricKey

    static let version: UInt8 = 1
    static let label = Array("vigil-nonce".utf8)
    static let macByteCount = 16
    static let byteCount = 1 + 8 + macByteCount
    /// Ours are 34 characters; anything much longer is refused before it is decoded.
    static let maximumTextLength = 64

    /// `secret` must hold at least `minimumSecretByteCount` random bytes, drawn once at start.
    public init(secret: [UInt8], lifetime: Duration = defaultLifetime) {
        precondition(secret.count >= Self.minimumSecretByteCount, "a nonce secret needs at least 32 random bytes")
        precondition(lifetime > .zero, "a nonce lifetime must be positive")
        key = SymmetricKey(data: secret)
        self.lifetime = lifetime
    }

    /// A new nonce for `connection`, issued at `now` (monotonic).
    public func issue(for connection: ConnectionID, at now: Duration) -> String {
        let issued = UInt64(max(now.wholeMilliseconds, 0))
        var bytes = [Self.version] + Self.bigEndian(issued)
        bytes += mac(issued: issued, connection: connection)
        return Base64URL.encode(bytes)
    }

    /// What a presented nonce is worth on `connection` at `now`.
    public func check(_ nonce: String, connection: ConnectionID, at now: Duration) -> NonceCheck {
        guard nonce.utf8.count <= Self.maximumTextLength, let bytes = Base64URL.decode(nonce), bytes.count == Self.byteCount,
              bytes[0] == Self.version,
              // One spelling per nonce: replay tracking is keyed by the text.
              Base64URL.encode(bytes) == nonce
        else { return .invalid }
        let issued = bytes[1..<9].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard ConstantTime.equal(bytes[9...], mac(issued: issued, connection: connection)) else { return .invalid }
        guard issued <= UInt64(Int64.max) else { return .invalid }
        let issuedAt = Duration.milliseconds(Int64(issued))
        // The monotonic clock never runs backwards; a nonce from the future is not ours.
        guard issuedAt <= now else { return .invalid }
        return now - issuedAt > lifetime ? .expired(issuedAt: issuedAt) : .fresh(issuedAt: issuedAt)
    }

    /// The verdict on one nonce.
    public enum NonceCheck: Hashable, Sendable {
        /// Made by this server for this connection, and younger than the lifetime.
        case fresh(issuedAt: Duration)
        /// Made by this server for this connection, but older than the lifetime.
        case expired(issuedAt: Duration)
        /// Forged, damaged, from before a restart, or made for another connection.
        case invalid
    }

    private func mac(issued: UInt64, connection: ConnectionID) -> [UInt8] {
        var input = Self.label
        input.append(Self.version)
        input += Self.bigEndian(issued)
        input += Self.bigEndian(connection.rawValue)
        let code = HMAC<SHA256>.authenticationCode(for: input, using: key)
        return Array(Array(code).prefix(Self.macByteCount))
    }

    static func bigEndian(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * UInt64($0))) }
    }
}
