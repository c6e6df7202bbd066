import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Tells systemd how the daemon is (Type=notify): READY=1 once the RTSP and HTTP listeners
/// are bound, STATUS= with the streams and their viewers, RELOADING=1/READY=1 around a
/// reload, STOPPING=1 when shutdown begins, and WATCHDOG=1 only while every stream's encoder
/// is turning out pictures — a hung capture or encoder stops the pings, and systemd restarts
/// the service after `WatchdogSec=`. Runs as the last service, so it stops first.
public final class SystemdLifecycle: Sendable {
    let notifier: SystemdNotifier?
    let logger: Logger
    /// Half of WATCHDOG_USEC; nil = no watchdog.
    let watchdogInterval: Duration?
    /// With no watchdog, how often STATUS= is refreshed.
    static let statusInterval: Duration = .seconds(5)
    private struct State {
        var lastStatus = ""
        /// Per stream path: the last framesEncoded seen and when it last moved.
        var progress: [String: Progress] = [:]
        var stalled: Set<String> = []
    }
    private struct Progress {
        var frames: UInt64
        var at: ContinuousClock.Instant
    }
    private let state = Mutex(State())

    init(notifier: SystemdNotifier?, logger: Logger, watchdogInterval: Duration? = SystemdNotifier.watchdogInterval()) {
        self.notifier = notifier
        self.logger = logger
        self.watchdogInterval = notifier == nil ? nil : watchdogInterval
    }

    /// Runs (as the service `services` makes of it) for the daemon `vigil` until shutdown.
    func run(for vigil: Vigil) async throws {
        _ = try await vigil.rtspServer.boundPort()
        if let api = vigil.statusAPI { _ = try await api.boundPort() }
        let status = await statusLine(vigil)
        notifier?.send("READY=1\nSTATUS=\(status)")
        state.withLock { $0.lastStatus = status }
        logger.info("ready", metadata: ["status": "\(status)"])

        let tick = watchdogInterval ?? Self.statusInterval
        try? await cancelWhenGracefulShutdown {
            while true {
                try await Task.sleep(for: tick)
                await self.beat(vigil)
            }
        }
        notifier?.send("STOPPING=1\nSTATUS=Stopping")
        logger.info("stopping")
        // This service stops first: no reload may add streams behind the shutdown.
        await vigil.reloads.close()
    }

    /// One tick: refresh STATUS= when it changed, and pet the watchdog if the media moves.
    func beat(_ vigil: Vigil) async {
        let status = await statusLine(vigil)
        let changed = state.withLock { state -> Bool in
            defer { state.lastStatus = status }
            return status != state.lastStatus
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
        state.withLock { state in
            var seen: [String: Progress] = [:]
            for stream in streams {
                let frames = stream.pipeline.framesEncoded
                var entry = state.progress[stream.path] ?? Progress(frames: frames, at: now)
                if frames != entry.frames { entry = Progress(frames: frames, at: now) }
                seen[stream.path] = entry
                let limit = max(Duration.seconds(1), .milliseconds(5000 / max(1, stream.pipeline.encodedVideo.frameRate)))
                if now - entry.at > limit {
                    moving = false
                    if state.stalled.insert(stream.path).inserted {
                        logger.warning("no picture encoded; withholding the systemd watchdog", metadata: [
                            "stream": "\(stream.path)", "framesEncoded": "\(frames)",
                        ])
                    }
                } else if state.stalled.remove(stream.path) != nil {
                    logger.notice("pictures flow again", metadata: ["stream": "\(stream.path)"])
                }
            }
            state.progress = seen
        }
        return moving
    }

    /// "live: 1 viewer; door: 0 viewers" — what `systemctl status vigil` shows.
    func statusLine(_ vigil: Vigil) async -> String {
        let streams = vigil.streams
        var parts: [String] = []
        for stream in streams {
            let viewers = (try? await stream.hub.viewerCount()) ?? 0
            parts.append("\(stream.path): \(viewers) viewer\(viewers == 1 ? "" : "s")")
        }
        return "Serving \(streams.count) stream\(streams.count == 1 ? "" : "s") — " + parts.joined(separator: "; ")
    }

    /// RELOADING=1 with the MONOTONIC_USEC= systemd asks for.
    func reloading() {
        notifier?.send("RELOADING=1\nMONOTONIC_USEC=\(SystemdNotifier.monotonicMicroseconds())\nSTATUS=Reloading")
    }

    /// READY=1 after a reload, with the new status.
    func reloaded(_ vigil: Vigil) async {
        let status = await statusLine(vigil)
        state.withLock { $0.lastStatus = status }
        notifier?.send("READY=1\nSTATUS=\(status)")
    }
}
