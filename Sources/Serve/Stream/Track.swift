import MediaCore
import NIOCore
import NIOPosix
import ServeWire

/// One track of a stream at run time: its packetizer and RTP clock, its server UDP ports, and
/// the viewers it is sent to. Confined to the hub's event loop.
final class Track {
    let index: Int
    let configuration: TrackConfiguration
    var packetizer: any RTPPacketizer
    let clock: RTPClock
    /// The server's RTP/RTCP sockets for UDP viewers, once bound.
    var udp: UDPPortPair?
    /// Where multicast viewers of this track receive RTP (RTCP on the next port).
    var multicast: (rtp: SocketAddress, rtcp: SocketAddress, group: String, port: Int, ttl: Int)?
    /// The socket on the multicast group's RTCP port, where multicast viewers report.
    enum GroupListener {
        case none
        case binding
        case listening(any Channel)
    }
    var groupListener = GroupListener.none
    /// Outputs of the viewers playing this track, in join order.
    var outputs: [TrackOutput] = []
    /// UDP outputs by the viewer's RTP and RTCP addresses, to attribute incoming RTCP.
    var outputsByAddress: [SocketAddress: TrackOutput] = [:]
    /// Packets of the unit being sent (reused to avoid an allocation per unit).
    var packets: [ByteBuffer] = []
    /// The same packets as UDP GSO batches, built on demand once per unit for all UDP viewers.
    var datagramBatches: [DatagramBatch] = []
    var datagramBatchesBuilt = false
    /// The same packets as RFC 2326 §10.12 interleaved frames back to back, one buffer per
    /// channel number (nearly always one: 2 × track index), built for the first TCP viewer of
    /// the unit and written whole to every other.
    var interleavedUnits: [(channel: UInt8, frames: ByteBuffer)] = []
    var lastInstant: MediaInstant?
    /// Audio: the RTP time the next unit will carry, for RTP-Info of a viewer joining now.
    var nextAudioTimestamp: UInt32?
    var unitsSent: UInt64 = 0
    /// RTP packets and payload octets written to viewers (each viewer counted), for metrics.
    var packetsSent: UInt64 = 0
    var octetsSent: UInt64 = 0
    /// The next periodic sender report.
    var reportTimer: Scheduled<Void>?
    var sentFirstReport = false
    /// When the viewers' statistics go to the debug log next.
    var nextStatisticsLog = NIODeadline.uptimeNanoseconds(0)
    /// Running average of compound RTCP packet size (RFC 3550 §6.3.3 avg_rtcp_size).
    var averageRTCPSize: Double = 100
    /// The last packets sent, by sequence number modulo the capacity, for NACK resends. The
    /// buffers are the ones already sent (shared storage), so keeping them costs no copy.
    var history: [ByteBuffer?]
    /// 1024 packets: about four seconds of a 2 Mbit/s stream — longer than any NACK
    /// that can still arrive in time to be useful (RFC 4585 §3.5: feedback within an RTT).
    static let historyCapacity = 1024
    var resentPackets: UInt64 = 0
    var nacksReceived: UInt64 = 0
    var keyFrameRequests: UInt64 = 0
    /// RTCP datagrams to the server RTCP port from addresses that are no viewer, dropped unparsed.
    var rtcpFromStrangers: UInt64 = 0
    /// The RFC 4588 retransmission stream, when the track repairs loss with one.
    var retransmission: RetransmissionPacketizer?

    init(index: Int, configuration: TrackConfiguration, mtu: Int, epoch: MediaInstant) {
        self.index = index
        self.configuration = configuration
        self.history = [ByteBuffer?](repeating: nil, count: Self.historyCapacity)
        self.clock = RTPClock(clockRate: configuration.clockRate, timestampOffset: configuration.timestampOffset, epoch: epoch)
        let headroom = StreamHub.interleavedHeaderSize
        if case .retransmissionStream(let payloadType, let ssrc, let sequence) = configuration.repair {
            self.retransmission = RetransmissionPacketizer(
                payloadType: payloadType, ssrc: ssrc, initialSequenceNumber: sequence, headroom: headroom)
        }
        self.packetizer = Self.makePacketizer(configuration, mtu: mtu)
    }

    /// The packetizer of a track's payload format, with room for an interleaved header before
    /// each packet.
    static func makePacketizer(_ configuration: TrackConfiguration, mtu: Int) -> any RTPPacketizer {
        let headroom = StreamHub.interleavedHeaderSize
        switch configuration.codec {
        case .h264:
            return H264Packetizer(
                payloadType: configuration.payloadType, ssrc: configuration.ssrc,
                initialSequenceNumber: configuration.initialSequenceNumber, mtu: mtu, headroom: headroom)
        case .h263 where configuration.h263Payload == .rfc2190:
            return H263RFC2190Packetizer(
                payloadType: configuration.payloadType, ssrc: configuration.ssrc,
                initialSequenceNumber: configuration.initialSequenceNumber, mtu: mtu, headroom: headroom)
        case .h263:
            return H263RFC4629Packetizer(
                payloadType: configuration.payloadType, ssrc: configuration.ssrc,
                initialSequenceNumber: configuration.initialSequenceNumber, mtu: mtu, headroom: headroom)
        case .pcmu, .pcma:
            return G711Packetizer(
                payloadType: configuration.payloadType, ssrc: configuration.ssrc,
                initialSequenceNumber: configuration.initialSequenceNumber, mtu: mtu, headroom: headroom)
        case .aac:
            return AACPacketizer(
                payloadType: configuration.payloadType, ssrc: configuration.ssrc,
                initialSequenceNumber: configuration.initialSequenceNumber, mtu: mtu, headroom: headroom)
        case .opus:
            precondition(
                configuration.clockRate == OpusFormat.clockRate,
                "Opus RTP time runs at 48 kHz for every input rate (RFC 7587 §4.1), not \(configuration.clockRate)")
            return OpusPacketizer(
                payloadType: configuration.payloadType, ssrc: configuration.ssrc,
                initialSequenceNumber: configuration.initialSequenceNumber, mtu: mtu, headroom: headroom)
        }
    }

    /// The unit's packets framed for interleaved `channel`, in one buffer; one copy of the unit
    /// per channel number, however many viewers.
    func interleavedFrames(channel: UInt8, allocator: ByteBufferAllocator) -> ByteBuffer {
        for unit in interleavedUnits where unit.channel == channel { return unit.frames }
        var size = 0
        for packet in packets { size += InterleavedFrame.headerSize + packet.readableBytes }
        var frames = allocator.buffer(capacity: size)
        for packet in packets {
            InterleavedFrame.writeHeader(channel: channel, length: packet.readableBytes, into: &frames)
            frames.writeImmutableBuffer(packet)
        }
        interleavedUnits.append((channel, frames))
        return frames
    }

    /// Keeps `packet` for resends.
    func remember(_ packet: ByteBuffer) {
        guard let sequence = packet.getInteger(at: packet.readerIndex + 2, as: UInt16.self) else { return }
        history[Int(sequence) % Self.historyCapacity] = packet
    }

    /// A packet still in the history, if `sequence` has not been overwritten since.
    func packet(sequence: UInt16) -> ByteBuffer? {
        guard let packet = history[Int(sequence) % Self.historyCapacity],
            packet.getInteger(at: packet.readerIndex + 2, as: UInt16.self) == sequence
        else { return nil }
        return packet
    }

    /// The control attribute of track `index`, relative to the stream's Content-Base.
    static func control(_ index: Int) -> String { "trackID=\(index)" }

    /// The track index named by a control string (`trackID=1`), if any.
    static func index(fromControl control: String) -> Int? {
        guard control.hasPrefix("trackID=") else { return nil }
        return Int(control.dropFirst("trackID=".count))
    }
}

/// A bound pair of server UDP sockets for one track: RTP on an even port, RTCP on the next.
struct UDPPortPair {
    var rtp: any Channel
    var rtcp: any Channel
    var rtpPort: Int
    var rtcpPort: Int { rtpPort + 1 }

    /// Binds RTP on an even port and RTCP on the next (RFC 3550 §11), trying successive pairs
    /// from `port` (left just past the pair bound) until both bind; RTCP that arrives goes to
    /// `receiveRTCP` on `eventLoop`.
    static func bind(
        host: String, from port: inout Int, attempts: Int = 200, eventLoop: any EventLoop,
        receiveRTCP: @escaping @Sendable (ByteBuffer, SocketAddress) -> Void
    ) async throws -> UDPPortPair {
        port += port & 1
        var tries = 0
        while tries < attempts && port + 1 <= 65535 {
            tries += 1
            let candidate = port
            port += 2
            guard let rtp = try? await channel(host: host, port: candidate, eventLoop: eventLoop, receive: nil) else { continue }
            guard let rtcp = try? await channel(host: host, port: candidate + 1, eventLoop: eventLoop, receive: receiveRTCP) else {
                try? await rtp.close()
                continue
            }
            return UDPPortPair(rtp: rtp, rtcp: rtcp, rtpPort: candidate)
        }
        throw ServeError.noServerPorts
    }

    private static func channel(
        host: String, port: Int, eventLoop: any EventLoop, receive: (@Sendable (ByteBuffer, SocketAddress) -> Void)?
    ) async throws -> any Channel {
        try await DatagramBootstrap(group: eventLoop)
            // Room for the bursts of a key frame sent to many viewers at once.
            .channelOption(ChannelOptions.socketOption(.so_sndbuf), value: 4 << 20)
            .channelOption(ChannelOptions.writeBufferWaterMark, value: .init(low: 8 << 20, high: 16 << 20))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ServerDatagramHandler(isRTCP: receive != nil) { buffer, address in receive?(buffer, address) })
                }
            }
            .bind(host: host, port: port)
            .get()
    }
}
