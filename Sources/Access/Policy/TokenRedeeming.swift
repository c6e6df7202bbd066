import Foundation

/// Where tokens are checked and spent. Another target keeps them (with a lifetime and a use
/// count); access control only asks.
public protocol TokenRedeeming: Sendable {
    /// Checks `token` for `path` at `now` and, when it is valid and `spend` is true, spends one
    /// use of it. One use is one new session: RTSP checks at DESCRIBE without spending, and
    /// spends at the SETUP that creates the session.
    func redeem(token: String, path: String, now: Date, spend: Bool) async -> TokenVerdict
}
