import MediaCore

/// Draws the synthetic pictures. The background is computed once and copied for each picture,
/// so a 1280x720 picture costs a memcpy and a small box even in a debug build.
struct SyntheticPicture {
    let settings: SyntheticVideoSettings
    let background: [UInt8]
    let white: [UInt8]
    private var random: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// The darkest and brightest background luma: the mean stays far below the sync-mark
    /// threshold of 160 whatever the box does.
    static let backgroundLuma: ClosedRange<Int> = 16...110
    static let boxLuma: UInt8 = 200

    init(settings: SyntheticVideoSettings) {
        self.settings = settings
        let w = settings.width
        let h = settings.height
        let cw = (w + 1) / 2
        let ch = (h + 1) / 2
        var bytes = [UInt8](repeating: 0, count: PixelFormat.i420.frameSize(width: w, height: h))
        // Luma: a horizontal gradient, a little brighter towards the bottom.
        let span = Self.backgroundLuma.upperBound - Self.backgroundLuma.lowerBound
        for y in 0..<h {
            for x in 0..<w {
                let value = Self.backgroundLuma.lowerBound + (span * (x * 3 + y) / (3 * w + h))
                bytes[y * w + x] = UInt8(value)
            }
        }
        // Chroma: eight dim colour bars.
        let bars: [(UInt8, UInt8)] = [(128, 128), (100, 140), (150, 100), (110, 110), (140, 150), (100, 170), (160, 120), (128, 128)]
        for y in 0..<ch {
            for x in 0..<cw {
                let bar = bars[min(x * bars.count / max(cw, 1), bars.count - 1)]
                bytes[w * h + y * cw + x] = bar.0
                bytes[w * h + cw * ch + y * cw + x] = bar.1
            }
        }
        background = bytes
        var whiteBytes = [UInt8](repeating: 128, count: bytes.count)
        for i in 0..<(w * h) { whiteBytes[i] = 255 }
        white = whiteBytes
    }

    mutating func frame(index: UInt64, epoch: MediaInstant) -> RawFrame {
        let instant = SyntheticVideoSource.instant(of: index, settings: settings, epoch: epoch)
        let bytes: [UInt8]
        if SyntheticVideoSource.isSyncMark(index, settings: settings) {
            bytes = white
        } else {
            switch settings.pattern {
            case .moving: bytes = moving(index: index)
            case .noise: bytes = noise()
            }
        }
        return RawFrame(format: .i420, width: settings.width, height: settings.height, bytes: bytes, instant: instant, sequence: index)
    }

    /// The background with a bright box that crosses the picture in four seconds, and a strip
    /// of blocks that counts pictures in binary (so consecutive pictures always differ).
    private func moving(index: UInt64) -> [UInt8] {
        var bytes = background
        let w = settings.width
        let h = settings.height
        let box = max(8, min(w, h) / 8) & ~1
        let travel = max(1, w - box)
        let stepsPerCrossing = UInt64(max(1, settings.frameRate * 4))
        let phase = Int(index % (2 * stepsPerCrossing))
        let position = phase < Int(stepsPerCrossing) ? phase : 2 * Int(stepsPerCrossing) - phase
        let left = travel * position / Int(stepsPerCrossing)
        let top = (h - box) / 2
        bytes.withUnsafeMutableBufferPointer { p in
            for y in top..<(top + box) {
                let row = p.baseAddress! + y * w + left
                row.update(repeating: Self.boxLuma, count: box)
            }
            // 16 blocks of the picture counter along the top edge.
            let block = max(2, w / 32)
            for bit in 0..<16 where block * (bit + 1) <= w {
                let on = (index >> UInt64(bit)) & 1 == 1
                for y in 0..<min(block, h) {
                    (p.baseAddress! + y * w + bit * block).update(repeating: on ? 180 : 40, count: block)
                }
            }
        }
        return bytes
    }

    /// Fresh noise: luma in 16…143, chroma in 64…191, from xorshift64 eight bytes at a time.
    private mutating func noise() -> [UInt8] {
        let size = PixelFormat.i420.frameSize(width: settings.width, height: settings.height)
        let luma = settings.width * settings.height
        var state = random
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            let base = UnsafeMutableRawPointer(buffer.baseAddress!)
            let words = size / 8
            for i in 0..<words {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                let offset = i * 8
                let value = offset < luma
                    ? (state & 0x7F7F_7F7F_7F7F_7F7F) + 0x1010_1010_1010_1010
                    : (state & 0x7F7F_7F7F_7F7F_7F7F) + 0x4040_4040_4040_4040
                base.storeBytes(of: value, toByteOffset: offset, as: UInt64.self)
            }
            for i in (words * 8)..<size { buffer[i] = 128 }
            count = size
        }
        random = state
        return bytes
    }
}
