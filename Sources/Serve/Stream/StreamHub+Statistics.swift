import NIOCore

/// One viewer's view of one track, for logs, tests and (later) the status API.
public struct ViewerSnapshot: Sendable, Hashable {
    public var session: String
    public var track: Int
    /// `udp`, `tcp` (interleaved), `multicast` or `webrtc`.
    public var transport: String
    public var peer: String
    public var statistics: ViewerStatistics
}

extension StreamHub {
    /// The statistics of every playing viewer.
    func viewerSnapshots() -> [ViewerSnapshot] {
        eventLoop.assertInEventLoop()
        return tracks.flatMap { track in
                track.outputs.map { output in
                    ViewerSnapshot(
                        session: output.session.id, track: track.index,
                        transport: output.transportName,
                        peer: output.session.peer.map { "\($0)" } ?? "?",
                        statistics: output.statistics)
                }
            }
    }

    /// Each track's totals over the life of the stream, all viewers together.
    func trackSnapshots() -> [TrackSnapshot] {
        eventLoop.assertInEventLoop()
        return tracks.map { track in
                TrackSnapshot(
                    track: track.index, kind: track.configuration.kind == .video ? "video" : "audio",
                    clockRate: track.configuration.clockRate, packetsSent: UInt64(track.packetizer.packetCount),
                    octetsSent: UInt64(track.packetizer.octetCount), packetsToViewers: track.packetsSent,
                    octetsToViewers: track.octetsSent, viewers: track.outputs.count,
                    nacksReceived: track.nacksReceived, packetsResent: track.resentPackets,
                    keyFrameRequests: track.keyFrameRequests, rtcpFromStrangers: track.rtcpFromStrangers)
            }
    }
}

/// One track's totals (packets of the shared stream, and the repairs every viewer asked for).
public struct TrackSnapshot: Sendable, Hashable {
    public var track: Int
    /// `video` or `audio`.
    public var kind: String
    public var clockRate: Int
    /// RTP packets of the stream (once, whatever the number of viewers) and their payload octets.
    public var packetsSent: UInt64
    public var octetsSent: UInt64
    /// Packets and payload octets written to viewers (a packet sent to three viewers counts three).
    public var packetsToViewers: UInt64
    public var octetsToViewers: UInt64
    public var viewers: Int
    public var nacksReceived: UInt64
    public var packetsResent: UInt64
    public var keyFrameRequests: UInt64
    /// RTCP datagrams to the track's server RTCP port from addresses that are no viewer of
    /// it (dropped after one dictionary lookup, never parsed).
    public var rtcpFromStrangers: UInt64
}
