import Foundation

/// Where tokens are checked and spent. Another target keeps them (with a lifetime and a use
/// count); access control only asks.
public protocol TokenRedeeming: Sendable {
    /// Checks `token` for `path` at `now` and, when it is valid, spends one use of it.
    func redeem(token: String, path: String, now: Date) async -> TokenVerdict
}
