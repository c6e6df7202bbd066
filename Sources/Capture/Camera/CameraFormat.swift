/// A pixel format a camera offers, by its V4L2 FourCC.
public struct CameraPixelFormat: Hashable, Sendable, CustomStringConvertible {
    public var fourcc: UInt32

    public init(fourcc: UInt32) {
        self.fourcc = fourcc
    }

    public init(_ code: String) {
        let bytes = Array(code.utf8) + [32, 32, 32, 32]
        fourcc = UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24
    }

    public static let yuyv = CameraPixelFormat("YUYV")
    public static let nv12 = CameraPixelFormat("NV12")
    /// V4L2_PIX_FMT_YUV420: planar I420.
    public static let yuv420 = CameraPixelFormat("YU12")
    public static let mjpeg = CameraPixelFormat("MJPG")

    /// Vigil's preference: raw formats the encoder converts cheaply first, then MJPEG (which
    /// libv4l2 decodes to YU12 for us, at a CPU cost).
    public static let preference: [CameraPixelFormat] = [.yuyv, .nv12, .yuv420, .mjpeg]

    public var description: String {
        var bytes: [UInt8] = []
        for shift: UInt32 in [0, 8, 16, 24] {
            let byte = UInt8(truncatingIfNeeded: fourcc >> shift)
            if byte != 0x20 && byte != 0 { bytes.append(byte) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// One frame size and the rates a camera offers at it.
public struct CameraMode: Hashable, Sendable {
    public var width: Int
    public var height: Int
    /// Frames per second offered at this size, highest first (empty when the driver does not say).
    public var frameRates: [Double]

    public init(width: Int, height: Int, frameRates: [Double]) {
        self.width = width
        self.height = height
        self.frameRates = frameRates
    }
}

/// A format with the modes offered in it. `isEmulated` marks formats libv4l2 converts to
/// from what the hardware gives (e.g. YU12 from MJPEG).
public struct CameraFormat: Hashable, Sendable {
    public var pixelFormat: CameraPixelFormat
    public var description: String
    public var isEmulated: Bool
    public var modes: [CameraMode]

    public init(pixelFormat: CameraPixelFormat, description: String, isEmulated: Bool, modes: [CameraMode]) {
        self.pixelFormat = pixelFormat
        self.description = description
        self.isEmulated = isEmulated
        self.modes = modes
    }
}

/// A capture device as discovery found it.
public struct CameraInfo: Hashable, Sendable {
    public var path: String
    public var driver: String
    public var card: String
    public var bus: String
    public var formats: [CameraFormat]

    public init(path: String, driver: String, card: String, bus: String, formats: [CameraFormat]) {
        self.path = path
        self.driver = driver
        self.card = card
        self.bus = bus
        self.formats = formats
    }
}
