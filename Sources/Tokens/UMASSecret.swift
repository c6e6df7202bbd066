import Crypto
import Foundation

/// The shared secret a web back end presents as `gettoken`'s `token` parameter, compared in
/// constant time.
///
/// Both sides are hashed with SHA-256 first and the digests compared with swift-crypto's
/// constant-time equality: the time taken depends on neither the secret's length nor on how
/// many leading bytes a guess got right.
public struct UMASSecret: Sendable {
    private let digest: SHA256.Digest

    /// nil for an empty secret: an empty configured secret would let anyone mint, so the
    /// composition root leaves `gettoken` off instead.
    public init?(_ secret: String) {
        guard !secret.isEmpty else { return nil }
        digest = SHA256.hash(data: Data(secret.utf8))
    }

    public func accepts(_ presented: String) -> Bool {
        SHA256.hash(data: Data(presented.utf8)) == digest
    }
}
