import NIOCore

/// The ES_Descriptor of an `esds` box (ISO/IEC 14496-14 §5.6.1: a full box, version 0, whose
/// body is one ES_Descriptor of ISO/IEC 14496-1 §7.2.6.5), as far as a decoder needs it: the
/// DecoderConfigDescriptor's object type and stream type (§7.2.6.6) and its
/// DecoderSpecificInfo (§7.2.6.7) — for AAC, the AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1).
///
/// Each descriptor is a tag byte, its size in the expandable form of §8.3.3 (1 to 4 bytes of
/// 7 bits each, the high bit set on every byte but the last), then that many bytes:
///
/// ```
/// ES_Descriptor, tag 0x03:
///    bit(16) ES_ID;
///    bit(1) streamDependenceFlag; bit(1) URL_Flag; bit(1) OCRstreamFlag; bit(5) streamPriority;
///    if (streamDependenceFlag) bit(16) dependsOn_ES_ID;
///    if (URL_Flag) { bit(8) URLlength; bit(8) URLstring[URLlength]; }
///    if (OCRstreamFlag) bit(16) OCR_ES_Id;
///    DecoderConfigDescriptor decConfigDescr; ...
/// DecoderConfigDescriptor, tag 0x04:
///    bit(8) objectTypeIndication;
///    bit(6) streamType; bit(1) upStream; const bit(1) reserved=1;
///    bit(24) bufferSizeDB; bit(32) maxBitrate; bit(32) avgBitrate;
///    DecoderSpecificInfo decSpecificInfo[0 .. 1];   // tag 0x05: the bytes are the codec's
///    ...
/// ```
public struct ElementaryStreamDescriptor: Hashable, Sendable {
    /// §7.2.6.6.2 Table 5 (the values registered at mp4ra.org): 0x40 is MPEG-4 Audio (AAC and
    /// its kin), 0x66–0x68 MPEG-2 AAC Main, LC and SSR; all have an AudioSpecificConfig.
    public static let audioObjectTypes: Set<UInt8> = [0x40, 0x66, 0x67, 0x68]

    public var objectTypeIndication: UInt8
    /// §7.2.6.6.2 Table 6: 0x05 is an audio stream.
    public var streamType: UInt8
    /// Empty when the DecoderConfigDescriptor has none.
    public var decoderSpecificInfo: [UInt8]

    /// Tags of §7.2.2.1 Table 1.
    static let elementaryStreamTag: UInt8 = 0x03
    static let decoderConfigTag: UInt8 = 0x04
    static let decoderSpecificInfoTag: UInt8 = 0x05
    /// DecoderConfigDescriptor's fields before the descriptors it contains.
    static let decoderConfigFields = 13

    /// Reads the body of an `esds` box: version and flags, then the ES_Descriptor.
    public init(parsing esds: ByteBuffer) throws {
        var body = esds
        guard let word = body.readInteger(as: UInt32.self) else { throw ContainerError.malformed("esds", "no version and flags") }
        guard word >> 24 == 0 else { throw ContainerError.unsupported("esds version \(word >> 24)") }
        guard var elementaryStream = try Self.descriptor(Self.elementaryStreamTag, in: &body) else {
            throw ContainerError.malformed("esds", "no ES_Descriptor")
        }
        guard elementaryStream.readableBytes >= 3 else { throw ContainerError.malformed("esds", "ES_Descriptor cut short") }
        elementaryStream.moveReaderIndex(forwardBy: 2)  // ES_ID
        let flags = elementaryStream.readInteger(as: UInt8.self)!
        var skip = flags & 0x80 != 0 ? 2 : 0  // dependsOn_ES_ID
        if flags & 0x40 != 0 {
            guard let length = elementaryStream.getInteger(at: elementaryStream.readerIndex + skip, as: UInt8.self) else {
                throw ContainerError.malformed("esds", "URL cut short")
            }
            skip += 1 + Int(length)
        }
        if flags & 0x20 != 0 { skip += 2 }  // OCR_ES_Id
        guard elementaryStream.readableBytes >= skip else { throw ContainerError.malformed("esds", "ES_Descriptor cut short") }
        elementaryStream.moveReaderIndex(forwardBy: skip)
        guard var decoderConfig = try Self.descriptor(Self.decoderConfigTag, in: &elementaryStream) else {
            throw ContainerError.malformed("esds", "no DecoderConfigDescriptor")
        }
        guard decoderConfig.readableBytes >= Self.decoderConfigFields else {
            throw ContainerError.malformed("esds", "DecoderConfigDescriptor cut short")
        }
        objectTypeIndication = decoderConfig.readInteger(as: UInt8.self)!
        streamType = decoderConfig.readInteger(as: UInt8.self)! >> 2
        decoderConfig.moveReaderIndex(forwardBy: Self.decoderConfigFields - 2)
        decoderSpecificInfo = try Self.descriptor(Self.decoderSpecificInfoTag, in: &decoderConfig).map { Array($0.readableBytesView) } ?? []
    }

    /// The payload of the first descriptor tagged `tag` among those in `buffer` (others before
    /// it are passed over), nil when there is none; throws when a size runs past what is there.
    static func descriptor(_ tag: UInt8, in buffer: inout ByteBuffer) throws -> ByteBuffer? {
        while let found = buffer.readInteger(as: UInt8.self) {
            var size = 0
            for index in 0..<4 {
                guard let byte = buffer.readInteger(as: UInt8.self) else { throw ContainerError.malformed("esds", "a descriptor size cut short") }
                size = size << 7 | Int(byte & 0x7F)
                if byte & 0x80 == 0 { break }
                guard index < 3 else { throw ContainerError.malformed("esds", "a descriptor size longer than 4 bytes") }
            }
            guard let payload = buffer.readSlice(length: size) else {
                throw ContainerError.malformed("esds", "descriptor 0x\(String(found, radix: 16)) of \(size) bytes in \(buffer.readableBytes)")
            }
            if found == tag { return payload }
        }
        return nil
    }
}
