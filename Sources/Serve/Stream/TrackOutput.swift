import Logging
import NIOCore
import ServeWire

/// Where one viewer receives one track, and what it has been sent.
///
/// Owned by the viewer's session; the hub holds it in the track's list while the session plays.
/// Confined to the hub's event loop.
final class TrackOutput {
    enum Transport {
        /// UDP unicast to the viewer's RTP and RTCP ports (RFC 2326 §12.39 client_port).
        case udp(rtp: SocketAddress, rtcp: SocketAddress)
        /// RTP and RTCP interleaved on the RTSP connection (RFC 2326 §10.12), shared with the
        /// session's other tracks on it.
        case interleaved(InterleavedConnection, rtp: UInt8, rtcp: UInt8)
        /// The stream's multicast group: one copy on the wire for all such viewers.
        case multicast
        /// A path of its own kind that takes the shared packets one by one and sends them on
        /// its way (a WebRTC peer: SRTP-protected per viewer, on the WebRTC port).
        case path(any PacketPath)

        /// Interleaved on a connection no other output shares.
        static func interleaved(channel: any Channel, rtp: UInt8, rtcp: UInt8) -> Transport {
            .interleaved(InterleavedConnection(channel: channel), rtp: rtp, rtcp: rtcp)
        }
    }

    let trackIndex: Int
    let transport: Transport
    unowned let session: RTSPSession
    /// A video output sends nothing until a key frame starts, so the viewer's first picture
    /// decodes; it waits again after it had to drop part of a picture.
    var waitingForKeyFrame = true
    /// Set by the bitrate controller for a viewer whose path carries far less than the stream.
    var keyFramesOnly = false
    /// Whether UDP segmentation offload works on the path to this viewer: the first segmented
    /// write tells (a device without checksum offload refuses it with EIO); until then unknown.
    var udpSegmentation: UDPSegmentation = .unknown

    enum UDPSegmentation {
        case unknown, probing, works, refused
    }
    var statistics = ViewerStatistics()
    /// A multicast viewer's own SSRC, learnt from its first report to the group.
    var reporterSSRC: UInt32?
    /// When the viewer's last RTCP packet for this track arrived, and its usual spacing.
    private(set) var lastReportAt: NIODeadline?
    private(set) var reportInterval: TimeAmount = .zero

    func noteReport(at now: NIODeadline) {
        if let last = lastReportAt {
            let gap = now - last
            // A slow average (1/4 of each new gap) that follows a client's cadence.
            reportInterval = reportInterval == .zero ? gap : .nanoseconds((reportInterval.nanoseconds * 3 + gap.nanoseconds) / 4)
        }
        lastReportAt = now
    }

    init(trackIndex: Int, transport: Transport, session: RTSPSession) {
        self.trackIndex = trackIndex
        self.transport = transport
        self.session = session
    }

    /// Whether lost packets go back in the RFC 4588 rtx stream when the track has one: RTSP
    /// viewers were offered it in DESCRIBE; a path (WebRTC) negotiated none.
    var takesRetransmissionStream: Bool {
        if case .path = transport { return false }
        return true
    }

    var isInterleaved: Bool {
        if case .interleaved = transport { return true }
        return false
    }

    /// `udp`, `tcp` (interleaved), `multicast`, or the path's own name (`webrtc`).
    var transportName: String {
        switch transport {
        case .udp: return "udp"
        case .interleaved: return "tcp"
        case .multicast: return "multicast"
        case .path(let path): return path.name
        }
    }
}

/// A viewer transport that is a type of its own rather than a socket the hub writes to: it
/// takes the stream's shared RTP packets and RTCP reports and does what its kind needs with
/// each copy (a WebRTC peer rewrites the payload type to the one its offer chose, protects it
/// with SRTP under its own keys, and sends it to the address ICE selected). Confined to the
/// hub's event loop.
protocol PacketPath: AnyObject {
    /// For status and logs: `webrtc`.
    var name: String { get }
    /// False while the path cannot take more (its socket's queue is full): packets for it are
    /// dropped and counted, and video waits for the next key frame.
    var isWritable: Bool { get }
    /// One RTP packet of `track`, as the shared packetizer built it (not to be changed).
    func send(rtp packet: ByteBuffer, track: Int)
    /// One compound RTCP packet about `track` (a sender report, a BYE).
    func send(rtcp packet: ByteBuffer, track: Int)
    /// Sends what was written since the last flush.
    func flush()
}

/// An RTSP connection that carries interleaved RTP and RTCP (RFC 2326 §10.12), shared by the
/// outputs of every track set up on it, so that what one track writes and another flushes meet.
/// Confined to the hub's event loop.
final class InterleavedConnection {
    let channel: any Channel
    /// When audio was first written here and left for the next flush (`StreamHub.holdAudio`);
    /// nil once a flush took it.
    var audioHeldSince: NIODeadline?

    init(channel: any Channel) {
        self.channel = channel
    }
}

/// Per-viewer, per-track numbers: what was sent and dropped, and what the viewer's receiver
/// reports say (RFC 3550 §6.4.2).
public struct ViewerStatistics: Sendable, Hashable {
    public var packetsSent: UInt64 = 0
    public var octetsSent: UInt64 = 0
    /// Packets not sent because the viewer's path could not take them (its own loss).
    public var packetsDropped: UInt64 = 0
    public var receiverReports: UInt64 = 0
    /// The last report's fraction lost, as a fraction of 1.
    public var fractionLost: Double?
    public var cumulativeLost: Int32?
    /// Interarrival jitter in RTP timestamp units.
    public var jitter: UInt32?
    /// Round-trip time from the last report's LSR/DLSR.
    public var roundTripSeconds: Double?
    public var byeReceived = false
    /// PLI and FIR messages from this viewer.
    public var keyFrameRequests: UInt64 = 0
    public var nacksReceived: UInt64 = 0
    /// Packets sent again after a NACK.
    public var packetsResent: UInt64 = 0
    /// Pictures left out because the viewer gets key frames only.
    public var picturesSkipped: UInt64 = 0
    public var keyFramesOnly = false
    /// The receiver's own estimate of what its path carries, bit/s (REMB), when it sends one.
    public var estimatedBitsPerSecond: UInt64?
    /// Transport-wide congestion feedback packets received (read, not acted on).
    public var transportFeedbacks: UInt64 = 0

    public init() {}
}

extension TrackOutput {
    /// Writes a unit's packets to this UDP viewer as segmented writes (UDP GSO), the live hub's
    /// and the file player's alike. The first segmented write to a viewer carries a promise
    /// that settles whether its path takes them; a refusal (EIO: a device without checksum
    /// offload) sends it plain datagrams from then on, and costs it the packets of that one
    /// write, counted as dropped.
    func write(_ batches: [DatagramBatch], to address: SocketAddress, on channel: any Channel, logger: Logger) {
        for batch in batches {
            guard let segmentSize = batch.segmentSize else {
                channel.write(AddressedEnvelope(remoteAddress: address, data: batch.buffer), promise: nil)
                continue
            }
            let metadata = AddressedEnvelope<ByteBuffer>.Metadata(ecnState: .transportNotCapable, packetInfo: nil, segmentSize: segmentSize)
            let envelope = AddressedEnvelope(remoteAddress: address, data: batch.buffer, metadata: metadata)
            guard udpSegmentation == .unknown else {
                channel.write(envelope, promise: nil)
                continue
            }
            udpSegmentation = .probing
            let eventLoop = channel.eventLoop
            let promise = eventLoop.makePromise(of: Void.self)
            let probed = NIOLoopBound(self, eventLoop: eventLoop)
            let lost = UInt64(batch.packetCount)
            promise.futureResult.whenComplete { result in
                let output = probed.value
                switch result {
                case .success:
                    output.udpSegmentation = .works
                case .failure(let error):
                    output.udpSegmentation = .refused
                    output.statistics.packetsDropped += lost
                    logger.notice("UDP segmentation offload refused on the path to a viewer; plain datagrams from now on",
                                  metadata: ["session": "\(output.session.id)", "error": "\(error)"])
                }
            }
            channel.write(envelope, promise: promise)
        }
    }
}
