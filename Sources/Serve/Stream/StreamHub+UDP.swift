import NIOCore
import NIOPosix

extension LiveStream {
    /// Binds an RTP/RTCP server port pair for every track: RTP on an even port and RTCP on the
    /// next one (RFC 3550 §11), trying successive pairs from `firstPort` until both bind.
    func bindUDP(host: String, firstPort: Int, attempts: Int = 200) async throws {
        var port = firstPort
        let hub = self.hub
        for index in configuration.tracks.indices {
            let bound = try await UDPPortPair.bind(host: host, from: &port, attempts: attempts, eventLoop: eventLoop) { buffer, address in
                hub.value.receiveRTCP(buffer, track: index, from: address, output: nil)
            }
            try await eventLoop.submit { hub.value.tracks[index].udp = bound }.get()
        }
    }

    /// Gives each track its multicast destination: `group`, port `portBase` + 2 × track. The
    /// TTL is set on the server's sockets, which send both unicast and multicast.
    func configureMulticast(group: String, portBase: Int, ttl: Int) async throws {
        let hub = self.hub
        for index in configuration.tracks.indices {
            let port = portBase + 2 * index
            let rtp = try SocketAddress(ipAddress: group, port: port)
            let rtcp = try SocketAddress(ipAddress: group, port: port + 1)
            try await eventLoop.flatSubmit { () -> EventLoopFuture<Void> in
                let track = hub.value.tracks[index]
                track.multicast = (rtp, rtcp, group, port, ttl)
                guard let udp = track.udp else { return hub.value.eventLoop.makeSucceededVoidFuture() }
                let option = ChannelOptions.socketOption(.ip_multicast_ttl)
                return udp.rtp.setOption(option, value: SocketOptionValue(ttl))
                    .and(udp.rtcp.setOption(option, value: SocketOptionValue(ttl))).map { _ in () }
            }.get()
        }
    }
}

extension StreamHub {
    /// Multicast viewers send their reports to the group's RTCP port (RFC 3550 §6): while any
    /// of them plays, Vigil listens there too, or their loss and their BYE would never be
    /// heard. The port is held only while needed (viewers on this host may want it).
    func updateGroupListener(track: Track) {
        eventLoop.assertInEventLoop()
        let wanted = track.outputs.contains { if case .multicast = $0.transport { return true } else { return false } }
        switch (wanted, track.groupListener) {
        case (true, .none):
            guard let group = track.multicast?.rtcp else { return }
            track.groupListener = .binding
            makeGroupListener(group: group, track: track.index).assumeIsolated().whenComplete { [self] result in
                switch result {
                case .success(let channel):
                    if case .binding = track.groupListener {
                        track.groupListener = .listening(channel)
                        updateGroupListener(track: track)  // the last viewer may have left meanwhile
                    } else {
                        channel.close(promise: nil)
                    }
                case .failure(let error):
                    track.groupListener = .none
                    logger.warning("cannot hear multicast viewers' RTCP; their reports are lost", metadata: [
                        "group": "\(group)", "error": "\(error)",
                    ])
                }
            }
        case (false, .listening(let channel)):
            track.groupListener = .none
            channel.close(promise: nil)
        default:
            break
        }
    }

    /// A socket on the group's RTCP port, joined to the group.
    private func makeGroupListener(group: SocketAddress, track: Int) -> EventLoopFuture<any Channel> {
        let hub = NIOLoopBound(self, eventLoop: eventLoop)
        return DatagramBootstrap(group: eventLoop)
            .channelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ServerDatagramHandler(isRTCP: true) { buffer, address in
                            hub.value.receiveGroupRTCP(buffer, track: track, from: address)
                        })
                }
            }
            .bind(host: group.protocol == .inet6 ? "::" : "0.0.0.0", port: group.port ?? 0)
            .flatMap { channel in
                guard let multicast = channel as? any MulticastChannel else {
                    channel.close(promise: nil)
                    return channel.eventLoop.makeFailedFuture(ServeError.noServerPorts)
                }
                return multicast.joinGroup(group).map { channel }
            }
    }
}

/// Reads what viewers send to a server UDP port: RTCP on the RTCP port goes to `receive`;
/// anything on the RTP port (NAT keep-alives some clients send) is ignored.
final class ServerDatagramHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let isRTCP: Bool
    private let receive: (ByteBuffer, SocketAddress) -> Void

    init(isRTCP: Bool, receive: @escaping (ByteBuffer, SocketAddress) -> Void) {
        self.isRTCP = isRTCP
        self.receive = receive
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard isRTCP else { return }
        let envelope = unwrapInboundIn(data)
        receive(envelope.data, envelope.remoteAddress)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A datagram error (an ICMP report surfacing, a full buffer) concerns one peer, never
        // the shared socket: keep it open.
    }
}
