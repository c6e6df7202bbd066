import Foundation
@testable import Access

/// A clock the test moves by hand.
/// @unchecked Sendable: every read and write of `now` and `wall` holds `lock`.
final class ManualClock: AccessClock, @unchecked Sendable {
    private let lock = NSLock()
    private var now: Duration
    private var wall: Date

    init(start: Duration = .seconds(1_000), wall: Date = Date(timeIntervalSince1970: 1_700_000_000)) {
        now = start
        self.wall = wall
    }

    func advance(by duration: Duration) {
        lock.withLock {
            now += duration
            wall += TimeInterval(duration.components.seconds) + TimeInterval(duration.components.attoseconds) / 1e18
        }
    }

    func monotonicNow() -> Duration { lock.withLock { now } }
    func wallClockNow() -> Date { lock.withLock { wall } }
}

/// Tokens from a table; records what it was asked.
/// @unchecked Sendable: `asked` is only touched under `lock`.
final class TableTokens: TokenRedeeming, @unchecked Sendable {
    private let verdicts: [String: TokenVerdict]
    private let lock = NSLock()
    private var asked: [(token: String, path: String, now: Date, spend: Bool)] = []

    init(_ verdicts: [String: TokenVerdict]) { self.verdicts = verdicts }

    func redeem(token: String, path: String, now: Date, spend: Bool) async -> TokenVerdict {
        lock.withLock { asked.append((token, path, now, spend)) }
        return verdicts[token] ?? .unknown
    }

    var requests: [(token: String, path: String, now: Date, spend: Bool)] { lock.withLock { asked } }
}

/// The parameters of one `WWW-Authenticate: Digest` value.
struct ParsedChallenge {
    var parameters: [String: String]
    var algorithm: String? { parameters["algorithm"] }
    var nonce: String { parameters["nonce"] ?? "" }
    var realm: String { parameters["realm"] ?? "" }
    var opaque: String? { parameters["opaque"] }
    var qop: String? { parameters["qop"] }
    var stale: Bool { parameters["stale"]?.lowercased() == "true" }

    init?(_ value: String) {
        guard value.hasPrefix("Digest ") else { return nil }
        var scanner = HeaderScanner(Array(value.utf8))
        _ = scanner.readToken()
        guard let parameters = try? AuthorizationHeader.authParameters(&scanner, scheme: "Digest") else { return nil }
        self.parameters = parameters
    }
}

/// What ffmpeg's RTSP client sends, after libavformat/httpauth.c (FFmpeg 5.1 to 7.x):
/// `ff_http_auth_handle_header` runs once per WWW-Authenticate line and resets the digest state
/// each time, so the *last* Digest challenge wins; `make_digest_auth` then computes MD5 only
/// (any other algorithm but MD5-sess makes it give up) and writes
///
///     Digest username="%s",realm="%s",nonce="%s",uri="%s",response="%s"[,algorithm=%s]
///         [,opaque="%s"][,qop="%s",cnonce="%s",nc=%s]
///
/// with no spaces, `algorithm` only when the challenge had one (unquoted), `qop` quoted,
/// a 16-hex-digit cnonce and `nc` as `%08x`. The uri is the request URL as on the request line.
enum FFmpegClient {
    static func authorization(
        username: String, password: String, challenges: [String], method: String, uri: String,
        nonceCount: UInt32, cnonce: String = "0a4f113b6c5e2d71"
    ) -> String? {
        guard let challenge = challenges.compactMap(ParsedChallenge.init).last else { return nil }
        let algorithm = challenge.algorithm ?? ""
        guard algorithm == "" || algorithm == "MD5" else { return nil }
        let qop = (challenge.qop ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.contains("auth")
            ? "auth" : ""
        let ha1 = DigestAlgorithm.md5.ha1(username: username, realm: challenge.realm, password: password)
        let quality = qop.isEmpty ? nil : DigestAlgorithm.QualityOfProtection(nonceCount: nonceCount, cnonce: cnonce)
        let response = DigestAlgorithm.md5.response(ha1: ha1, nonce: challenge.nonce, method: method, uri: uri, quality: quality)
        var header = "Digest username=\"\(username)\",realm=\"\(challenge.realm)\",nonce=\"\(challenge.nonce)\""
        header += ",uri=\"\(uri)\",response=\"\(response)\""
        if !algorithm.isEmpty { header += ",algorithm=\(algorithm)" }
        if let opaque = challenge.opaque { header += ",opaque=\"\(opaque)\"" }
        if let quality { header += ",qop=\"auth\",cnonce=\"\(quality.cnonce)\",nc=\(quality.nonceCountText)" }
        return header
    }
}

/// What GStreamer's rtspsrc sends (gst-plugins-base gstrtspconnection.c `add_auth_header`,
/// 1.22 and later): gstrtspsrc.c `gst_rtspsrc_parse_auth_hdr` clears the auth params at each
/// Digest challenge, so the last one wins; the response is always MD5 in RFC 2069 style
/// (`gst_rtsp_generate_digest_auth_response (NULL, …)`: no qop, nc, cnonce or algorithm):
///
///     Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s"[, opaque="%s"]
///
/// The uri is `message->type_data.request.uri`, the request URL.
enum GStreamerClient {
    static func authorization(username: String, password: String, challenges: [String], method: String, uri: String) -> String? {
        guard let challenge = challenges.compactMap(ParsedChallenge.init).last else { return nil }
        let ha1 = DigestAlgorithm.md5.ha1(username: username, realm: challenge.realm, password: password)
        let response = DigestAlgorithm.md5.response(ha1: ha1, nonce: challenge.nonce, method: method, uri: uri, quality: nil)
        var header = "Digest username=\"\(username)\", realm=\"\(challenge.realm)\", nonce=\"\(challenge.nonce)\", uri=\"\(uri)\", response=\"\(response)\""
        if let opaque = challenge.opaque { header += ", opaque=\"\(opaque)\"" }
        return header
    }
}

/// An RFC 7616 client that takes the *first* challenge it supports (§3.7), with qop=auth.
enum RFC7616Client {
    static func authorization(
        username: String, password: String, challenges: [String], method: String, uri: String,
        nonceCount: UInt32, cnonce: String = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
    ) -> String? {
        guard let challenge = challenges.compactMap(ParsedChallenge.init).first,
              let algorithm = DigestAlgorithm(token: challenge.algorithm ?? "MD5")
        else { return nil }
        let ha1 = algorithm.ha1(username: username, realm: challenge.realm, password: password)
        let quality = DigestAlgorithm.QualityOfProtection(nonceCount: nonceCount, cnonce: cnonce)
        let response = algorithm.response(ha1: ha1, nonce: challenge.nonce, method: method, uri: uri, quality: quality)
        var header = "Digest username=\"\(username)\", realm=\"\(challenge.realm)\", uri=\"\(uri)\", algorithm=\(algorithm.token), "
        header += "nonce=\"\(challenge.nonce)\", nc=\(quality.nonceCountText), cnonce=\"\(cnonce)\", qop=auth, response=\"\(response)\""
        if let opaque = challenge.opaque { header += ", opaque=\"\(opaque)\"" }
        return header
    }
}

/// Fixed test secret: 32 bytes.
let testSecret: [UInt8] = Array(0..<32)

/// A few users, with credentials made at the minimum iteration count so the suite stays fast.
enum Fixture {
    static let realm = "Vigil"
    static let iterations = StoredCredential.minimumIterations

    static func credential(_ user: String, _ password: String, realm: String = realm) -> StoredCredential {
        // swiftlint:disable:next force_try
        try! StoredCredential.make(
            user: user, password: password, realm: realm, salt: Array(repeating: UInt8(user.utf8.count), count: 16),
            iterations: iterations
        )
    }

    static func grants(_ list: [(Permission, String)]) -> [Grant] {
        // swiftlint:disable:next force_try
        list.map { Grant($0.0, path: try! PathPattern($0.1)) }
    }
}

extension AccessDecision {
    var challenges: [String]? {
        if case .refused(.needsCredentials(let challenges), _, _) = self { return challenges }
        return nil
    }

    var cause: RefusalCause? {
        if case .refused(_, let cause, _) = self { return cause }
        return nil
    }

    var refusal: AccessRefusal? {
        if case .refused(let refusal, _, _) = self { return refusal }
        return nil
    }

    var principal: Principal? {
        if case .allowed(let principal, _) = self { return principal }
        return nil
    }

    var startedBurst: Bool {
        if case .refused(_, _, let started) = self { return started }
        return false
    }
}
