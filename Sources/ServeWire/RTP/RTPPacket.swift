import NIOCore

/// One RTP packet: its fixed header and its payload (without CSRCs, extension or padding).
public struct RTPPacket: Hashable, Sendable {
    /// Bits of the first octet.
    private static let paddingBit: UInt8 = 0x20
    private static let extensionBit: UInt8 = 0x10
    private static let csrcCountMask: UInt8 = 0x0F
    private static let markerBit: UInt8 = 0x80
    /// Each CSRC identifier is one 32-bit word.
    private static let csrcSize = 4
    /// The extension header is `defined by profile` (16) + `length` (16).
    private static let extensionHeaderSize = 4

    public var header: RTPHeader
    public var payload: ByteBuffer

    public init(header: RTPHeader, payload: ByteBuffer) {
        self.header = header
        self.payload = payload
    }

    /// Parses a whole datagram (or one interleaved frame's payload). The payload is a slice of
    /// `buffer`, sharing its storage.
    ///
    /// ```
    /// |V=2|P|X|  CC   |M|     PT      |       sequence number         |
    /// |                           timestamp                           |
    /// |           synchronization source (SSRC) identifier            |
    /// |            contributing source (CSRC) identifiers  (CC words) |
    /// |      defined by profile       |           length              |  (if X)
    /// |                        header extension  (length words)       |  (if X)
    /// |                           payload  ...                        |
    /// |                               | padding ...   | padding count |  (if P)
    /// ```
    public init(parsing buffer: ByteBuffer) throws(RTPParseError) {
        var reader = buffer
        guard
            let first = reader.readInteger(as: UInt8.self),
            let second = reader.readInteger(as: UInt8.self),
            let sequenceNumber = reader.readInteger(as: UInt16.self),
            let timestamp = reader.readInteger(as: UInt32.self),
            let ssrc = reader.readInteger(as: UInt32.self)
        else { throw .tooShort }
        guard first >> 6 == RTPHeader.version else { throw .badVersion }

        let csrcBytes = Int(first & Self.csrcCountMask) * Self.csrcSize
        guard reader.readableBytes >= csrcBytes else { throw .tooShort }
        reader.moveReaderIndex(forwardBy: csrcBytes)

        if first & Self.extensionBit != 0 {
            guard
                reader.readInteger(as: UInt16.self) != nil,
                let words = reader.readInteger(as: UInt16.self),
                reader.readableBytes >= Int(words) * 4
            else { throw .badExtension }
            reader.moveReaderIndex(forwardBy: Int(words) * 4)
        }

        if first & Self.paddingBit != 0 {
            // The last octet counts the padding octets, itself included, so it is at least 1.
            guard
                let count = reader.getInteger(at: reader.writerIndex - 1, as: UInt8.self),
                count > 0, Int(count) <= reader.readableBytes
            else { throw .badPadding }
            reader.moveWriterIndex(to: reader.writerIndex - Int(count))
        }

        self.header = RTPHeader(
            marker: second & Self.markerBit != 0,
            payloadType: second & RTPHeader.maxPayloadType,
            sequenceNumber: sequenceNumber,
            timestamp: timestamp,
            ssrc: ssrc
        )
        self.payload = reader
    }

    /// Writes the fixed header and the payload.
    public func write(into buffer: inout ByteBuffer) {
        header.write(into: &buffer)
        buffer.writeImmutableBuffer(payload)
    }
}
