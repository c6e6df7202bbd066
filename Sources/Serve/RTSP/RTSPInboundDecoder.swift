import NIOCore
import ServeWire

/// The channel side of `RTSPParser`: a loop that turns bytes into requests and interleaved
/// frames. Every limit lives in the parser, so a client can never make this buffer grow
/// without bound.
struct RTSPInboundDecoder: ByteToMessageDecoder {
    typealias InboundOut = RTSPInbound

    private var parser = RTSPParser()

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let message = try parser.next(&buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(message))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // Half a request at EOF is dropped: the client has gone and nobody awaits an answer.
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}
