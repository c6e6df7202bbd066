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
