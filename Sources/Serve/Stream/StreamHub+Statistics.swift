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

/// One track's totals since the stream started, for the status API and metrics.
public struct TrackSnapshot: Sendable, Hashable {
    public var index: Int
    /// `video` or `audio`.
    public var kind: String
    public var clockRate: Int
    public var unitsSent: UInt64
    /// Packets and payload octets written to viewers (a packet sent to three viewers counts three).
    public var packetsSent: UInt64
    public var octetsSent: UInt64
    public var packetsResent: UInt64
}

extension StreamHub {
    public func trackSnapshots() async throws -> [TrackSnapshot] {
        try await eventLoop.submit {
            self.tracks.map { track in
                TrackSnapshot(
                    index: track.index, kind: track.configuration.kind == .video ? "video" : "audio",
                    clockRate: Int(track.configuration.clockRate), unitsSent: track.unitsSent,
                    packetsSent: track.packetsSent, octetsSent: track.octetsSent, packetsResent: track.resentPackets)
            }
        }.get()
    }
}
