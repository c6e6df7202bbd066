/// The fields of an H.263 picture header (ITU-T H.263 §5.1.1–5.1.3) that RFC 2190's mode A
/// header repeats: TR, the source format and the PTYPE option bits. Read from the first bytes
/// of a picture, which start with the byte-aligned picture start code.
public struct H263PictureHeader: Hashable, Sendable {
    public var temporalReference: UInt8
    /// PTYPE bits 6–8 (1 sub-QCIF … 5 16CIF, 7 extended PTYPE).
    public var sourceFormat: UInt8
    /// PTYPE bit 9: false = intra, true = inter. For an extended PTYPE, from MPPTYPE.
    public var isInter: Bool
    /// PTYPE bits 10–13: unrestricted vectors, arithmetic coding, advanced prediction, PB-frames.
    public var unrestrictedMotionVectors: Bool
    public var syntaxBasedArithmeticCoding: Bool
    public var advancedPrediction: Bool
    public var pbFrames: Bool

    /// The 22-bit PSC (`0000 0000 0000 0000 1000 00`) in its top bits.
    static let pictureStartCode: UInt32 = 0x0000_8000 >> 2
    /// Bits read: PSC 22, TR 8, PTYPE 13; an extended PTYPE has 8 bits of PTYPE, then UFEP 3,
    /// OPPTYPE 18 (with UFEP 001) and MPPTYPE 3.
    static let bitsNeeded = 43
    static let extendedBitsNeeded = 62

    /// Nil when `bytes` does not begin with a picture start code or is too short.
    public init?(_ bytes: [UInt8]) {
        guard bytes.count * 8 >= Self.bitsNeeded, bytes[0] == 0, bytes[1] == 0, bytes[2] & 0xFC == 0x80 else { return nil }
        func bits(_ start: Int, _ count: Int) -> Int {
            (start..<(start + count)).reduce(0) { ($0 << 1) | Int(bytes[$1 / 8] >> UInt8(7 - $1 % 8) & 1) }
        }
        temporalReference = UInt8(bits(22, 8))
        guard bits(30, 2) == 0b10 else { return nil }  // PTYPE bits 1–2
        sourceFormat = UInt8(bits(35, 3))
        if sourceFormat == 0b111 {
            guard bytes.count * 8 >= Self.extendedBitsNeeded else { return nil }
            // PLUSPTYPE: UFEP at 38; with UFEP 001 the 18-bit OPPTYPE precedes MPPTYPE.
            let ufep = bits(38, 3)
            let mpptype = ufep == 0b001 ? 41 + 18 : 41
            isInter = bits(mpptype, 3) != 0
            unrestrictedMotionVectors = ufep == 0b001 && bits(45, 1) == 1
            syntaxBasedArithmeticCoding = ufep == 0b001 && bits(46, 1) == 1
            advancedPrediction = ufep == 0b001 && bits(47, 1) == 1
            pbFrames = false
        } else {
            isInter = bits(38, 1) == 1
            unrestrictedMotionVectors = bits(39, 1) == 1
            syntaxBasedArithmeticCoding = bits(40, 1) == 1
            advancedPrediction = bits(41, 1) == 1
            pbFrames = bits(42, 1) == 1
        }
    }
}
