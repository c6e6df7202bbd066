import NIOCore

/// One box read from a file: its type, where it is, and its body (ISO/IEC 14496-12 §4.2).
public struct Box: Hashable, Sendable {
    public var type: FourCC
    /// Byte offset of the box header in what was parsed.
    public var offset: Int
    /// Header plus body.
    public var size: Int
    /// The body (after size, type and any 64-bit size).
    public var body: ByteBuffer

    /// Boxes whose body is only boxes.
    static let containers: Set<FourCC> = ["moov", "trak", "mdia", "minf", "stbl", "dinf", "mvex", "moof", "traf", "edts", "udta"]

    /// The boxes one after another in `buffer`; throws on the first that is cut short or
    /// malformed, so a torn tail is never taken for data.
    public static func parse(_ buffer: ByteBuffer, base: Int = 0) throws -> [Box] {
        var boxes: [Box] = []
        var rest = buffer
        while rest.readableBytes > 0 {
            let at = base + buffer.readableBytes - rest.readableBytes
            boxes.append(try next(&rest, at: at))
        }
        return boxes
    }

    /// The leading whole boxes of `buffer`, and where the first incomplete one starts: a
    /// recording cut off mid-write ends in a box that is not all there.
    public static func parseWhole(_ buffer: ByteBuffer) -> (boxes: [Box], end: Int) {
        var boxes: [Box] = []
        var rest = buffer
        while rest.readableBytes > 0 {
            let at = buffer.readableBytes - rest.readableBytes
            var attempt = rest
            guard let box = try? next(&attempt, at: at) else { return (boxes, at) }
            rest = attempt
            boxes.append(box)
        }
        return (boxes, buffer.readableBytes)
    }

    private static func next(_ rest: inout ByteBuffer, at: Int) throws -> Box {
        guard let size32 = rest.getInteger(at: rest.readerIndex, as: UInt32.self),
            let type = rest.getInteger(at: rest.readerIndex + 4, as: UInt32.self)
        else { throw ContainerError.truncatedBox(type: FourCC(rawValue: 0), at: at, size: 8, available: rest.readableBytes) }
        var header = 8
        var size = UInt64(size32)
        if size32 == 1 {
            guard let large = rest.getInteger(at: rest.readerIndex + 8, as: UInt64.self) else {
                throw ContainerError.truncatedBox(type: FourCC(rawValue: type), at: at, size: 16, available: rest.readableBytes)
            }
            size = large
            header = 16
        } else if size32 == 0 {
            size = UInt64(rest.readableBytes)  // to the end of the file (§4.2)
        }
        guard size >= UInt64(header) else { throw ContainerError.badBoxSize(at: at, size: size) }
        guard size <= UInt64(rest.readableBytes) else {
            throw ContainerError.truncatedBox(type: FourCC(rawValue: type), at: at, size: size, available: rest.readableBytes)
        }
        let body = rest.getSlice(at: rest.readerIndex + header, length: Int(size) - header)!
        rest.moveReaderIndex(forwardBy: Int(size))
        return Box(type: FourCC(rawValue: type), offset: at, size: Int(size), body: body)
    }

    /// The boxes inside a container box.
    public func children() throws -> [Box] {
        try Box.parse(body, base: offset + (size - body.readableBytes))
    }

    /// The first child of `type`, searched along a path of containers.
    public func child(_ path: FourCC...) throws -> Box? {
        var current: Box? = self
        for type in path {
            current = try current?.children().first { $0.type == type }
        }
        return current
    }

    /// A full box's version, flags and the body after them.
    public func fullBox() throws -> (version: UInt8, flags: UInt32, body: ByteBuffer) {
        var body = self.body
        guard let word = body.readInteger(as: UInt32.self) else { throw ContainerError.malformed(type, "no version and flags") }
        return (UInt8(word >> 24), word & 0x00FF_FFFF, body)
    }
}
