import NIOCore

/// Helpers shared by the ServeWire tests.
extension ByteBuffer {
    init(bytes: [UInt8]) {
        self.init()
        self.writeBytes(bytes)
    }

    /// The readable bytes.
    var bytes: [UInt8] { getBytes(at: readerIndex, length: readableBytes) ?? [] }
}

/// A small deterministic generator (SplitMix64) for seeded random round trips: a failing seed
/// reproduces exactly and can become a named vector.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Real parameter sets from x264 core 164 (libx264 0.164.3095, Debian 12) via ffmpeg 5.1:
/// `-profile:v baseline -level 3.0`, 640×480, yuv420p.
enum X264Baseline {
    static let sps: [UInt8] = [
        0x67,  // NAL header: F=0, NRI=3, type 7 (SPS)
        0x42, 0xC0, 0x1E,  // profile_idc 66 (Baseline), constraint_set0+1, level_idc 30
        0xD9, 0x00, 0xA0, 0x3D, 0xB0, 0x11, 0x00, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x03, 0x00, 0x32, 0x0F, 0x16,
        0x2E, 0x48,
    ]
    static let pps: [UInt8] = [
        0x68,  // NAL header: F=0, NRI=3, type 8 (PPS)
        0xCB, 0x83, 0xCB, 0x20,
    ]
}
