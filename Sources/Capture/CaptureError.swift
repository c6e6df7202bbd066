#if canImport(Glibc)
import Glibc
#endif

/// What can go wrong opening or reading a source, with the call and errno where there is one.
public enum CaptureError: Error, Hashable, CustomStringConvertible {
    case cannotOpen(path: String, errno: Int32)
    case readFailed(path: String, errno: Int32)
    case unsupportedFormat(String)
    case invalidSettings(String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let code): return "cannot open \(path): \(String(cString: strerror(code)))"
        case .readFailed(let path, let code): return "reading \(path) failed: \(String(cString: strerror(code)))"
        case .unsupportedFormat(let format): return "unsupported pixel format \(format)"
        case .invalidSettings(let detail): return "invalid source settings: \(detail)"
        }
    }
}
