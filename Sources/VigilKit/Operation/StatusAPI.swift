import Access
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Serve
import ServiceLifecycle
import Synchronization

/// The HTTP API on its own port (127.0.0.1:8080 by default), a Hummingbird application:
/// `GET /api/v1/status` (JSON, `VigilStatus`) and `GET /metrics` (Prometheus text), which
/// need the `api` permission off loopback, and the token routes (`StatusAPI+Tokens.swift`).
/// Port 0 picks a free port; `boundPort()` tells which.
///
/// Limited like the RTSP listener, with what Hummingbird 2.28 offers plus two small pieces:
/// - a header timeout: Hummingbird's `idleTimeout` counts from the last HTTP *part* decoded,
///   and a head that never ends decodes none, so the connection closes `requestTimeout`
///   after it opened (and an idle keep-alive connection as long after its last response);
/// - a head of at most `maxHeaderBytes` (NIO's HTTP decoder limits; over it: 400 and closed);
/// - a body cap: Hummingbird reads and discards an unread body after the response, however
///   long, so `BodyLimitResponder` answers 413 and closes the input to any request whose
///   declared or streamed body is over `maxBodyBytes` (the API takes GETs; nothing needs one);
/// - a connection cap: Hummingbird's `MaximumAvailableConnections` stops accepting at
///   `maxConnections` — the next clients wait in the listen backlog rather than getting a
///   503 (Hummingbird has no hook to answer them; this is the gap);
/// - `AcceptThrottle` on the listener, because Hummingbird's listener spins on EMFILE
///   like any NIO listener (see there).
public final class StatusAPI: Sendable {
    /// The API's limits; `requestTimeout` is the RTSP listener's `request_timeout`.
    public struct Limits: Sendable, Hashable {
        public var requestTimeout: TimeAmount
        /// `[http] max_connections`: snapshot and MJPEG clients, `vigil status`, scrapers. An
        /// MJPEG viewer holds one for as long as it watches.
        public var maxConnections: Int
        /// A GET with its headers is well under 1 KiB; 16 KiB holds any real one.
        public var maxHeaderBytes: Int
        /// The API takes no bodies; a small one is tolerated (and discarded).
        public var maxBodyBytes: Int

        public init(
            requestTimeout: TimeAmount = .seconds(5), maxConnections: Int = VigilSettings.HTTP.defaultMaxConnections, maxHeaderBytes: Int = 16 * 1024,
            maxBodyBytes: Int = 64 * 1024
        ) {
            self.requestTimeout = requestTimeout
            self.maxConnections = maxConnections
            self.maxHeaderBytes = maxHeaderBytes
            self.maxBodyBytes = maxBodyBytes
        }
    }

    let settings: VigilSettings.HTTP
    /// The access check; the status routes ask it only off loopback (see `run`).
    let access: AccessPolicy
    let limits: Limits
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    /// Live HLS muxers and playlist sessions.
    let hlsService: HLSService
    /// MJPEG responses streaming now (one per viewer; each ends when its viewer goes).
    let mjpegStreams = Atomic<Int>(0)
    private let bound: EventLoopPromise<Int>
    private let boundCompleted = NIOLockedValueBox(false)

    init(
        settings: VigilSettings.HTTP, limits: Limits = Limits(), eventLoopGroup: any EventLoopGroup, access: AccessPolicy,
        logger: Logger
    ) {
        self.settings = settings
        self.access = access
        self.limits = limits
        self.eventLoopGroup = eventLoopGroup
        self.hlsService = HLSService(settings: settings.hls)
        var logger = logger
        logger[metadataKey: "api"] = "http"
        self.logger = logger
        self.bound = eventLoopGroup.next().makePromise(of: Int.self)
    }

    deinit {
        complete(.failure(CancellationError()))
    }

    private func complete(_ result: Result<Int, any Error>) {
        let first = boundCompleted.withLockedValue { done in
            defer { done = true }
            return !done
        }
        if first { bound.completeWith(result) }
    }

    /// The TCP port once listening; throws if binding failed.
    public func boundPort() async throws -> Int {
        try await bound.futureResult.get()
    }

    /// Serves (as the service `services` makes of it) the API of the daemon `vigil` until
    /// shutdown. The routes hold it weakly: a request after it is gone gets 503.
    func run(for vigil: Vigil) async throws {
        let router = Router(context: StatusRequestContext.self)
        if let origin = settings.corsOrigin {
            // Hummingbird's CORS: preflights answered, the origin on every answer (refusals too).
            router.add(middleware: CORSMiddleware(
                allowOrigin: origin == "*" ? .all : .oneOf(origin), allowHeaders: [.accept, .authorization, .range, .contentType, .ifMatch],
                // WHEP players on another origin POST offers, PATCH fragments and DELETE sessions.
                allowMethods: [.get, .head, .options, .post, .patch, .delete],
                exposedHeaders: ["X-Vigil-Frame", "X-Vigil-Capture-Time", "Content-Range", "Location", "Link", "ETag"],
                maxAge: .seconds(600)))
        }
        // Before every route: state changes from a browser must be same-origin and, when a
        // session cookie authenticates them, carry its CSRF token.
        router.add(middleware: WebRequestGuard(policy: access, secure: usesTLS, logger: logger, corsOrigin: settings.corsOrigin))
        // On loopback only this box reaches the API (`vigil status`, a local scraper); anywhere
        // else it needs the `api` permission (buildVigil refused to start if nobody has it).
        let guarded = !VigilSettings.Access.isLoopback(settings.host)
        let status = router.group("api/v1/status")
        let metrics = router.group("metrics")
        if guarded {
            status.add(middleware: HTTPAccessMiddleware(policy: access, permission: .api, path: "status", logger: logger))
            metrics.add(middleware: HTTPAccessMiddleware(policy: access, permission: .api, path: "metrics", logger: logger))
        }
        status.get { [weak vigil] _, _ -> Response in
            guard let vigil else { return Response(status: .serviceUnavailable) }
            let data = try VigilStatus.encoder().encode(try await vigil.status())
            return Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        metrics.get { [weak vigil] _, _ -> Response in
            guard let vigil else { return Response(status: .serviceUnavailable) }
            let text = PrometheusText.render(try await vigil.status())
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        // The browser side of HLS (no secrets in it: served to anyone, like a login page).
        router.get("assets/llhls.js") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "no-cache"],
                body: .init(byteBuffer: ByteBuffer(bytes: PackageResources.llhls_js)))
        }
        addWebRoutes(to: router, vigil: vigil)
        addTokenRoutes(to: router, vigil: vigil)
        addRecordingRoutes(to: router, vigil: vigil)
        addSnapshotRoutes(to: router, vigil: vigil)
        addWHEPRoutes(to: router, vigil: vigil)
        let limits = self.limits
        let logger = self.logger
        // The same HTTP/1 channel, limits and all, in TLS when configured: the handshake comes
        // first, and the header timeout counts from the connection's start either way, so a
        // handshake that stalls is closed like a head that never ends.
        let http1: HTTPServerBuilder = .http1(configuration: .init(
            idleTimeout: limits.requestTimeout,
            httpDecoderConfiguration: .init(
                maxHeaderFieldSize: limits.maxHeaderBytes, maxHeaderListSize: limits.maxHeaderBytes, maxHeaderFieldCount: 64)))
        let server: HTTPServerBuilder
        if let tls = settings.tls {
            do {
                server = try .tls(http1, tlsConfiguration: try HTTPTLS.serverConfiguration(tls))
            } catch {
                logger.error("HTTPS cannot start", metadata: ["certificate": "\(tls.certificatePath)", "key": "\(tls.keyPath)", "error": "\(error)"])
                complete(.failure(error))
                throw error
            }
        } else {
            server = http1
        }
        let app = Application(
            responder: BodyLimitResponder(base: router.buildResponder(), maxBodyBytes: limits.maxBodyBytes),
            server: server,
            configuration: .init(
                address: .hostname(settings.host, port: settings.port), serverName: "Vigil/\(VigilVersion.current)",
                availableConnectionsDelegate: .maximum(limits.maxConnections, logger: logger)),
            // Hummingbird logs "Server started and listening" itself.
            onServerRunning: { [weak self] channel in
                let listenerLogger = {
                    var logger = logger
                    logger[metadataKey: "listener"] = "http"
                    return logger
                }()
                try? await channel.eventLoop.submit {
                    try channel.pipeline.syncOperations.addHandler(AcceptThrottle(logger: listenerLogger), position: .first)
                }.get()
                self?.complete(.success(channel.localAddress?.port ?? 0))
            },
            eventLoopGroupProvider: .shared(eventLoopGroup),
            logger: logger)
        // Idle HLS muxers and sessions go once a second; all of them when the API stops.
        let reaper = Task { [weak vigil, hlsService] in
            while !Task.isCancelled {
                do { try await Task.sleep(for: .seconds(1)) } catch { return }
                guard let vigil else { return }
                hlsService.reap(streams: vigil.streams)
            }
        }
        defer {
            reaper.cancel()
            hlsService.stopAll()
        }
        do {
            try await app.run()
        } catch {
            logger.error("HTTP API stopped", metadata: ["address": "\(settings.host):\(settings.port)", "error": "\(error)"])
            complete(.failure(error))
            throw error
        }
        complete(.failure(CancellationError()))
    }
}

/// The request context of the API: Hummingbird's basic one, plus the connection, so that a
/// refused body can stop being read.
struct StatusRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}

/// Answers 413 to a request whose body is over the cap — declared by Content-Length, or
/// found while reading a chunked one — and closes the connection's input: after the
/// response Hummingbird would otherwise read and discard the body however long it is.
struct BodyLimitResponder<Base: HTTPResponder>: HTTPResponder where Base.Context == StatusRequestContext {
    let base: Base
    let maxBodyBytes: Int

    func respond(to request: Request, context: StatusRequestContext) async throws -> Response {
        var tooLarge = false
        if let declared = request.headers[.contentLength] {
            tooLarge = Int(declared).map { $0 > maxBodyBytes } ?? true
        } else if request.headers[.transferEncoding] != nil {
            var request = request
            do {
                _ = try await request.collectBody(upTo: maxBodyBytes)
            } catch {
                tooLarge = true
            }
        }
        guard !tooLarge else {
            context.logger.debug("request body over the limit: 413", metadata: ["maxBodyBytes": "\(maxBodyBytes)"])
            context.channel.close(mode: .input, promise: nil)
            return Response(status: .contentTooLarge, headers: [.connection: "close"])
        }
        return try await base.respond(to: request, context: context)
    }
}
