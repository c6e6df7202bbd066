/// Pixel layouts Vigil captures or encodes. Planes are stored tightly, one after another,
/// with no row padding.
public enum PixelFormat: String, Sendable, Hashable, CaseIterable {
    /// Planar 4:2:0: Y plane, then U (Cb), then V (Cr) at half width and half height.
    case i420
    /// Packed 4:2:2: Y0 U Y1 V per pair of pixels (V4L2_PIX_FMT_YUYV).
    case yuyv
    /// Semi-planar 4:2:0: Y plane, then interleaved U V at half height (V4L2_PIX_FMT_NV12).
    case nv12

    /// Bytes in one picture of this format.
    public func frameSize(width: Int, height: Int) -> Int {
        switch self {
        case .i420, .nv12:
            return width * height + 2 * (((width + 1) / 2) * ((height + 1) / 2))
        case .yuyv:
            return ((width + 1) / 2) * 2 * height * 2
        }
    }
}

/// One uncompressed picture with the instant it was captured.
public struct RawFrame: Sendable {
    public var format: PixelFormat
    public var width: Int
    public var height: Int
    /// The picture's planes, tightly packed (see `PixelFormat`).
    public var bytes: [UInt8]
    /// When the picture was captured, on the media clock.
    public var instant: MediaInstant
    /// The source's frame counter: gaps mean frames were dropped before this point.
    public var sequence: UInt64

    public init(format: PixelFormat, width: Int, height: Int, bytes: [UInt8], instant: MediaInstant, sequence: UInt64) {
        self.format = format
        self.width = width
        self.height = height
        self.bytes = bytes
        self.instant = instant
        self.sequence = sequence
    }
}
