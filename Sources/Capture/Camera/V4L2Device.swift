import CV4L2
import Foundation

/// One open V4L2 node, through libv4l2 (which adds converted formats such as YU12 from
/// MJPEG). Owns the descriptor; every ioctl goes through `control`, which retries EINTR in
/// one place and throws errors that carry the call's name and errno.
final class V4L2Device {
    let path: String
    let fd: Int32

    init(path: String) throws(CameraError) {
        let fd = vigil_v4l2_open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            switch errno {
            case ENOENT, ENODEV, ENXIO: throw .noDevice(path: path)
            case EBUSY: throw .busy(path: path)
            // libv4l2 asks for the capabilities while opening: a node that is no V4L2 device.
            case ENOTTY, EINVAL: throw .notACaptureDevice(path: path, card: "not a V4L2 device")
            default: throw .call("open(\(path))", errno: errno)
            }
        }
        self.path = path
        self.fd = fd
    }

    deinit {
        v4l2_close(fd)
    }

    /// Calls `ioctl(request)` on `value`, retrying on EINTR. Returns errno on failure so the
    /// caller can tell "end of enumeration" (EINVAL) from a real error.
    @discardableResult
    func control<T>(_ request: UInt, _ value: inout T) -> Int32 {
        while true {
            let result = withUnsafeMutablePointer(to: &value) { vigil_v4l2_ioctl(fd, request, UnsafeMutableRawPointer($0)) }
            if result >= 0 { return 0 }
            if errno != EINTR { return errno }
        }
    }

    /// `control`, throwing on any failure.
    func require<T>(_ request: UInt, _ name: String, _ value: inout T) throws(CameraError) {
        let code = control(request, &value)
        guard code == 0 else {
            if code == ENODEV || code == EIO { throw .deviceLost(path: path, errno: code) }
            throw .call(name, errno: code)
        }
    }

    /// Driver, card and bus names, and whether the node can stream video capture.
    func capabilities() throws(CameraError) -> (driver: String, card: String, bus: String, canCapture: Bool) {
        var caps = v4l2_capability()
        let code = control(VIGIL_VIDIOC_QUERYCAP, &caps)
        // ENOTTY: the node is no V4L2 device at all (a typo such as /dev/null, a serial port).
        if code == ENOTTY || code == EINVAL { throw .notACaptureDevice(path: path, card: "not a V4L2 device") }
        try require(VIGIL_VIDIOC_QUERYCAP, "VIDIOC_QUERYCAP", &caps)
        let effective = caps.capabilities & UInt32(V4L2_CAP_DEVICE_CAPS) != 0 ? caps.device_caps : caps.capabilities
        let canCapture = effective & UInt32(V4L2_CAP_VIDEO_CAPTURE) != 0 && effective & UInt32(V4L2_CAP_STREAMING) != 0
        return (Self.string(caps.driver), Self.string(caps.card), Self.string(caps.bus_info), canCapture)
    }

    /// Every capture format with its frame sizes and rates (VIDIOC_ENUM_FMT,
    /// VIDIOC_ENUM_FRAMESIZES, VIDIOC_ENUM_FRAMEINTERVALS).
    func formats() -> [CameraFormat] {
        var formats: [CameraFormat] = []
        var index: UInt32 = 0
        while true {
            var desc = v4l2_fmtdesc()
            desc.index = index
            desc.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
            guard control(VIGIL_VIDIOC_ENUM_FMT, &desc) == 0 else { break }
            let pixelFormat = CameraPixelFormat(fourcc: desc.pixelformat)
            formats.append(CameraFormat(
                pixelFormat: pixelFormat, description: Self.string(desc.description),
                isEmulated: desc.flags & UInt32(V4L2_FMT_FLAG_EMULATED) != 0,
                modes: modes(pixelFormat)))
            index += 1
        }
        return formats
    }

    /// The common sizes a stepwise or continuous driver is asked about, since it lists none.
    static let probeSizes: [(Int, Int)] = [(320, 240), (640, 360), (640, 480), (800, 600), (1280, 720), (1920, 1080)]

    private func modes(_ format: CameraPixelFormat) -> [CameraMode] {
        var modes: [CameraMode] = []
        var index: UInt32 = 0
        while true {
            var size = v4l2_frmsizeenum()
            size.index = index
            size.pixel_format = format.fourcc
            guard control(VIGIL_VIDIOC_ENUM_FRAMESIZES, &size) == 0 else { break }
            if size.type == V4L2_FRMSIZE_TYPE_DISCRETE.rawValue {
                let w = Int(size.discrete.width)
                let h = Int(size.discrete.height)
                modes.append(CameraMode(width: w, height: h, frameRates: rates(format, w, h)))
            } else {
                let s = size.stepwise
                for (w, h) in Self.probeSizes
                where w >= s.min_width && w <= s.max_width && h >= s.min_height && h <= s.max_height {
                    modes.append(CameraMode(width: w, height: h, frameRates: rates(format, w, h)))
                }
                break
            }
            index += 1
        }
        return modes
    }

    private func rates(_ format: CameraPixelFormat, _ width: Int, _ height: Int) -> [Double] {
        var rates: [Double] = []
        var index: UInt32 = 0
        while true {
            var interval = v4l2_frmivalenum()
            interval.index = index
            interval.pixel_format = format.fourcc
            interval.width = UInt32(width)
            interval.height = UInt32(height)
            guard control(VIGIL_VIDIOC_ENUM_FRAMEINTERVALS, &interval) == 0 else { break }
            if interval.type == V4L2_FRMIVAL_TYPE_DISCRETE.rawValue {
                let d = interval.discrete
                if d.numerator > 0 { rates.append(Double(d.denominator) / Double(d.numerator)) }
            } else {
                let s = interval.stepwise
                if s.min.numerator > 0, s.max.numerator > 0 {
                    rates.append(Double(s.min.denominator) / Double(s.min.numerator))
                    rates.append(Double(s.max.denominator) / Double(s.max.numerator))
                }
                break
            }
            index += 1
        }
        return rates.sorted(by: >)
    }

    static func string<T>(_ tuple: T) -> String {
        withUnsafeBytes(of: tuple) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}
