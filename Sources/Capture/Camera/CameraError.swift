#if canImport(Glibc)
import Glibc
#endif

/// What can go wrong with a camera, classified so the stream can decide: wait and retry
/// (`noDevice`, `deviceLost`), or tell the operator at once (`busy`, `notACaptureDevice`,
/// `noAcceptableFormat`).
public enum CameraError: Error, Hashable, CustomStringConvertible {
    /// The node does not exist (not plugged in, or unplugged).
    case noDevice(path: String)
    /// Another program holds the camera.
    case busy(path: String)
    case notACaptureDevice(path: String, card: String)
    case noAcceptableFormat(path: String, offered: [String])
    /// A V4L2 call failed: which, and errno.
    case call(String, errno: Int32)
    /// The device went away while streaming (ENODEV, EIO, POLLERR).
    case deviceLost(path: String, errno: Int32)
    /// No picture for longer than the stall limit.
    case stalled(path: String, seconds: Double)
    /// The camera came back in another mode than the stream was built for.
    case modeChanged(path: String, expected: String, got: String)

    public var description: String {
        switch self {
        case .noDevice(let path): return "\(path): no such camera"
        case .busy(let path): return "\(path) is busy (another program is using the camera)"
        case .notACaptureDevice(let path, let card): return "\(path) (\(card)) cannot capture video"
        case .noAcceptableFormat(let path, let offered):
            return "\(path) offers none of YUYV, NV12, YU12, MJPEG (offers: \(offered.joined(separator: ", ")))"
        case .call(let name, let code): return "\(name) failed: \(String(cString: strerror(code)))"
        case .deviceLost(let path, let code): return "\(path) went away: \(String(cString: strerror(code)))"
        case .stalled(let path, let seconds): return "\(path) gave no picture for \(seconds) s"
        case .modeChanged(let path, let expected, let got): return "\(path) came back as \(got), the stream is \(expected)"
        }
    }

    /// True for conditions that may clear by themselves (the camera comes back).
    public var isTransient: Bool {
        switch self {
        case .noDevice, .deviceLost, .stalled, .call, .busy, .modeChanged: return true
        case .notACaptureDevice, .noAcceptableFormat: return false
        }
    }
}
