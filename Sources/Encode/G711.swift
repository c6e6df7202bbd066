/// ITU-T G.711 companding: 16-bit linear PCM to 8-bit µ-law or A-law and back.
///
/// Encoding goes through 64 Ki-entry tables built once from the segment algorithms of the
/// Recommendation, so a sample costs one load.
public enum G711 {
    /// µ-law bias (33 × 4): shifts the input so every segment boundary is a power of two.
    static let muLawBias: Int32 = 0x84
    /// Largest magnitude µ-law can represent after the bias is added (8159 × 4 − bias).
    static let muLawClip: Int32 = 32635

    static let muLawTable: [UInt8] = (0..<65536).map { computeMuLaw(Int16(truncatingIfNeeded: $0)) }
    static let aLawTable: [UInt8] = (0..<65536).map { computeALaw(Int16(truncatingIfNeeded: $0)) }

    public static func muLaw(_ sample: Int16) -> UInt8 {
        muLawTable[Int(UInt16(bitPattern: sample))]
    }

    public static func aLaw(_ sample: Int16) -> UInt8 {
        aLawTable[Int(UInt16(bitPattern: sample))]
    }

    /// G.711 µ-law: sign, 3-bit segment (exponent), 4-bit step, all bits inverted.
    static func computeMuLaw(_ sample: Int16) -> UInt8 {
        var value = Int32(sample)
        let sign: Int32 = value < 0 ? 0x80 : 0
        if value < 0 { value = -value }
        value = min(value, muLawClip) + muLawBias
        var exponent: Int32 = 7
        var mask: Int32 = 0x4000
        while exponent > 0 && value & mask == 0 {
            exponent -= 1
            mask >>= 1
        }
        let mantissa = (value >> (exponent + 3)) & 0x0F
        return UInt8(truncatingIfNeeded: ~(sign | (exponent << 4) | mantissa))
    }

    public static func decodeMuLaw(_ byte: UInt8) -> Int16 {
        let u = Int32(~byte & 0xFF)
        let exponent = (u >> 4) & 0x07
        let mantissa = u & 0x0F
        let magnitude = (((mantissa << 3) + muLawBias) << exponent) - muLawBias
        return Int16(u & 0x80 != 0 ? -magnitude : magnitude)
    }

    /// G.711 A-law on the 13-bit magnitude: segment and 4-bit step, even bits inverted (0x55).
    static func computeALaw(_ sample: Int16) -> UInt8 {
        var value = Int32(sample) >> 3
        let mask: Int32
        if value >= 0 {
            mask = 0xD5
        } else {
            mask = 0x55
            value = -value - 1
        }
        // Segment ends of the 13-bit magnitude.
        let segmentEnds: [Int32] = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF]
        guard let segment = segmentEnds.firstIndex(where: { value <= $0 }) else {
            return UInt8(truncatingIfNeeded: 0x7F ^ mask)
        }
        var encoded = Int32(segment) << 4
        encoded |= segment < 2 ? (value >> 1) & 0x0F : (value >> Int32(segment)) & 0x0F
        return UInt8(truncatingIfNeeded: encoded ^ mask)
    }

    public static func decodeALaw(_ byte: UInt8) -> Int16 {
        let a = Int32(byte ^ 0x55)
        var t = (a & 0x0F) << 4
        let segment = (a & 0x70) >> 4
        switch segment {
        case 0: t += 8
        case 1: t += 0x108
        default:
            t += 0x108
            t <<= segment - 1
        }
        return Int16(a & 0x80 != 0 ? t : -t)
    }
}
