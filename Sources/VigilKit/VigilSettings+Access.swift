import Access
import Foundation

extension VigilSettings {
    /// `[access]` and the `[[user]]` tables: who may watch, read the API and mint tokens, and
    /// where the token store lives. A value (compared on reload); `AccessPolicy` is built from it.
    public struct Access: Sendable, Hashable {
        /// The digest realm; every user's stored credential was made for it (`vigil passwd`).
        public var realm = "Vigil"
        public var users: [User] = []
        /// `[access] anonymous` as written; nil when the key is absent (see `anonymousGrants`).
        public var anonymous: [Grant]?
        /// Also accept `Authorization: Basic` (a PBKDF2 per request).
        public var basic = false
        /// The UMAS "service access password" `/gettoken` takes as `token=`; nil: no tokens.
        public var tokenSecret: String?
        /// The longest lifetime and the most uses a minted token may have (nil: no bound).
        public var tokenMaxDuration: Int? = 86_400
        public var tokenMaxUses: Int?
        /// Where `tokens.sqlite` lives; nil: `$STATE_DIRECTORY` (systemd's `StateDirectory=`)
        /// or `/var/lib/vigil` (see `resolvedStateDirectory`).
        public var stateDirectory: String?

        public init() {}

        /// With no users and no `anonymous` key, everything but `admin` is open: the box
        /// shows its picture before anyone configured anything.
        public var isOpen: Bool { users.isEmpty && anonymous == nil }

        /// What anyone may do without credentials: the `anonymous` key when written; else
        /// everything but `admin` while there are no users, and nothing once there are.
        public var anonymousGrants: [Grant] {
            if let anonymous { return anonymous }
            return isOpen ? [Permission.read, .playback, .api].map { Grant($0, path: .any) } : []
        }

        /// The policy's configuration. The config file checked all of this already, so a
        /// failure here is a settings value built in code.
        public func configuration() throws(AccessConfigurationError) -> AccessConfiguration {
            try AccessConfiguration(realm: realm, users: users, anonymousGrants: anonymousGrants, basicEnabled: basic)
        }

        public static let defaultStateDirectory = "/var/lib/vigil"

        /// `stateDirectory`, else the first of systemd's `$STATE_DIRECTORY` (a colon-separated
        /// list), else `/var/lib/vigil`.
        public func resolvedStateDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
            if let stateDirectory { return stateDirectory }
            if let fromSystemd = environment["STATE_DIRECTORY"]?.split(separator: ":").first, !fromSystemd.isEmpty {
                return String(fromSystemd)
            }
            return Self.defaultStateDirectory
        }

        /// The API (`/api/v1/status`, `/metrics`) off loopback needs someone to be granted
        /// `api` explicitly — a user, or the written `anonymous` key; the implicit open default
        /// does not count, so an API on 0.0.0.0 is never open by accident. nil when fine.
        public func apiExposureProblem(httpHost: String) -> String? {
            apiExposureReason(httpHost: httpHost).map { "http.host = \(httpHost) \($0)" }
        }

        /// `apiExposureProblem` without the key, for a config problem that names it.
        func apiExposureReason(httpHost: String) -> String? {
            guard !Self.isLoopback(httpHost) else { return nil }
            let action = AccessAction(.api, path: "status")
            let granted = users.contains { $0.permits(action) } || (anonymous ?? []).contains { $0.permits(action) }
            guard !granted else { return nil }
            return "needs a [[user]] with \"api\" permission, or [access] anonymous = [\"api\"]"
        }

        /// 127.0.0.0/8, ::1 and their IPv4-mapped forms: reachable from this box only.
        public static func isLoopback(_ host: String) -> Bool {
            if host == "localhost" { return true }
            guard let address = try? IPAddress(host) else { return false }
            let unmapped = address.unmapped
            if unmapped.isIPv4 { return unmapped.bytes[0] == 127 }
            return unmapped.bytes == [UInt8](repeating: 0, count: 15) + [1]
        }
    }
}
