/// H.264 NAL unit header fields and the RTP payload-structure types — RFC 6184 §1.3, §5.2.
///
/// ```
/// +---------------+
/// |0|1|2|3|4|5|6|7|
/// +-+-+-+-+-+-+-+-+
/// |F|NRI|  Type   |
/// +---------------+
/// ```
enum H264NALUnit {
    static let forbiddenBitMask: UInt8 = 0x80
    static let nriMask: UInt8 = 0x60
    static let typeMask: UInt8 = 0x1F

    /// RFC 6184 Table 1: payload structures by NAL unit type.
    /// 1–23: a single NAL unit packet carries the NAL unit itself.
    static let singleNALUnitTypes: ClosedRange<UInt8> = 1...23
    /// Single-time aggregation packet, type A (no DON).
    static let stapA: UInt8 = 24
    /// Fragmentation unit, type A (no DON).
    static let fuA: UInt8 = 28

    static func type(_ header: UInt8) -> UInt8 { header & typeMask }
}
