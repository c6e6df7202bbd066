import Foundation
import Logging
import ServiceLifecycle

/// Tells systemd how the daemon is (Type=notify): READY=1 once the RTSP and HTTP listeners
/// are bound, STATUS= with the streams and their viewers, RELOADING=1/READY=1 around a
/// reload, STOPPING=1 when shutdown begins, and WATCHDOG=1 only while every stream's encoder
/// is turning out pictures — a hung capture or encoder stops the pings, and systemd restarts
/// the service after `WatchdogSec=`. Runs as the last service, so it stops first.
public final class SystemdLifecycle: Service, @unchecked Sendable {
    weak var vigil: Vigil?
    let notifier: SystemdNotifier?
    let logger: Logger
    /// Half of WATCHDOG_USEC; nil = no watchdog.
    let watchdogInterval: Duration?
    /// With no watchdog, how often STATUS= is refreshed.
    static let statusInterval: Duration = .seconds(5)
    private let lock = NSLock()
    private var lastStatus = ""
    /// Per stream path: the last framesEncoded seen and when it last moved.
    private var progress: [String: (frames: UInt64, at: ContinuousClock.Instant)] = [:]
    private var stalled: Set<String> = []

    init(notifier: SystemdNotifier?, logger: Logger, watchdogInterval: Duration? = SystemdNotifier.watchdogInterval()) {
        self.notifier = notifier
        self.logger = logger
        self.watchdogInterval = notifier == nil ? nil : watchdogInterval
    }

    public func run() async throws {
        guard let vigil else { return }
        _ = try await vigil.rtspServer.boundPort()
        if let api = vigil.statusAPI { _ = try await api.boundPort() }
        let status = await statusLine()
        notifier?.send("READY=1\nSTATUS=\(status)")
        lock.withLock { lastStatus = status }
        logger.info("ready", metadata: ["status": "\(status)"])

        let tick = watchdogInterval ?? Self.statusInterval
        try? await cancelWhenGracefulShutdown {
            while true {
                try await Task.sleep(for: tick)
                await self.beat()
            }
        }
        notifier?.send("STOPPING=1\nSTATUS=Stopping")
        logger.info("stopping")
        // This service stops first: no reload may add streams behind the shutdown.
        await vigil.reloads.close()
    }

    /// One tick: refresh STATUS= when it changed, and pet the watchdog if the media moves.
    func beat() async {
        guard let vigil else { return }
        let status = await statusLine()
        let changed = lock.withLock { () -> Bool in
            defer { lastStatus = status }
            return status != lastStatus
        }
        if changed { notifier?.send("STATUS=\(status)") }
        if watchdogInterval != nil, mediaIsMoving(vigil.streams) {
            notifier?.send("WATCHDOG=1")
        }
    }

    /// True when every stream's encoder produced a picture within its stall limit (the
    /// larger of 1 s and five frame intervals). A stall is logged once when it starts and
    /// once when it clears.
    func mediaIsMoving(_ streams: [VigilStream]) -> Bool {
        let now = ContinuousClock.now
        var moving = true
        lock.withLock {
            var seen: [String: (frames: UInt64, at: ContinuousClock.Instant)] = [:]
            for stream in streams {
                let frames = stream.pipeline.framesEncoded
                var entry = progress[stream.path] ?? (frames, now)
                if frames != entry.frames { entry = (frames, now) }
                seen[stream.path] = entry
                let limit = max(Duration.seconds(1), .milliseconds(5000 / max(1, stream.pipeline.encodedVideo.frameRate)))
                if now - entry.at > limit {
                    moving = false
                    if stalled.insert(stream.path).inserted {
                        logger.warning("no picture encoded; withholding the systemd watchdog", metadata: [
                            "stream": "\(stream.path)", "framesEncoded": "\(frames)",
                        ])
                    }
                } else if stalled.remove(stream.path) != nil {
                    logger.notice("pictures flow again", metadata: ["stream": "\(stream.path)"])
                }
            }
            progress = seen
        }
        return moving
    }

    /// "live: 1 viewer; door: 0 viewers" — what `systemctl status vigil` shows.
    func statusLine() async -> String {
        guard let vigil else { return "" }
        let streams = vigil.streams
        var parts: [String] = []
        for stream in streams {
            let viewers = (try? await stream.hub.eventLoop.submit { stream.hub.viewerCount }.get()) ?? 0
            parts.append("\(stream.path): \(viewers) viewer\(viewers == 1 ? "" : "s")")
        }
        return "Serving \(streams.count) stream\(streams.count == 1 ? "" : "s") — " + parts.joined(separator: "; ")
    }

    /// RELOADING=1 with the MONOTONIC_USEC= systemd asks for.
    func reloading() {
        notifier?.send("RELOADING=1\nMONOTONIC_USEC=\(SystemdNotifier.monotonicMicroseconds())\nSTATUS=Reloading")
    }

    /// READY=1 after a reload, with the new status.
    func reloaded() async {
        let status = await statusLine()
        lock.withLock { lastStatus = status }
        notifier?.send("READY=1\nSTATUS=\(status)")
    }
}
