import Access
import Foundation
import Logging
import Tokens

/// What a reload did, stream by stream.
public struct ReloadOutcome: Sendable, Hashable {
    /// Streams whose settings did not change: hub, pipeline and viewers untouched.
    public var kept: [String] = []
    /// New paths.
    public var added: [String] = []
    /// Same path, new settings: stopped (viewers get BYE) and built again.
    public var restarted: [String] = []
    public var removed: [String] = []
    /// Streams that could not be built (device or file missing), with the error; they are
    /// absent until the next reload.
    public var failed: [String: String] = [:]
    /// Settings that only a restart applies (listeners, threads), named by section.
    public var needsRestart: [String] = []
}

/// Runs reloads one at a time, and none once shutdown began.
final class ReloadSerializer: @unchecked Sendable {
    private let lock = NSLock()
    private var busy = false
    private var closed = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// False once closed.
    func acquire() async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = lock.withLock { () -> Bool in
                if !busy {
                    busy = true
                    return true
                }
                waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
        return lock.withLock { !closed }
    }

    func release() {
        let next = lock.withLock { () -> CheckedContinuation<Void, Never>? in
            if waiters.isEmpty {
                busy = false
                return nil
            }
            return waiters.removeFirst()
        }
        next?.resume()
    }

    /// Waits for a running reload, then refuses all later ones.
    func close() async {
        _ = await acquire()
        lock.withLock { closed = true }
        release()
    }
}

extension Vigil {
    /// Applies new settings while running, stream by stream: an unchanged stream (same path,
    /// same settings, same MTU) keeps its hub, pipeline and viewers; a changed one is stopped
    /// (BYE to its viewers) and built again; new paths start, missing ones stop. Listener
    /// addresses and thread counts are fixed for the process (reported in `needsRestart`).
    @discardableResult
    public func apply(_ requested: VigilSettings) async throws -> ReloadOutcome {
        guard await reloads.acquire() else { throw CancellationError() }
        defer { reloads.release() }
        let old = settings
        var effective = requested
        var outcome = ReloadOutcome()
        if requested.rtsp != old.rtsp {
            outcome.needsRestart.append("rtsp")
            effective.rtsp = old.rtsp
        }
        if requested.http != old.http {
            outcome.needsRestart.append("http")
            effective.http = old.http
        }
        if requested.webRTC != old.webRTC {
            // The UDP port, the addresses announced in every answer and the peers' limits belong
            // to the running WebRTC server; its peers keep them.
            outcome.needsRestart.append("webrtc")
            effective.webRTC = old.webRTC
        }
        if requested.networkThreads != old.networkThreads {
            outcome.needsRestart.append("network threads")
            effective.networkThreads = old.networkThreads
        }
        try await applyAccess(requested.access, old: old, into: &effective, outcome: &outcome)
        VigilLogHandler.level = requested.logLevel

        let running = streams
        var byPath: [String: VigilStream] = [:]
        for stream in running { byPath[stream.path] = stream }
        let wanted = Set(requested.streams.map(\.path))
        var keep = Set<String>()
        for stream in requested.streams {
            if let current = byPath[stream.path], current.settings == stream, current.mtu == requested.mtu {
                keep.insert(stream.path)
            }
        }
        // Stop first: a changed camera stream must let go of its device before it opens again.
        for stream in running where !keep.contains(stream.path) {
            await rtspServer.remove(stream.hub)
            await stream.pipeline.stop()
            if wanted.contains(stream.path) { outcome.restarted.append(stream.path) } else { outcome.removed.append(stream.path) }
        }
        var result: [VigilStream] = []
        for stream in requested.streams {
            if keep.contains(stream.path), let current = byPath[stream.path] {
                result.append(current)
                outcome.kept.append(stream.path)
                continue
            }
            do {
                let built = try buildStream(
                    stream, mtu: requested.mtu, interleavedAudioHold: effective.rtsp.interleavedAudioHold, eventLoop: eventLoop, anchor: anchor,
                    recordings: recordings, library: effective.library, jpegQuality: effective.http.jpegQuality,
                    hls: effective.http.enabled && effective.http.hls.enabled, logger: logger)
                try await rtspServer.add(built.hub)
                built.pipeline.start()
                result.append(built)
                if byPath[stream.path] == nil { outcome.added.append(stream.path) }
            } catch {
                outcome.failed[stream.path] = "\(error)"
                logger.error("stream could not be started", metadata: ["stream": "\(stream.path)", "error": "\(error)"])
            }
        }
        effective.streams = result.map(\.settings)
        replace(streams: result, settings: effective)
        recordings.apply(streams: effective.streams)
        await rtspServer.serveStoredMedia(storedMedia(effective, recordings: recordings, logger: logger))
        return outcome
    }

    /// `[access]` and `[[user]]` apply at once (digest nonces in flight and the failure
    /// back-off are kept) and so does `token_secret` while the token store is open; where the
    /// store lives, its limits, and opening or closing it need a restart. Throws, before any
    /// stream is touched, when the new settings would leave a non-loopback API unprotected.
    private func applyAccess(
        _ requested: VigilSettings.Access, old: VigilSettings, into effective: inout VigilSettings, outcome: inout ReloadOutcome
    ) async throws {
        guard requested != old.access else { return }
        if old.http.enabled, let problem = requested.apiExposureReason(httpHost: old.http.host) {
            throw ConfigError(path: nil, problems: [.init(line: nil, key: "http.host", message: "\"\(old.http.host)\" is reachable from other hosts: the API \(problem)")])
        }
        let configuration: AccessConfiguration
        do {
            configuration = try requested.configuration()
        } catch {
            throw ConfigError(path: nil, problems: [.init(line: nil, key: "access", message: "\(error)")])
        }
        var applied = requested
        let storeChanges = requested.stateDirectory != old.access.stateDirectory
            || requested.tokenMaxDuration != old.access.tokenMaxDuration || requested.tokenMaxUses != old.access.tokenMaxUses
            || (tokens == nil && requested.tokenSecret != nil)
        if storeChanges {
            outcome.needsRestart.append("access tokens")
            applied.stateDirectory = old.access.stateDirectory
            applied.tokenMaxDuration = old.access.tokenMaxDuration
            applied.tokenMaxUses = old.access.tokenMaxUses
            if tokens == nil { applied.tokenSecret = nil }
        }
        await access.reload(configuration)
        let secret = applied.tokenSecret.flatMap(UMASSecret.init)
        tokenSecret.withLock { $0 = secret }
        effective.access = applied
        if requested.isOpen, !old.access.isOpen {
            logger.notice("access is open to everyone again: no [[user]] and no [access] anonymous key")
        }
    }

    /// Re-reads the config file (SIGHUP, `systemctl reload vigil`). A file with problems is
    /// refused — each problem logged — and the running configuration stays. systemd hears
    /// RELOADING=1 before and READY=1 after, either way.
    @discardableResult
    public func reload(
        from path: String, missingIsDefault: Bool, overriding: (@Sendable (VigilSettings) -> VigilSettings)? = nil
    ) async -> Result<ReloadOutcome, ConfigError> {
        lifecycle.reloading()
        logger.info("reloading", metadata: ["config": "\(path)"])
        let result: Result<ReloadOutcome, ConfigError>
        do {
            var requested = try VigilConfigFile.load(path: path, missingIsDefault: missingIsDefault)
            if let overriding { requested = overriding(requested) }
            let outcome = try await apply(requested)
            var metadata: Logger.Metadata = [
                "kept": "\(outcome.kept.joined(separator: ","))", "added": "\(outcome.added.joined(separator: ","))",
                "restarted": "\(outcome.restarted.joined(separator: ","))", "removed": "\(outcome.removed.joined(separator: ","))",
            ]
            if !outcome.needsRestart.isEmpty {
                metadata["needsRestart"] = "\(outcome.needsRestart.joined(separator: ","))"
                logger.notice("listener or thread settings changed; they take effect at the next restart", metadata: ["sections": "\(outcome.needsRestart.joined(separator: ","))"])
            }
            logger.info("configuration reloaded", metadata: metadata)
            result = .success(outcome)
        } catch let error as ConfigError {
            logger.error("reload refused; the running configuration stays", metadata: ["config": "\(path)", "problems": "\(error.problems.count)"])
            for problem in error.problems {
                logger.error("config problem: \(problem)", metadata: ["config": "\(path)"])
            }
            result = .failure(error)
        } catch {
            logger.notice("reload skipped: shutting down")
            result = .failure(ConfigError(path: path, problems: [.init(line: nil, key: "", message: "shutting down")]))
        }
        await lifecycle.reloaded(self)
        return result
    }
}
