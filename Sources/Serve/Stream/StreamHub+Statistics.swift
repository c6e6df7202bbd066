import NIOCore

/// One viewer's view of one track, for logs, tests and (later) the status API.
public struct ViewerSnapshot: Sendable, Hashable {
    public var session: String
    public var track: Int
    /// `udp` or `tcp` (interleaved).
    public var transport: String
    public var peer: String
    public var statistics: ViewerStatistics
}

extension StreamHub {
    /// The statistics of every playing viewer, read on the hub's loop.
    public func viewerSnapshots() async throws -> [ViewerSnapshot] {
        try await eventLoop.submit {
            self.tracks.flatMap { track in
                track.outputs.map { output in
                    ViewerSnapshot(
                        session: output.session.id, track: track.index,
                        transport: output.isInterleaved ? "tcp" : "udp",
                        peer: output.session.peer.map { "\($0)" } ?? "?",
                        statistics: output.statistics)
                }
            }
        }.get()
    }

    /// Sessions the server knows, playing or not.
    public var trackCount: Int { configuration.tracks.count }
}
