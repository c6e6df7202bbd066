import Access
import Foundation
import Hummingbird
import Logging
import NIOCore

/// Vigil's own web page and its login:
///
/// - `GET /`: the page (`Web/index.html`, `vigil.js`, `vigil.css`, embedded in the binary).
///   A browser that may watch nothing yet (access control on, no session) is sent to the
///   login with 303; an open box (no `[[user]]`, or `anonymous` grants `read`) shows it at once.
/// - `GET /login`: the form; `POST /login` (`username`, `password`, form-encoded) checks the
///   password through `AccessPolicy.logIn` — the same back-off (429) and PBKDF2 as Basic and
///   digest — and on success sets the session cookie (`SessionCookie`) and sends the browser
///   to `/` (303). A wrong password is the form again with 401.
/// - `POST /logout`: ends the session server-side and clears the cookie.
/// - `GET /api/v1/session`: who the page is logged in as, the CSRF token its state-changing
///   requests carry, and what it may do on each stream.
///
/// Every state-changing request (not GET, HEAD, OPTIONS) passes `WebRequestGuard`: from a
/// browser it must be same-origin, and when a session cookie is what authenticates it, it must
/// carry that session's CSRF token (`X-Vigil-CSRF`, or a `csrf` form field). GETs change nothing.
extension StatusAPI {
    static let csrfHeader = HTTPFields.Element.Name("X-Vigil-CSRF")!

    var usesTLS: Bool { settings.tls != nil }

    func addWebRoutes(to router: Router<StatusRequestContext>, vigil: Vigil) {
        router.get("/") { [weak self, weak vigil] request, context -> Response in
            guard let self, let vigil else { return Response(status: .serviceUnavailable) }
            guard await self.mayWatchSomething(request, context: context, vigil: vigil) else {
                return Response(status: .seeOther, headers: [.location: "/login", .cacheControl: "no-store"])
            }
            return Self.asset(PackageResources.index_html, type: "text/html; charset=utf-8", page: true)
        }
        router.get("login") { _, _ -> Response in
            Self.asset(PackageResources.login_html, type: "text/html; charset=utf-8", page: true)
        }
        router.post("login") { [weak self] request, context -> Response in
            guard let self else { return Response(status: .serviceUnavailable) }
            return try await self.logIn(request, context: context)
        }
        router.post("logout") { [weak self] request, _ -> Response in
            guard let self else { return Response(status: .serviceUnavailable) }
            // WebRequestGuard has checked the CSRF token of this cookie's session.
            if let id = HTTPAccess.sessionID(request) { await self.access.endSession(id) }
            return Response(
                status: .seeOther,
                headers: [.location: "/login", .setCookie: SessionCookie.clearCookie(secure: self.usesTLS), .cacheControl: "no-store"])
        }
        router.get("api/v1/session") { [weak self, weak vigil] request, context -> Response in
            guard let self, let vigil else { return Response(status: .serviceUnavailable) }
            return try await self.sessionInfo(request, context: context, vigil: vigil)
        }
        router.get("assets/vigil.js") { _, _ -> Response in
            Self.asset(PackageResources.vigil_js, type: "text/javascript; charset=utf-8")
        }
        router.get("assets/vigil.css") { _, _ -> Response in
            Self.asset(PackageResources.vigil_css, type: "text/css; charset=utf-8")
        }
    }

    /// A page or asset from the binary. Pages forbid framing (clickjacking) and load only
    /// from this origin; media may come from blob: (Media Source Extensions).
    static func asset(_ bytes: [UInt8], type: String, page: Bool = false, status: HTTPResponse.Status = .ok) -> Response {
        var headers: HTTPFields = [.contentType: type, .cacheControl: "no-cache", HTTPFields.Element.Name("X-Content-Type-Options")!: "nosniff"]
        if page {
            headers[HTTPFields.Element.Name("Content-Security-Policy")!] =
                "default-src 'self'; media-src 'self' blob:; img-src 'self' blob: data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
            headers[HTTPFields.Element.Name("X-Frame-Options")!] = "DENY"
            headers[HTTPFields.Element.Name("Referrer-Policy")!] = "same-origin"
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// True when these credentials (a session cookie, an `Authorization`, or none) may `read`
    /// some stream. Asked stream by stream; a refusal other than 403 (401, 429) ends the search,
    /// so a wrong password is counted once.
    private func mayWatchSomething(_ request: Request, context: StatusRequestContext, vigil: Vigil) async -> Bool {
        for stream in vigil.streams {
            let accessRequest = HTTPAccess.accessRequest(request, context: context, action: AccessAction(.read, path: stream.path))
            switch await access.decide(accessRequest) {
            case .allowed: return true
            case .refused(.forbidden, _, _): continue
            case .refused: return false
            }
        }
        return false
    }

    private func logIn(_ request: Request, context: StatusRequestContext) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: limits.maxBodyBytes)
        let form = WebForm(body.readableBytesView)
        guard let username = form["username"], let password = form["password"], !username.isEmpty else {
            return Self.loginPage(status: .badRequest, message: "Enter a user name and a password.")
        }
        let peer = HTTPAccess.peerAddress(context)
        switch await access.logIn(username: username, password: password, peer: peer, connection: HTTPAccess.connection(for: peer)) {
        case .loggedIn(let session):
            logger.info("web login", metadata: ["user": "\(session.user)", "peer": "\(peer)"])
            let maxAge = settings.sessionLifetime.nanoseconds / 1_000_000_000
            return Response(
                status: .seeOther,
                headers: [
                    .location: "/", .cacheControl: "no-store",
                    .setCookie: SessionCookie.setCookie(id: session.id, secure: usesTLS, maxAgeSeconds: maxAge),
                ])
        case .refused(let refusal, let cause, let startedBurst):
            HTTPAccess.log(cause, startedBurst: startedBurst, action: AccessAction(.read, path: "login"), peer: peer, logger: logger)
            switch refusal {
            case .needsCredentials:
                // No WWW-Authenticate: the answer is the form, not a browser's password dialog.
                return Self.loginPage(status: .unauthorized, message: "Wrong user name or password.")
            case .forbidden:
                return Self.loginPage(status: .forbidden, message: "This user may not watch from here.")
            case .rateLimited(let wait):
                var response = Self.loginPage(status: .tooManyRequests, message: "Too many failed attempts. Wait a moment and try again.")
                response.headers[.retryAfter] = String(HTTPAccess.wholeSecondsRoundedUp(wait))
                return response
            }
        }
    }

    /// The login form with one of a few fixed messages (never anything from the request).
    static func loginPage(status: HTTPResponse.Status, message: String) -> Response {
        let page = String(decoding: PackageResources.login_html, as: UTF8.self)
            .replacingOccurrences(of: "<p id=\"message\" role=\"alert\" hidden></p>", with: "<p id=\"message\" role=\"alert\">\(message)</p>")
        return asset(Array(page.utf8), type: "text/html; charset=utf-8", page: true, status: status)
    }

    private func sessionInfo(_ request: Request, context: StatusRequestContext, vigil: Vigil) async throws -> Response {
        var session: LoginSession?
        if case .session(let id) = HTTPAccess.credentials(request) { session = await access.loginSession(id) }
        var streams: [WebSessionInfo.StreamAccess] = []
        for stream in vigil.streams {
            var allowed: [Bool] = []
            for permission in [Permission.read, .playback] {
                let accessRequest = HTTPAccess.accessRequest(request, context: context, action: AccessAction(permission, path: stream.path))
                allowed.append(await access.decide(accessRequest).isAllowed)
            }
            streams.append(.init(path: stream.path, read: allowed[0], playback: allowed[1]))
        }
        let info = WebSessionInfo(
            user: session?.user, csrfToken: session?.csrfToken, loginRequired: !vigil.settings.access.isOpen, streams: streams)
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(info))))
    }
}

/// `GET /api/v1/session`.
struct WebSessionInfo: Codable {
    struct StreamAccess: Codable {
        var path: String
        var read: Bool
        var playback: Bool
    }

    var user: String?
    var csrfToken: String?
    var loginRequired: Bool
    var streams: [StreamAccess]
}

/// The CSRF defence of every state-changing request (POST, PUT, PATCH, DELETE …):
/// 1. From a browser, the request must be same-origin: an `Origin` header, when present, must
///    be this server's own `scheme://host[:port]`, and `Sec-Fetch-Site`, when present, must be
///    `same-origin` or `none`. Else 403 — before any password is checked.
/// 2. When a session cookie is what authenticates it (no `Authorization` header), it must carry
///    the session's CSRF token, in `X-Vigil-CSRF` or a `csrf` form field; else 403. `POST
///    /login` is the exception: it opens a session rather than using one (a stale cookie does
///    not stop a login), and step 1 covers it.
/// SameSite=Strict already keeps the cookie off other sites' requests; this holds where that
/// does not (older browsers, a sibling subdomain that is same-site but not same-origin).
struct WebRequestGuard: RouterMiddleware {
    typealias Context = StatusRequestContext

    let policy: AccessPolicy
    let secure: Bool
    let logger: Logger

    /// `[http] cors_origin`: "*", one origin, or nil.
    var corsOrigin: String? = nil

    static let safeMethods: Set<HTTPRequest.Method> = [.get, .head, .options]

    private func allowsOrigin(_ origin: String) -> Bool {
        guard let corsOrigin else { return false }
        return corsOrigin == "*" || corsOrigin.lowercased() == origin.lowercased()
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !Self.safeMethods.contains(request.method) else { return try await next(request, context) }
        // A WHEP player on another origin that `[http] cors_origin` lets in may POST offers and
        // DELETE its sessions when no cookie authenticates it: CSRF rides on the ambient cookie,
        // so a request that carries one must be same-origin, and nothing but WHEP is opened up.
        // (Chromium without web security sends Sec-Fetch-Site but no Origin: that counts as
        // any origin, let in by "*" only.)
        let isWHEP = request.uri.path.hasSuffix("/\(StatusAPI.whepName)") || request.uri.path.contains("/\(StatusAPI.whepName)/")
        let allowedElsewhere = isWHEP && HTTPAccess.sessionID(request) == nil
            && (request.headers[.origin].map(allowsOrigin) ?? (corsOrigin == "*"))
        if !allowedElsewhere, let refusal = Self.crossOriginRefusal(request, secure: secure) {
            logger.debug("cross-origin state change refused", metadata: ["reason": "\(refusal)", "path": "\(request.uri.path)"])
            return StatusAPI.text(.forbidden, "cross-origin request refused\n")
        }
        guard request.headers[.authorization] == nil, let id = HTTPAccess.sessionID(request), request.uri.path != "/login" else {
            return try await next(request, context)
        }
        var request = request
        var presented = request.headers[StatusAPI.csrfHeader]
        if presented == nil, request.headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true {
            let body = try await request.collectBody(upTo: 64 * 1024)
            presented = WebForm(body.readableBytesView)["csrf"]
        }
        guard let session = await policy.loginSession(id) else {
            // An ended session authenticates nothing: the access check refuses it in turn;
            // a logout with it just clears the cookie.
            return try await next(request, context)
        }
        guard let presented, ConstantTimeText.equal(presented, session.csrfToken) else {
            logger.debug("state change without the session's CSRF token refused", metadata: ["path": "\(request.uri.path)"])
            return StatusAPI.text(.forbidden, "missing or wrong CSRF token (X-Vigil-CSRF)\n")
        }
        return try await next(request, context)
    }

    /// Why the request is not same-origin, or nil.
    static func crossOriginRefusal(_ request: Request, secure: Bool) -> String? {
        if let site = request.headers[HTTPFields.Element.Name("Sec-Fetch-Site")!]?.lowercased(), site != "same-origin", site != "none" {
            return "Sec-Fetch-Site: \(site.prefix(32))"
        }
        if let origin = request.headers[.origin] {
            guard let host = request.head.authority, origin.lowercased() == "\(secure ? "https" : "http")://\(host.lowercased())" else {
                return "Origin \(origin.prefix(64))"
            }
        }
        return nil
    }
}

/// Compares two tokens in time that depends on their lengths only.
enum ConstantTimeText {
    static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}
