import Access
import Foundation
import Logging
import Tokens

/// Access control's view of the token store: a DESCRIBE checks (`spend` false), the SETUP that
/// creates a session spends one use. A valid token lets its bearer watch and play back the
/// stream it was minted for, nothing more.
struct TokenStoreRedeemer: TokenRedeeming {
    /// What a token grants on its stream.
    static let permissions: Set<Permission> = [.read, .playback]

    let store: TokenStore
    let logger: Logger

    func redeem(token: String, path: String, now: Date, spend: Bool) async -> Access.TokenVerdict {
        let verdict: Tokens.TokenVerdict
        do {
            verdict = spend
                ? try await store.redeem(token: token, path: path, now: now)
                : try await store.check(token: token, path: path, now: now)
        } catch {
            // A storage failure lets nobody in; the viewer is asked for credentials again.
            logger.error("token store failed; token refused", metadata: ["error": "\(error)"])
            return .unknown
        }
        switch verdict {
        case .valid: return .valid(permissions: Self.permissions)
        case .unknown: return .unknown
        case .expired: return .expired
        case .exhausted: return .exhausted
        case .wrongPath: return .wrongPath
        }
    }
}
