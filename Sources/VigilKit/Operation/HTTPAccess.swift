import Access
import Hummingbird
import Logging
import NIOCore

/// The HTTP side of access control: an `AccessRequest` from a Hummingbird request, and the
/// answer to a refusal (401 with every `WWW-Authenticate` challenge, 403, 429 + `Retry-After`).
enum HTTPAccess {
    /// The request as the policy sees it. Digest nonces are bound to a `ConnectionID`; HTTP
    /// clients differ in whether they keep the connection between the 401 and the retry
    /// (curl does, Python's urllib does not), so for HTTP the "connection" is the client's
    /// address: a nonce is good from the address it was issued to. The top bit keeps these
    /// apart from the RTSP server's connection counter.
    ///
    /// Credentials are the `Authorization` header's or, without one, the web page's session
    /// cookie (`SessionCookie`), which the policy looks up in its session table: a page's
    /// requests pass the same check, with the same grants, as a digest client's.
    static func accessRequest(_ request: Request, context: StatusRequestContext, action: AccessAction) -> AccessRequest {
        let peer = peerAddress(context)
        return AccessRequest(
            action: action, peer: peer, connection: connection(for: peer), method: request.method.rawValue,
            uri: request.head.path ?? "/", credentials: credentials(request), spendsTokenUse: false)
    }

    static func credentials(_ request: Request) -> PresentedCredentials {
        if let authorization = request.headers[.authorization] { return PresentedCredentials(authorization: authorization) }
        if let id = sessionID(request) { return .session(id) }
        return .none
    }

    /// The session id of the request's cookie, if it carries one.
    static func sessionID(_ request: Request) -> String? {
        let cookies = request.headers[values: .cookie]
        return cookies.isEmpty ? nil : SessionCookie.sessionID(inCookieHeaders: cookies)
    }

    static func peerAddress(_ context: StatusRequestContext) -> IPAddress {
        if let text = context.channel.remoteAddress?.ipAddress, let address = try? IPAddress(text) { return address }
        // A peer without an IP address (a Unix socket) matches no `ips` allow list but 0.0.0.0/0.
        return IPAddress(bytes: [0, 0, 0, 0])!
    }

    static func connection(for peer: IPAddress) -> ConnectionID {
        // FNV-1a: stable, and collisions only let a nonce be used from another address,
        // still with the right password.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in peer.unmapped.bytes {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return ConnectionID(hash | 1 << 63)
    }

    /// The response to a refusal; the body says what to do, never why a password was wrong.
    static func response(for refusal: AccessRefusal) -> Response {
        switch refusal {
        case .needsCredentials(let challenges):
            var headers: HTTPFields = [.contentType: "text/plain; charset=utf-8"]
            for challenge in challenges { headers.append(HTTPFields.Element(name: .wwwAuthenticate, value: challenge)) }
            return Response(status: .unauthorized, headers: headers, body: .init(byteBuffer: ByteBuffer(string: "credentials required\n")))
        case .forbidden:
            return Response(
                status: .forbidden, headers: [.contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: "forbidden\n")))
        case .rateLimited(let wait):
            return Response(
                status: .tooManyRequests,
                headers: [.retryAfter: String(wholeSecondsRoundedUp(wait)), .contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: "too many failed attempts; retry later\n")))
        }
    }

    static func wholeSecondsRoundedUp(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return max(1, seconds + (attoseconds > 0 ? 1 : 0))
    }

    /// One line per refusal at debug; the failure that starts a burst from an address at
    /// warning, with the peer, once.
    static func log(_ cause: RefusalCause, startedBurst: Bool, action: AccessAction, peer: IPAddress, logger: Logger) {
        if startedBurst {
            logger.warning("repeated access failures; backing off", metadata: ["peer": "\(peer)", "cause": "\(cause)"])
        } else {
            logger.debug("HTTP request refused", metadata: ["peer": "\(peer)", "action": "\(action)", "cause": "\(cause)"])
        }
    }
}

/// Lets a request through only when the policy allows `permission` on `path`; otherwise
/// answers the refusal. `Authentication-Info` (a `nextnonce`) rides on the allowed response.
struct HTTPAccessMiddleware: RouterMiddleware {
    typealias Context = StatusRequestContext

    let policy: AccessPolicy
    let permission: Permission
    /// The API path the grant is checked on (`status`, `metrics`, `tokens`).
    let path: String
    let logger: Logger

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let action = AccessAction(permission, path: path)
        let accessRequest = HTTPAccess.accessRequest(request, context: context, action: action)
        switch await policy.decide(accessRequest) {
        case .allowed(_, let authenticationInfo):
            var response = try await next(request, context)
            if let authenticationInfo { response.headers[.authenticationInfo] = authenticationInfo }
            return response
        case .refused(let refusal, let cause, let startedBurst):
            HTTPAccess.log(cause, startedBurst: startedBurst, action: action, peer: accessRequest.peer, logger: logger)
            return HTTPAccess.response(for: refusal)
        }
    }
}
