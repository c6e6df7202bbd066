import Foundation
import NIOCore
import NIOPosix
import ServeWire

/// A small RTSP client for live tests: sends requests (or raw bytes) on one TCP connection,
/// collects responses and interleaved frames, and receives UDP RTP/RTCP on its own ports.
final class TestRTSPClient: @unchecked Sendable {
    let channel: any Channel
    private let collector: Collector
    private var cseq = 0
    let group: any EventLoopGroup

    final class Collector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        var parser = RTSPResponseParser()
        var buffer = ByteBuffer()
        let responses = LockedBox<[RTSPResponse]>([])
        let interleaved = LockedBox<[InterleavedFrame]>([])
        let closed = LockedBox(false)
        let parseError = LockedBox<String?>(nil)

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var incoming = unwrapInboundIn(data)
            buffer.writeBuffer(&incoming)
            do {
                while let message = try parser.next(&buffer) {
                    switch message {
                    case .response(let response): responses.mutate { $0.append(response) }
                    case .interleaved(let frame): interleaved.mutate { $0.append(frame) }
                    }
                }
            } catch {
                parseError.value = "\(error)"
            }
            buffer.discardReadBytes()
        }

        func channelInactive(context: ChannelHandlerContext) {
            closed.value = true
        }
    }

    static func connect(port: Int, group: any EventLoopGroup, receiveBuffer: Int = 1 << 20) async throws -> TestRTSPClient {
        let collector = Collector()
        let channel = try await ClientBootstrap(group: group)
            .channelOption(ChannelOptions.socketOption(.so_rcvbuf), value: receiveBuffer)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        return TestRTSPClient(channel: channel, collector: collector, group: group)
    }

    private init(channel: any Channel, collector: Collector, group: any EventLoopGroup) {
        self.channel = channel
        self.collector = collector
        self.group = group
    }

    var isClosed: Bool { collector.closed.value }
    var interleavedFrames: [InterleavedFrame] { collector.interleaved.value }

    func sendRaw(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(channel.allocator.buffer(bytes: bytes))
    }

    func sendRaw(_ text: String) async throws {
        try await sendRaw(Array(text.utf8))
    }

    /// Waits for the next response (in order), or throws after `timeout` seconds.
    func nextResponse(timeout: Double = 5) async throws -> RTSPResponse {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while Date() < deadline {
            if let response = collector.responses.mutate({ $0.isEmpty ? nil : $0.removeFirst() }) {
                return response
            }
            if collector.closed.value { throw TestClientError.closed }
            try await Task.sleep(nanoseconds: 5_000_000)
        }
        throw TestClientError.timeout
    }

    func request(_ method: String, _ uri: String, headers: [(String, String)] = [], timeout: Double = 5) async throws -> RTSPResponse {
        cseq += 1
        var text = "\(method) \(uri) RTSP/1.0\r\nCSeq: \(cseq)\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "User-Agent: VigilTests\r\n\r\n"
        try await sendRaw(text)
        let response = try await nextResponse(timeout: timeout)
        guard response.headers["CSeq"] == String(cseq) else { throw TestClientError.cseqMismatch(response.headers["CSeq"]) }
        return response
    }

    /// Stops reading from the socket: the server's writes back up as they would for a viewer
    /// on a link too slow for the stream.
    func stopReading() async throws {
        try await channel.setOption(ChannelOptions.autoRead, value: false)
    }

    /// Reads again after `stopReading()`.
    func resumeReading() async throws {
        try await channel.setOption(ChannelOptions.autoRead, value: true)
        channel.read()
    }

    func close() async {
        try? await channel.close()
    }
}

enum TestClientError: Error {
    case timeout
    case closed
    case cseqMismatch(String?)
    case unexpected(String)
}

/// Receives datagrams on one local UDP port and keeps them.
final class UDPReceiver: @unchecked Sendable {
    let channel: any Channel
    let datagrams: LockedBox<[ByteBuffer]>

    final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let datagrams: LockedBox<[ByteBuffer]>
        init(_ datagrams: LockedBox<[ByteBuffer]>) { self.datagrams = datagrams }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            datagrams.mutate { $0.append(envelope.data) }
        }
    }

    /// An RTP/RTCP pair on consecutive ports, as real clients bind them (RFC 3550 §11).
    static func bindPair(group: any EventLoopGroup) async throws -> (rtp: UDPReceiver, rtcp: UDPReceiver) {
        for _ in 0..<50 {
            let rtp = try await bind(group: group)
            guard rtp.port % 2 == 0, rtp.port < 65535 else {
                await rtp.close()
                continue
            }
            if let rtcp = try? await bind(group: group, port: rtp.port + 1) { return (rtp, rtcp) }
            await rtp.close()
        }
        throw TestClientError.unexpected("no free UDP port pair")
    }

    static func bind(group: any EventLoopGroup, port: Int = 0) async throws -> UDPReceiver {
        let datagrams = LockedBox<[ByteBuffer]>([])
        let channel = try await DatagramBootstrap(group: group)
            .channelOption(ChannelOptions.socketOption(.so_rcvbuf), value: 4 << 20)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Handler(datagrams)) }
            }
            .bind(host: "127.0.0.1", port: port)
            .get()
        return UDPReceiver(channel: channel, datagrams: datagrams)
    }

    private init(channel: any Channel, datagrams: LockedBox<[ByteBuffer]>) {
        self.channel = channel
        self.datagrams = datagrams
    }

    var port: Int { channel.localAddress?.port ?? 0 }

    func send(_ bytes: ByteBuffer, to port: Int) async throws {
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: port)
        try await channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: bytes))
    }

    func close() async { try? await channel.close() }
}
