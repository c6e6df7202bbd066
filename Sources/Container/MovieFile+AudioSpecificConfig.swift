import NIOCore

extension MovieFile {
    /// AAC's AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1) out of the body of an `esds` codec
    /// box (`TrackDescription.CodecBox.body` of an `mp4a` track, version and flags first): the
    /// DecoderSpecificInfo of a stream whose objectTypeIndication is MPEG-4 or MPEG-2 AAC.
    public static func audioSpecificConfig(esds: [UInt8]) throws -> [UInt8] {
        let descriptor = try ElementaryStreamDescriptor(parsing: ByteBuffer(bytes: esds))
        guard ElementaryStreamDescriptor.audioObjectTypes.contains(descriptor.objectTypeIndication) else {
            throw ContainerError.unsupported("esds objectTypeIndication 0x\(String(descriptor.objectTypeIndication, radix: 16))")
        }
        guard !descriptor.decoderSpecificInfo.isEmpty else {
            throw ContainerError.malformed("esds", "no AudioSpecificConfig (DecoderSpecificInfo)")
        }
        return descriptor.decoderSpecificInfo
    }
}
