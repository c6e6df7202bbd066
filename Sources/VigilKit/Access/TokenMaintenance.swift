import Access
import Foundation
import Logging
import ServiceLifecycle
import Tokens

/// Keeps the token store tidy while Vigil runs: expired and spent tokens are deleted at start
/// and every `interval`, and the database is closed (its WAL folded in) at shutdown — after
/// the RTSP server and the HTTP API, which are shut down before it.
final class TokenMaintenance: Service, Sendable {
    /// Dead tokens only cost a row each; a minute keeps the admin list short without churn.
    static let interval = Duration.seconds(60)

    let store: TokenStore
    let clock: any AccessClock
    let logger: Logger

    init(store: TokenStore, clock: any AccessClock, logger: Logger) {
        self.store = store
        self.clock = clock
        self.logger = logger
    }

    func run() async throws {
        await purge()
        await cancelWhenGracefulShutdown { [self] in
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: Self.interval)
                } catch {
                    break
                }
                await purge()
            }
        }
        do {
            try await store.close()
        } catch {
            logger.warning("token store did not close cleanly", metadata: ["error": "\(error)"])
        }
    }

    func purge() async {
        do {
            let purged = try await store.purgeExpired(now: clock.wallClockNow())
            if purged > 0 { logger.debug("expired tokens deleted", metadata: ["count": "\(purged)"]) }
        } catch {
            logger.error("token purge failed", metadata: ["error": "\(error)"])
        }
    }
}
