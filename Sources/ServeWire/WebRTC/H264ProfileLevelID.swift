/// The profile-level-id of H.264 SDP — RFC 6184 §8.1: three bytes in hex, profile_idc,
/// profile-iop (constraint_set0…5 flags and two reserved zero bits) and level_idc, as in
/// bytes 1…3 of the SPS. Used to decide whether a stream we send fits a format a receiver
/// offered (RFC 6184 §8.2.2).
public struct H264ProfileLevelID: Hashable, Sendable {
    public var profileIDC: UInt8
    public var profileIOP: UInt8
    public var levelIDC: UInt8

    public init(profileIDC: UInt8, profileIOP: UInt8, levelIDC: UInt8) {
        self.profileIDC = profileIDC
        self.profileIOP = profileIOP
        self.levelIDC = levelIDC
    }

    /// Six hex digits, either case; nil otherwise.
    public init?(_ text: some StringProtocol) {
        let utf8 = Array(text.utf8)
        guard utf8.count == 6 else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: 6, by: 2) {
            guard let high = Self.hexValue(utf8[index]), let low = Self.hexValue(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        self.init(profileIDC: bytes[0], profileIOP: bytes[1], levelIDC: bytes[2])
    }

    /// Lower-case hex, as we write it.
    public var hex: String {
        let digits = Array("0123456789abcdef")
        return String([profileIDC, profileIOP, levelIDC].flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] })
    }

    /// The named profiles a WebRTC peer distinguishes. Several (profile_idc, profile-iop)
    /// pairs name one profile: RFC 6184 §8.1 — "constrained baseline" is Baseline with
    /// constraint_set1 (42 x1xx0000), or Main / Extended streams that also obey Baseline's
    /// constraints (4D 1xxx0000, 58 11xx0000). The same table as libwebrtc's
    /// `h264_profile_level_id.cc`, so that we call equal what browsers call equal.
    public enum Profile: String, Hashable, Sendable {
        case constrainedBaseline = "constrained baseline"
        case baseline
        case main
        case high
        case constrainedHigh = "constrained high"
        case predictiveHigh444 = "high 4:4:4 predictive"
    }

    /// (profile_idc, mask of the profile-iop bits that matter, their value, profile). Bits
    /// are constraint_set0 (MSB) … constraint_set5, then two reserved bits.
    private static let patterns: [(idc: UInt8, mask: UInt8, value: UInt8, profile: Profile)] = [
        (0x42, 0b0100_1111, 0b0100_0000, .constrainedBaseline),  // x1xx0000
        (0x4D, 0b1000_1111, 0b1000_0000, .constrainedBaseline),  // 1xxx0000
        (0x58, 0b1100_1111, 0b1100_0000, .constrainedBaseline),  // 11xx0000
        (0x42, 0b0100_1111, 0b0000_0000, .baseline),  // x0xx0000
        (0x58, 0b1100_1111, 0b1000_0000, .baseline),  // 10xx0000
        (0x4D, 0b1010_1111, 0b0000_0000, .main),  // 0x0x0000
        (0x64, 0b1111_1111, 0b0000_0000, .high),  // 00000000
        (0x64, 0b1111_1111, 0b0000_1100, .constrainedHigh),  // 00001100
        (0xF4, 0b1111_1111, 0b0000_0000, .predictiveHigh444),  // 00000000
    ]

    /// The named profile, or nil for a combination the table does not name (then only the
    /// identical bytes match).
    public var profile: Profile? {
        Self.patterns.first { $0.idc == profileIDC && profileIOP & $0.mask == $0.value }?.profile
    }

    /// A number that orders levels: level_idc × 2, with level 1b (H.264 Table A-1: level_idc
    /// 11 with constraint_set3 in Baseline, Main and Extended; level_idc 9 elsewhere) between
    /// 1 and 1.1.
    public var levelRank: Int {
        let isOneB = levelIDC == 9
            || (levelIDC == 11 && profileIOP & 0x10 != 0 && [0x42, 0x4D, 0x58].contains(profileIDC))
        return isOneB ? 21 : Int(levelIDC) * 2
    }

    /// True when a stream of `self`'s profile is the profile `other` names (RFC 6184 §8.2.2:
    /// the profile part of profile-level-id is used symmetrically; the level is not).
    public func hasSameProfile(as other: H264ProfileLevelID) -> Bool {
        if profileIDC == other.profileIDC && profileIOP == other.profileIOP { return true }
        guard let mine = profile, let theirs = other.profile else { return false }
        return mine == theirs
    }

    /// "High 640028"-style text for error messages.
    public var summary: String { "\(profile?.rawValue ?? "profile") \(hex)" }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
