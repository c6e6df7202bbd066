/// The picture size an H.263 stream is coded at: one of the standard source formats of
/// ITU-T H.263 Table 1 (signalled in PTYPE bits 6–8), or a custom size signalled in the
/// H.263+ extended header (PLUSPTYPE, CPFMT — §5.1.4, §5.1.5).
public enum H263PictureFormat: Sendable, Hashable, CustomStringConvertible {
    case subQCIF
    case qcif
    case cif
    case cif4
    /// Width and height multiples of 16 (whole macroblocks), 16…2048 × 16…1152.
    case custom(width: Int, height: Int)

    /// Standard formats from the smallest, for `nearestStandard`.
    public static let standardFormats: [H263PictureFormat] = [.subQCIF, .qcif, .cif, .cif4]

    /// CPFMT's limits (§5.1.5): PWI and PHI are 9-bit counts of 4 pixels.
    public static let maximumCustomWidth = 2048
    public static let maximumCustomHeight = 1152

    public var width: Int {
        switch self {
        case .subQCIF: 128
        case .qcif: 176
        case .cif: 352
        case .cif4: 704
        case .custom(let width, _): width
        }
    }

    public var height: Int {
        switch self {
        case .subQCIF: 96
        case .qcif: 144
        case .cif: 288
        case .cif4: 576
        case .custom(_, let height): height
        }
    }

    /// PTYPE bits 6–8 (Table 6 of §5.1.3); nil for a custom size, which needs PLUSPTYPE.
    public var sourceFormatCode: UInt32? {
        switch self {
        case .subQCIF: 0b001
        case .qcif: 0b010
        case .cif: 0b011
        case .cif4: 0b100
        case .custom: nil
        }
    }

    public var isStandard: Bool { sourceFormatCode != nil }

    /// Macroblock rows per GOB (§5.2.1): one up to CIF, two for 4CIF; for custom sizes one
    /// up to 400 lines, two up to 800, four above.
    public var macroblockRowsPerGOB: Int {
        switch self {
        case .subQCIF, .qcif, .cif: 1
        case .cif4: 2
        case .custom(_, let height): height <= 400 ? 1 : height <= 800 ? 2 : 4
        }
    }

    public var description: String {
        switch self {
        case .subQCIF: "sub-QCIF"
        case .qcif: "QCIF"
        case .cif: "CIF"
        case .cif4: "4CIF"
        case .custom(let width, let height): "custom \(width)x\(height)"
        }
    }

    /// The standard format for exactly this size, else nil.
    public static func standard(width: Int, height: Int) -> H263PictureFormat? {
        standardFormats.first { $0.width == width && $0.height == height }
    }

    /// The largest standard format that fits inside `width`x`height` (sub-QCIF if none does):
    /// the picture is scaled down to it, never up.
    public static func nearestStandard(width: Int, height: Int) -> H263PictureFormat {
        standardFormats.last { $0.width <= width && $0.height <= height } ?? .subQCIF
    }

    /// The coded format for a source picture: its own size when it is a standard format or
    /// can be sent as a custom one (whole macroblocks, within CPFMT's limits); otherwise, with
    /// `allowCustom`, the size cut down to whole macroblocks (scaled); without it (RFC 2190
    /// knows only PTYPE's formats), the nearest standard format.
    public static func forSource(width: Int, height: Int, allowCustom: Bool) -> H263PictureFormat {
        if let standard = standard(width: width, height: height) { return standard }
        guard allowCustom else { return nearestStandard(width: width, height: height) }
        let w = min(maximumCustomWidth, width) / 16 * 16
        let h = min(maximumCustomHeight, height) / 16 * 16
        guard w >= 16, h >= 16 else { return .subQCIF }
        return standard(width: w, height: h) ?? .custom(width: w, height: h)
    }
}
