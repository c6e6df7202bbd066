import Access
import Foundation
import Hummingbird
import NIOCore
import Tokens

/// The token routes of the HTTP API:
///
/// - `GET /gettoken?token=SECRET&app=PATH&duration=S&limit=N&format=xml|json`, as UMAS has
///   it: the bare token (default), `{"Token":"…"}` or the XML document (`UMASReply`). SECRET is
///   `[access] token_secret`; an `admin` user's credentials do instead (then `token` may be left
///   out). A wrong secret is 403, a bad parameter 400 naming it, and with no token store (no
///   `token_secret` at start) the route is 404: the resource does not exist in this
///   configuration, and no retry will change that (503 would suggest one).
/// - `GET /api/v1/tokens`: every stored token (JSON), `admin` only.
/// - `DELETE /api/v1/tokens/{token}`: revokes one, `admin` only; 204, or 404 for no such token.
extension StatusAPI {
    func addTokenRoutes(to router: Router<StatusRequestContext>, vigil: Vigil) {
        router.get("gettoken") { [weak self, weak vigil] request, context -> Response in
            guard let self, let vigil else { return Response(status: .serviceUnavailable) }
            return try await self.getToken(request, context: context, vigil: vigil)
        }
        let admin = router.group("api/v1/tokens")
            .add(middleware: HTTPAccessMiddleware(policy: access, permission: .admin, path: "tokens", logger: logger))
        admin.get { [weak vigil] _, _ -> Response in
            guard let vigil else { return Response(status: .serviceUnavailable) }
            guard let store = vigil.tokens else { return Self.tokensOff }
            let list = try await store.list(now: vigil.accessClock.wallClockNow()).map(TokenListEntry.init)
            return Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(bytes: try TokenListEntry.encoder().encode(TokenList(tokens: list)))))
        }
        admin.delete(":token") { [weak self, weak vigil] _, context -> Response in
            guard let vigil else { return Response(status: .serviceUnavailable) }
            guard let store = vigil.tokens else { return Self.tokensOff }
            let token = context.parameters.get("token") ?? ""
            guard try await store.revoke(token: token) else { return Self.text(.notFound, "no such token\n") }
            self?.logger.info("token revoked")
            return Response(status: .noContent)
        }
    }

    static var tokensOff: Response {
        text(.notFound, "tokens are off: set [access] token_secret (and restart) to enable them\n")
    }

    static func text(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(
            status: status, headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    private func getToken(_ request: Request, context: StatusRequestContext, vigil: Vigil) async throws -> Response {
        guard let store = vigil.tokens else { return Self.tokensOff }
        let query = request.uri.query ?? ""
        // Without `token=` the caller must be an admin; the placeholder only lets the other
        // parameters be read.
        let parsed: UMASRequest
        let presented: String?
        switch Self.parse(query) {
        case .success(let request):
            parsed = request
            presented = request.secret
        case .failure(.missingParameter("token")):
            switch Self.parse(query + "&token=-") {
            case .success(let request): parsed = request
            case .failure(let error): return Self.text(.badRequest, "\(error)\n")
            }
            presented = nil
        case .failure(let error):
            return Self.text(.badRequest, "\(error)\n")
        }

        let secret = vigil.tokenSecret.withLock { $0 }
        let peer = HTTPAccess.peerAddress(context)
        // Guessing the secret is guessing a password: the same back-off per address.
        if presented != nil, let wait = await access.backOff(for: peer) {
            return HTTPAccess.response(for: .rateLimited(retryAfter: wait))
        }
        let label: String
        if let presented, let secret, secret.accepts(presented) {
            label = "gettoken"
        } else if presented == nil || request.headers[.authorization] != nil {
            let action = AccessAction(.admin, path: "tokens")
            let accessRequest = HTTPAccess.accessRequest(request, context: context, action: action)
            switch await access.decide(accessRequest) {
            case .allowed(let principal, _):
                label = "\(principal)"
            case .refused(let refusal, let cause, let startedBurst):
                HTTPAccess.log(cause, startedBurst: startedBurst, action: action, peer: accessRequest.peer, logger: logger)
                return HTTPAccess.response(for: refusal)
            }
        } else {
            // Never the presented value: a near miss is most of a secret.
            if await access.recordFailure(from: peer) {
                logger.warning("gettoken with wrong secrets; this address is backed off", metadata: ["peer": "\(peer)"])
            } else {
                logger.notice("gettoken with a wrong secret: 403", metadata: ["peer": "\(peer)"])
            }
            return Self.text(.forbidden, "wrong token (the service access password)\n")
        }

        let issued: IssuedToken
        do {
            issued = try await store.mint(
                app: parsed.app, duration: parsed.duration.map { .seconds($0) }, limit: parsed.limit, label: label,
                now: vigil.accessClock.wallClockNow())
        } catch let error as TokenStoreError {
            return Self.text(.badRequest, "\(error)\n")
        }
        logger.info(
            "token minted",
            metadata: [
                "app": "\(issued.app ?? "*")", "limit": "\(issued.limit.map(String.init) ?? "unlimited")",
                "expires": "\(issued.expires.map { "\($0)" } ?? "never")", "by": "\(label)",
            ])
        let reply = UMASReply.render(issued.token, parsed.format)
        return Response(
            status: .ok, headers: [.contentType: reply.contentType, .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: reply.body)))
    }

    private static func parse(_ query: String) -> Result<UMASRequest, UMASRequestError> {
        do throws(UMASRequestError) {
            return .success(try UMASRequest(query: query))
        } catch {
            return .failure(error)
        }
    }
}

/// `GET /api/v1/tokens`: `{"tokens": [...]}`, oldest first.
struct TokenList: Codable, Sendable {
    var tokens: [TokenListEntry]
}

struct TokenListEntry: Codable, Sendable, Equatable {
    var token: String
    /// nil: every stream.
    var app: String?
    var label: String?
    var created: Date
    /// nil: never.
    var expires: Date?
    /// Uses left; nil: unlimited.
    var remaining: Int?
    /// live, expired or exhausted.
    var status: String

    init(_ info: TokenInfo) {
        token = info.token.text
        app = info.app
        label = info.label
        created = info.created
        expires = info.expires
        remaining = info.remaining
        status = switch info.status {
        case .live: "live"
        case .expired: "expired"
        case .exhausted: "exhausted"
        }
    }

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return encoder
    }
}
