import NIOCore

/// The AVCDecoderConfigurationRecord of an `avcC` box (ISO/IEC 14496-15 §5.3.3.1): the
/// stream's SPS and PPS, so that samples carry only picture data, each NAL unit behind a
/// 4-byte length (`lengthSizeMinusOne` = 3).
public struct AVCConfiguration: Hashable, Sendable {
    public var sequenceParameterSets: [[UInt8]]
    public var pictureParameterSets: [[UInt8]]
    public var profile: UInt8
    public var compatibility: UInt8
    public var level: UInt8
    /// From the SPS, for the fields the High profiles add (§5.3.3.1.2).
    public var chromaFormat: UInt8
    public var bitDepthLumaMinus8: UInt8
    public var bitDepthChromaMinus8: UInt8

    /// - Parameters: NAL units with their one-byte header (type 7 and type 8), no start code.
    public init(sps: [[UInt8]], pps: [[UInt8]]) throws {
        guard let first = sps.first, first.count >= 4, first[0] & 0x1F == 7 else {
            throw ContainerError.badParameterSets("no SPS (NAL type 7) of at least 4 bytes")
        }
        guard !pps.isEmpty, pps.allSatisfy({ !$0.isEmpty && $0[0] & 0x1F == 8 }) else {
            throw ContainerError.badParameterSets("no PPS (NAL type 8)")
        }
        guard sps.count < 32, pps.count < 256, (sps + pps).allSatisfy({ $0.count <= Int(UInt16.max) }) else {
            throw ContainerError.badParameterSets("too many or too long to describe")
        }
        sequenceParameterSets = sps
        pictureParameterSets = pps
        profile = first[1]
        compatibility = first[2]
        level = first[3]
        var reader = ExpGolombReader(rbsp: Self.rbsp(Array(first.dropFirst(4))))
        _ = try reader.unsigned()  // seq_parameter_set_id
        if Self.profilesWithChromaFormat.contains(profile) {
            let chroma = try reader.unsigned()
            if chroma == 3 { _ = try reader.bit() }  // separate_colour_plane_flag
            chromaFormat = UInt8(truncatingIfNeeded: chroma)
            bitDepthLumaMinus8 = UInt8(truncatingIfNeeded: try reader.unsigned())
            bitDepthChromaMinus8 = UInt8(truncatingIfNeeded: try reader.unsigned())
        } else {
            chromaFormat = 1
            bitDepthLumaMinus8 = 0
            bitDepthChromaMinus8 = 0
        }
    }

    /// H.264 §7.3.2.1.1: these profiles carry chroma_format_idc and bit depths in the SPS.
    static let profilesWithChromaFormat: Set<UInt8> = [100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]
    /// ISO/IEC 14496-15 §5.3.3.1.2: the record carries them for these.
    static let profilesWithExtension: Set<UInt8> = [100, 110, 122, 144]

    /// The body of the `avcC` box.
    public func write(into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(1))
        buffer.writeInteger(profile)
        buffer.writeInteger(compatibility)
        buffer.writeInteger(level)
        buffer.writeInteger(UInt8(0xFC | 3))
        buffer.writeInteger(UInt8(0xE0 | sequenceParameterSets.count))
        for sps in sequenceParameterSets {
            buffer.writeInteger(UInt16(sps.count))
            buffer.writeBytes(sps)
        }
        buffer.writeInteger(UInt8(pictureParameterSets.count))
        for pps in pictureParameterSets {
            buffer.writeInteger(UInt16(pps.count))
            buffer.writeBytes(pps)
        }
        if Self.profilesWithExtension.contains(profile) {
            buffer.writeInteger(UInt8(0xFC | chromaFormat & 3))
            buffer.writeInteger(UInt8(0xF8 | bitDepthLumaMinus8 & 7))
            buffer.writeInteger(UInt8(0xF8 | bitDepthChromaMinus8 & 7))
            buffer.writeInteger(UInt8(0))
        }
    }

    /// Reads the body of an `avcC` box.
    public init(parsing body: ByteBuffer) throws {
        var body = body
        func byte() throws -> UInt8 {
            guard let value = body.readInteger(as: UInt8.self) else { throw ContainerError.malformed("avcC", "cut short") }
            return value
        }
        func sets(_ count: Int) throws -> [[UInt8]] {
            try (0..<count).map { _ in
                guard let length = body.readInteger(as: UInt16.self), let bytes = body.readBytes(length: Int(length)) else {
                    throw ContainerError.malformed("avcC", "a parameter set cut short")
                }
                return bytes
            }
        }
        guard try byte() == 1 else { throw ContainerError.unsupported("avcC configurationVersion other than 1") }
        _ = try byte()
        _ = try byte()
        _ = try byte()
        guard try byte() & 3 == 3 else { throw ContainerError.unsupported("NAL lengths of other than 4 bytes") }
        let sps = try sets(Int(try byte() & 0x1F))
        let pps = try sets(Int(try byte()))
        try self.init(sps: sps, pps: pps)
    }

    /// The RBSP of a NAL unit's payload: emulation-prevention bytes (0x000003) removed (§7.4.1).
    static func rbsp(_ payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(payload.count)
        var zeros = 0
        for byte in payload {
            if zeros >= 2 && byte == 3 {
                zeros = 0
                continue
            }
            zeros = byte == 0 ? zeros + 1 : 0
            out.append(byte)
        }
        return out
    }
}

/// Exp-Golomb codes, H.264 §9.1.
struct ExpGolombReader {
    let bytes: [UInt8]
    var position = 0

    init(rbsp: [UInt8]) {
        bytes = rbsp
    }

    mutating func bit() throws -> UInt32 {
        guard position < bytes.count * 8 else { throw ContainerError.badParameterSets("SPS cut short") }
        defer { position += 1 }
        return UInt32(bytes[position / 8] >> (7 - position % 8) & 1)
    }

    mutating func unsigned() throws -> UInt32 {
        var zeros = 0
        while try bit() == 0 {
            zeros += 1
            guard zeros < 32 else { throw ContainerError.badParameterSets("an Exp-Golomb code longer than 32 bits") }
        }
        var value: UInt32 = 0
        for _ in 0..<zeros { value = value << 1 | (try bit()) }
        return (1 << zeros) - 1 + value
    }
}
