import Foundation
import MediaCore
import NIOCore
import Record
import Synchronization

/// One stream's live HLS muxer: a consumer of the stream's encoded units that cuts them into
/// fMP4 segments and parts in memory with the recorder's muxer (`SegmentWriter`, continuous
/// timeline), and answers blocking playlist requests. It is attached to the stream's fan-out
/// only while someone fetches its playlist (the owner detaches it when idle).
///
/// The encoder threads offer units; the muxing is a few copies per picture under one lock,
/// and waiting requests are resumed outside it. Nothing here ever blocks an encoder.
public final class LiveHLS: EncodedUnitConsumer, Sendable {
    public struct Configuration: Sendable {
        public var writer: SegmentWriter.Configuration
        public var playlist: LivePlaylist
        public var window: Int

        public init(writer: SegmentWriter.Configuration, playlist: LivePlaylist, window: Int = 6) {
            self.writer = writer
            self.playlist = playlist
            self.window = window
        }
    }

    private struct Waiter {
        var position: HLSPosition
        var continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var writer: SegmentWriter
        var segments: LiveSegments
        var waiters: [Int: Waiter] = [:]
        var nextWaiter = 0
        /// Waiters whose time ran out (or whose task was cancelled) before they were registered.
        var expired: Set<Int> = []
        var closed = false
    }

    public let configuration: Configuration
    private let state: Mutex<State>

    public init(configuration: Configuration, anchor: WallClockAnchor, firstSequence: Int = 0) {
        var writer = configuration.writer
        writer.timeline = .continuous
        self.configuration = configuration
        self.state = Mutex(State(writer: SegmentWriter(configuration: writer), segments: LiveSegments(window: configuration.window, anchor: anchor, firstSequence: firstSequence)))
    }

    public func offer(_ unit: EncodedUnit, track: Int) {
        let ready = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            guard !state.closed else { return [] }
            var changed = false
            for action in state.writer.take(unit, track: track) {
                if state.segments.apply(action) { changed = true }
            }
            guard changed else { return [] }
            return Self.takeReached(&state)
        }
        for continuation in ready { continuation.resume(returning: true) }
    }

    private static func takeReached(_ state: inout State) -> [CheckedContinuation<Bool, Never>] {
        var ready: [CheckedContinuation<Bool, Never>] = []
        for (id, waiter) in state.waiters where state.segments.reaches(waiter.position) {
            ready.append(waiter.continuation)
            state.waiters[id] = nil
        }
        return ready
    }

    /// The live window as it is now.
    public var window: LiveSegments { state.withLock { $0.segments } }

    /// Waits until the window reaches `position` or `timeout` passes (or the muxer closes);
    /// true when it was reached.
    public func wait(for position: HLSPosition, timeout: Duration) async -> Bool {
        let id = state.withLock { state -> Int? in
            if state.segments.reaches(position) || state.closed { return nil }
            state.nextWaiter += 1
            return state.nextWaiter
        }
        guard let id else { return self.window.reaches(position) }
        let timer = Task { [weak self] in
            do { try await Task.sleep(for: timeout) } catch { return }
            self?.expire(id)
        }
        defer {
            timer.cancel()
            _ = state.withLock { $0.expired.remove(id) }
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let resumeNow = state.withLock { state -> Bool? in
                    if state.segments.reaches(position) { return true }
                    if state.closed || state.expired.remove(id) != nil { return false }
                    state.waiters[id] = Waiter(position: position, continuation: continuation)
                    return nil
                }
                if let resumeNow { continuation.resume(returning: resumeNow) }
            }
        } onCancel: {
            expire(id)
        }
    }

    private func expire(_ id: Int) {
        let waiter = state.withLock { state -> Waiter? in
            guard let waiter = state.waiters.removeValue(forKey: id) else {
                state.expired.insert(id)
                return nil
            }
            return waiter
        }
        waiter?.continuation.resume(returning: false)
    }

    /// Stops taking units and wakes every waiting request (they answer 503).
    public func close() {
        let waiting = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            state.closed = true
            defer { state.waiters.removeAll() }
            return state.waiters.values.map(\.continuation)
        }
        for continuation in waiting { continuation.resume(returning: false) }
    }

    /// Requests waiting now (for tests and status).
    public var waiting: Int { state.withLock { $0.waiters.count } }
}
