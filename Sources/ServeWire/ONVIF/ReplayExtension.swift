import NIOCore

/// The RTP header extension of ONVIF replay (ONVIF Streaming Specification §6.3): profile
/// 0xABAC, three words — the NTP time of the access unit (the recording's wall clock), then
/// one byte of flags and the low byte of the CSeq of the PLAY that started the stream, and two
/// bytes of padding.
///
/// ```
/// |      0xABAC                   |        length = 3             |
/// |                        NTP timestamp (64 bits)                |
/// |C|E|D|T| mbz   |     CSeq      |           padding             |
/// ```
/// C: the access unit is a clean point (a key frame). E: the last access unit of a
/// contiguous section (a gap in the recording follows). D: the first one after a
/// discontinuity (a gap, or a new PLAY). T: the last one of the whole presentation.
public struct ReplayExtension: Hashable, Sendable {
    public static let profile: UInt16 = 0xABAC
    public static let words: UInt16 = 3
    /// The extension header and its three words.
    public static let size = 4 + 12

    public var ntp: NTPTimestamp
    public var cleanPoint: Bool
    public var endOfSection: Bool
    public var discontinuity: Bool
    public var terminal: Bool
    public var cseq: UInt8

    public init(ntp: NTPTimestamp, cleanPoint: Bool, endOfSection: Bool = false, discontinuity: Bool = false, terminal: Bool = false, cseq: UInt8) {
        self.ntp = ntp
        self.cleanPoint = cleanPoint
        self.endOfSection = endOfSection
        self.discontinuity = discontinuity
        self.terminal = terminal
        self.cseq = cseq
    }

    var flags: UInt8 {
        (cleanPoint ? 0x80 : 0) | (endOfSection ? 0x40 : 0) | (discontinuity ? 0x20 : 0) | (terminal ? 0x10 : 0)
    }

    /// `packet` (an RTP packet without CSRCs or extension, as Vigil's packetizers make them)
    /// with this extension after its fixed header and the X bit set; nil for a packet that
    /// has CSRCs or an extension already.
    public func inserted(into packet: ByteBuffer, headroom: Int, allocator: ByteBufferAllocator) -> ByteBuffer? {
        guard packet.readableBytes >= RTPHeader.size, let first = packet.getInteger(at: packet.readerIndex, as: UInt8.self),
            first & 0x1F == 0
        else { return nil }
        var out = allocator.buffer(capacity: headroom + packet.readableBytes + Self.size)
        out.moveWriterIndex(to: headroom)
        out.moveReaderIndex(to: headroom)
        out.writeInteger(first | 0x10)
        out.writeImmutableBuffer(packet.getSlice(at: packet.readerIndex + 1, length: RTPHeader.size - 1)!)
        out.writeInteger(Self.profile)
        out.writeInteger(Self.words)
        out.writeInteger(ntp.rawValue)
        out.writeInteger(flags)
        out.writeInteger(cseq)
        out.writeInteger(UInt16(0))
        out.writeImmutableBuffer(packet.getSlice(at: packet.readerIndex + RTPHeader.size, length: packet.readableBytes - RTPHeader.size)!)
        return out
    }

    /// The extension of an RTP packet, if it carries this one.
    public init?(packet: ByteBuffer) {
        guard let first = packet.getInteger(at: packet.readerIndex, as: UInt8.self), first & 0x10 != 0 else { return nil }
        let at = packet.readerIndex + RTPHeader.size + 4 * Int(first & 0x0F)
        guard let profile = packet.getInteger(at: at, as: UInt16.self), profile == Self.profile,
            let words = packet.getInteger(at: at + 2, as: UInt16.self), words >= Self.words,
            let ntp = packet.getInteger(at: at + 4, as: UInt64.self),
            let flags = packet.getInteger(at: at + 12, as: UInt8.self), let cseq = packet.getInteger(at: at + 13, as: UInt8.self)
        else { return nil }
        self.init(
            ntp: NTPTimestamp(seconds: UInt32(ntp >> 32), fraction: UInt32(truncatingIfNeeded: ntp)), cleanPoint: flags & 0x80 != 0, endOfSection: flags & 0x40 != 0,
            discontinuity: flags & 0x20 != 0, terminal: flags & 0x10 != 0, cseq: cseq)
    }
}
