/// What a player of an H.264 elementary stream needs from its sequence parameter set (ITU-T
/// H.264 §7.3.2.1.1 and Annex E.1.1): the picture size and, when the VUI has timing, the
/// frame rate. Everything else is read past, never used.
struct H264SequenceParameters {
    var width: Int
    var height: Int
    /// time_scale / (2 × num_units_in_tick) when timing_info_present_flag is set (E.2.1: a
    /// frame is two field ticks); nil otherwise.
    var frameRate: Double?
    /// What a slice header needs to be read up to pic_order_cnt_lsb (§7.3.3).
    var log2MaxFrameNum = 4
    var pictureOrderCountType = 0
    var log2MaxPictureOrderCountLSB = 4
    var frameMBsOnly = true
    var separateColourPlane = false

    /// Nil when `nal` (the NAL unit with its header byte) is no SPS or is cut short.
    init?(_ nal: [UInt8]) {
        guard nal.count > 4, nal[0] & 0x1F == 7 else { return nil }
        var bits = ExpGolombReader(Self.removingEmulationPrevention(nal.dropFirst()))
        guard let profile = bits.bits(8), bits.bits(16) != nil, bits.ue() != nil else { return nil }  // constraints+level, sps id
        var chromaFormat = 1
        if [100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135].contains(profile) {
            guard let format = bits.ue() else { return nil }
            chromaFormat = format
            if format == 3 {
                guard let separate = bits.bits(1) else { return nil }
                separateColourPlane = separate == 1
            }
            guard bits.ue() != nil, bits.ue() != nil, bits.bits(1) != nil, let scaling = bits.bits(1) else { return nil }
            if scaling == 1 {
                for list in 0..<(format == 3 ? 12 : 8) {
                    guard let present = bits.bits(1) else { return nil }
                    if present == 1 {
                        // §7.3.2.1.1.1 scaling_list: delta_scale se(v) until next is 0.
                        let size = list < 6 ? 16 : 64
                        var last = 8
                        var next = 8
                        for _ in 0..<size where next != 0 {
                            guard let delta = bits.se() else { return nil }
                            next = (last + delta + 256) % 256
                            if next != 0 { last = next }
                        }
                    }
                }
            }
        }
        guard let frameNumBits = bits.ue(), frameNumBits <= 12, let pocType = bits.ue() else { return nil }
        log2MaxFrameNum = frameNumBits + 4
        pictureOrderCountType = pocType
        if pocType == 0 {
            guard let lsbBits = bits.ue(), lsbBits <= 12 else { return nil }
            log2MaxPictureOrderCountLSB = lsbBits + 4
        } else if pocType == 1 {
            guard bits.bits(1) != nil, bits.se() != nil, bits.se() != nil, let cycle = bits.ue(), cycle < 256 else { return nil }
            for _ in 0..<cycle { guard bits.se() != nil else { return nil } }
        }
        guard bits.ue() != nil, bits.bits(1) != nil, let widthInMBs = bits.ue(), let heightInMapUnits = bits.ue(),
            let frameMBsOnly = bits.bits(1)
        else { return nil }
        self.frameMBsOnly = frameMBsOnly == 1
        if frameMBsOnly == 0 { guard bits.bits(1) != nil else { return nil } }
        guard bits.bits(1) != nil, let cropping = bits.bits(1) else { return nil }
        var crop = (left: 0, right: 0, top: 0, bottom: 0)
        if cropping == 1 {
            guard let l = bits.ue(), let r = bits.ue(), let t = bits.ue(), let b = bits.ue() else { return nil }
            crop = (l, r, t, b)
        }
        let cropX = chromaFormat == 1 || chromaFormat == 2 ? 2 : 1
        let cropY = (chromaFormat == 1 ? 2 : 1) * (2 - frameMBsOnly)
        width = (widthInMBs + 1) * 16 - cropX * (crop.left + crop.right)
        height = (2 - frameMBsOnly) * (heightInMapUnits + 1) * 16 - cropY * (crop.top + crop.bottom)
        guard width > 0, height > 0, width <= 16384, height <= 16384 else { return nil }
        frameRate = nil
        guard let vui = bits.bits(1), vui == 1 else { return }
        // E.1.1 up to timing_info_present_flag.
        guard let aspect = bits.bits(1) else { return }
        if aspect == 1 {
            guard let idc = bits.bits(8) else { return }
            if idc == 255 { guard bits.bits(32) != nil else { return } }
        }
        guard let overscan = bits.bits(1) else { return }
        if overscan == 1 { guard bits.bits(1) != nil else { return } }
        guard let signal = bits.bits(1) else { return }
        if signal == 1 {
            guard bits.bits(4) != nil, let colour = bits.bits(1) else { return }
            if colour == 1 { guard bits.bits(24) != nil else { return } }
        }
        guard let chromaLocation = bits.bits(1) else { return }
        if chromaLocation == 1 { guard bits.ue() != nil, bits.ue() != nil else { return } }
        guard let timing = bits.bits(1), timing == 1, let units = bits.bits(32), let scale = bits.bits(32), units > 0, scale > 0 else { return }
        let rate = Double(scale) / Double(2 * units)
        if rate >= 1 && rate <= 240 { frameRate = rate }
    }

    /// A slice's pic_order_cnt_lsb (§7.3.3), for pictures of order-count type 0; nil for other
    /// types or a header cut short. `nal` starts with the NAL header byte.
    func pictureOrderCountLSB(slice nal: [UInt8]) -> Int? {
        guard pictureOrderCountType == 0, let header = nal.first else { return nil }
        var bits = ExpGolombReader(Self.removingEmulationPrevention(nal.dropFirst()))
        guard bits.ue() != nil, bits.ue() != nil, bits.ue() != nil else { return nil }  // first_mb, slice_type, pps id
        if separateColourPlane { guard bits.bits(2) != nil else { return nil } }
        guard bits.bits(log2MaxFrameNum) != nil else { return nil }
        if !frameMBsOnly {
            guard let field = bits.bits(1) else { return nil }
            if field == 1 { guard bits.bits(1) != nil else { return nil } }
        }
        if header & 0x1F == 5 { guard bits.ue() != nil else { return nil } }  // idr_pic_id
        return bits.bits(log2MaxPictureOrderCountLSB)
    }

    /// §7.4.1: `00 00 03` stands for `00 00` in the NAL unit's payload.
    static func removingEmulationPrevention(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var zeros = 0
        for byte in bytes {
            if zeros >= 2 && byte == 3 {
                zeros = 0
                continue
            }
            out.append(byte)
            zeros = byte == 0 ? zeros + 1 : 0
        }
        return out
    }
}

/// Fixed-length and Exp-Golomb codes (H.264 §9.1), most significant bit first.
struct ExpGolombReader {
    let bytes: [UInt8]
    var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func bits(_ count: Int) -> Int? {
        guard count <= 32, position + count <= bytes.count * 8 else { return nil }
        var value = 0
        for _ in 0..<count {
            value = value << 1 | Int(bytes[position >> 3] >> (7 - UInt8(position & 7)) & 1)
            position += 1
        }
        return value
    }

    mutating func ue() -> Int? {
        var zeros = 0
        while true {
            guard let bit = bits(1) else { return nil }
            if bit == 1 { break }
            zeros += 1
            if zeros > 31 { return nil }
        }
        guard let rest = bits(zeros) else { return nil }
        return (1 << zeros) - 1 + rest
    }

    mutating func se() -> Int? {
        guard let code = ue() else { return nil }
        return code & 1 == 1 ? (code + 1) / 2 : -(code / 2)
    }
}
