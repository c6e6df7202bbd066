import NIOCore

/// RTCP source description — RFC 3550 §6.5 (PT 202).
///
/// ```
///        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// header |V=2|P|    SC   |  PT=SDES=202  |             length            |
///        +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
/// chunk  |                          SSRC/CSRC_1                          |
///   1    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///        |                           SDES items                          |
///        |                              ...                              |
///        +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
/// ```
/// Each item is `type (8) | length (8) | text (length octets)`; a chunk's item list ends with
/// one or more null octets that also pad the chunk to a 32-bit boundary (§6.5).
public struct SourceDescription: Hashable, Sendable {
    public static let packetType: UInt8 = 202

    public struct Chunk: Hashable, Sendable {
        public var ssrc: UInt32
        public var items: [Item]

        public init(ssrc: UInt32, items: [Item]) {
            self.ssrc = ssrc
            self.items = items
        }
    }

    public struct Item: Hashable, Sendable {
        /// §6.5.1–6.5.8 item types.
        public static let endType: UInt8 = 0
        public static let cnameType: UInt8 = 1
        public static let nameType: UInt8 = 2
        public static let toolType: UInt8 = 6
        /// The length field is one octet.
        public static let maxTextBytes = 255

        public var type: UInt8
        /// UTF-8 text; longer than 255 bytes is cut at a character boundary when written.
        public var text: String

        public init(type: UInt8, text: String) {
            self.type = type
            self.text = text
        }

        /// The canonical name (§6.5.1), e.g. "vigil@192.0.2.10": one per source, shared by its
        /// audio and video streams so receivers can synchronize them.
        public static func cname(_ s: String) -> Item { Item(type: cnameType, text: s) }
    }

    public var chunks: [Chunk]

    public init(chunks: [Chunk]) {
        self.chunks = chunks
    }

    /// One chunk with one CNAME item — what a sender puts in every compound packet (§6.1).
    public static func cname(ssrc: UInt32, _ name: String) -> SourceDescription {
        SourceDescription(chunks: [Chunk(ssrc: ssrc, items: [.cname(name)])])
    }

    func writeBody(into buffer: inout ByteBuffer) {
        for chunk in chunks {
            buffer.writeInteger(chunk.ssrc)
            var itemBytes = 0
            for item in chunk.items {
                let text = item.text.utf8Prefix(maxBytes: Item.maxTextBytes)
                buffer.writeInteger(item.type)
                buffer.writeInteger(UInt8(text.count))
                buffer.writeBytes(text)
                itemBytes += 2 + text.count
            }
            // At least one null octet ends the list; more pad the chunk to 32 bits.
            let terminator = 4 - itemBytes % 4
            buffer.writeRepeatingByte(0, count: terminator)
        }
    }

    init?(body: ByteBuffer, chunkCount: Int) {
        var body = body
        let start = body.readerIndex
        var chunks: [Chunk] = []
        for _ in 0..<chunkCount {
            guard let ssrc = body.readInteger(as: UInt32.self) else { return nil }
            var items: [Item] = []
            while true {
                guard let type = body.readInteger(as: UInt8.self) else { return nil }
                if type == Item.endType { break }
                guard
                    let length = body.readInteger(as: UInt8.self),
                    let text = body.readBytes(length: Int(length))
                else { return nil }
                items.append(Item(type: type, text: String(decoding: text, as: UTF8.self)))
            }
            // Skip the rest of the null padding up to the next 32-bit boundary.
            let misalignment = (body.readerIndex - start) % 4
            if misalignment != 0 {
                guard body.readableBytes >= 4 - misalignment else { return nil }
                body.moveReaderIndex(forwardBy: 4 - misalignment)
            }
            chunks.append(Chunk(ssrc: ssrc, items: items))
        }
        self.init(chunks: chunks)
    }
}
