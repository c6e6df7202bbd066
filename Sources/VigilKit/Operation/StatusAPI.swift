import Foundation
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The HTTP API on its own port (127.0.0.1:8080 by default), a Hummingbird application:
/// `GET /api/v1/status` (JSON, `VigilStatus`) and `GET /metrics` (Prometheus text).
/// Port 0 picks a free port; `boundPort()` tells which.
public final class StatusAPI: Service, @unchecked Sendable {
    weak var vigil: Vigil?
    let settings: VigilSettings.HTTP
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    private let bound: EventLoopPromise<Int>
    private let boundCompleted = NIOLockedValueBox(false)

    init(settings: VigilSettings.HTTP, eventLoopGroup: any EventLoopGroup, logger: Logger) {
        self.settings = settings
        self.eventLoopGroup = eventLoopGroup
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

    public func run() async throws {
        let router = Router()
        router.get("api/v1/status") { [weak self] _, _ -> Response in
            guard let vigil = self?.vigil else { return Response(status: .serviceUnavailable) }
            let data = try VigilStatus.encoder().encode(try await vigil.status())
            return Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        router.get("metrics") { [weak self] _, _ -> Response in
            guard let vigil = self?.vigil else { return Response(status: .serviceUnavailable) }
            let text = PrometheusText.render(try await vigil.status())
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "Vigil/\(VigilVersion.current)"),
            // Hummingbird logs "Server started and listening" itself.
            onServerRunning: { [weak self] channel in
                self?.complete(.success(channel.localAddress?.port ?? 0))
            },
            eventLoopGroupProvider: .shared(eventLoopGroup),
            logger: logger)
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
