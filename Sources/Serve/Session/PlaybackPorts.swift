import Logging
import NIOCore
import NIOPosix

/// The server UDP ports every file viewer shares: one RTP/RTCP pair per track position (video
/// on the first, audio on the second), so thousands of file players cost no socket each.
/// RTCP that arrives is handed to the player whose viewer sent it, found by its address.
/// Confined to the server's event loop.
final class PlaybackPorts {
    let eventLoop: any EventLoop
    private(set) var pairs: [UDPPortPair] = []
    /// Outputs by the viewer's RTP and RTCP addresses, per track position.
    private var outputs: [[SocketAddress: TrackOutput]] = []
    /// Datagrams from addresses that are no file viewer's, dropped unparsed.
    private(set) var fromStrangers: UInt64 = 0
    /// Two positions: a video and an audio track, what every stored medium has at most.
    static let trackPositions = 2

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Binds the pairs from `firstPort` on, skipping ports in use. Called off the loop, so the
    /// ports are reached through the box.
    static func bind(_ ports: NIOLoopBound<PlaybackPorts>, host: String, firstPort: Int, attempts: Int = 200) async throws {
        let eventLoop = ports.eventLoop
        var port = firstPort
        var bound: [UDPPortPair] = []
        for position in 0..<Self.trackPositions {
            bound.append(try await UDPPortPair.bind(host: host, from: &port, attempts: attempts, eventLoop: eventLoop) { buffer, address in
                ports.value.receive(buffer, position: position, from: address)
            })
        }
        let pairs = bound
        try await eventLoop.submit {
            ports.value.pairs = pairs
            ports.value.outputs = Array(repeating: [:], count: pairs.count)
        }.get()
    }

    func pair(position: Int) -> UDPPortPair? { pairs.indices.contains(position) ? pairs[position] : nil }

    /// Attributes RTCP from the output's addresses to it while it plays.
    func register(_ output: TrackOutput) {
        guard case .udp(let rtp, let rtcp) = output.transport, outputs.indices.contains(output.trackIndex) else { return }
        outputs[output.trackIndex][rtp] = output
        outputs[output.trackIndex][rtcp] = output
    }

    func unregister(_ output: TrackOutput) {
        guard case .udp(let rtp, let rtcp) = output.transport, outputs.indices.contains(output.trackIndex) else { return }
        if outputs[output.trackIndex][rtp] === output { outputs[output.trackIndex][rtp] = nil }
        if outputs[output.trackIndex][rtcp] === output { outputs[output.trackIndex][rtcp] = nil }
    }

    private func receive(_ buffer: ByteBuffer, position: Int, from address: SocketAddress) {
        guard outputs.indices.contains(position), let output = outputs[position][address] else {
            fromStrangers &+= 1
            return
        }
        output.session.source.receiveRTCP(buffer, track: position, from: address, output: output)
    }

    func close() -> EventLoopFuture<Void> {
        let closes = pairs.flatMap { [$0.rtp.close(), $0.rtcp.close()] }
        pairs = []
        outputs = []
        return EventLoopFuture.andAllComplete(closes, on: eventLoop)
    }
}
