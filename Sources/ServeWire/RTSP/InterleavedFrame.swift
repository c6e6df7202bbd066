import NIOCore

/// An RTP or RTCP packet carried on the RTSP connection — RFC 2326 §10.12.
///
/// ```
/// +-------+-------+---------------+---------------------------------
/// |  '$'  |channel|  length (16)  |  payload (length bytes) ...
/// +-------+-------+---------------+---------------------------------
/// ```
public struct InterleavedFrame: Hashable, Sendable {
    /// The magic byte that starts a frame (0x24, "$").
    public static let magic = UInt8(ascii: "$")
    /// '$', channel, 16-bit length.
    public static let headerSize = 4
    /// The length field is 16 bits.
    public static let maxPayloadLength = Int(UInt16.max)

    public var channel: UInt8
    public var payload: ByteBuffer

    public init(channel: UInt8, payload: ByteBuffer) {
        self.channel = channel
        self.payload = payload
    }

    /// Writes the 4-byte header for a payload of `length` bytes that the caller writes next.
    public static func writeHeader(channel: UInt8, length: Int, into buffer: inout ByteBuffer) {
        precondition((0...maxPayloadLength).contains(length), "interleaved payloads are at most 65535 bytes")
        buffer.writeInteger(magic)
        buffer.writeInteger(channel)
        buffer.writeInteger(UInt16(length))
    }

    /// Fills the header into the 4 bytes just before `packet`'s reader index (the headroom a
    /// packetizer reserved with `headroom: InterleavedFrame.headerSize`) and moves the reader
    /// index back over it, so the readable bytes become the whole frame without copying.
    /// Returns false, leaving `packet` unchanged, when there is no such headroom or the packet
    /// is too long for one frame.
    @discardableResult
    public static func prependHeader(channel: UInt8, to packet: inout ByteBuffer) -> Bool {
        let length = packet.readableBytes
        guard packet.readerIndex >= headerSize, length <= maxPayloadLength else { return false }
        let start = packet.readerIndex - headerSize
        packet.setInteger(magic, at: start)
        packet.setInteger(channel, at: start + 1)
        packet.setInteger(UInt16(length), at: start + 2)
        packet.moveReaderIndex(to: start)
        return true
    }

    /// Writes header and payload.
    public func write(into buffer: inout ByteBuffer) {
        Self.writeHeader(channel: channel, length: payload.readableBytes, into: &buffer)
        buffer.writeImmutableBuffer(payload)
    }
}
