/// What went wrong recording, with the facts an operator needs.
public enum RecordError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A system call on a recording file or directory failed.
    case system(call: String, path: String, errno: Int32)
    /// The index database refused an operation.
    case index(String)
    /// A recorded file is not what the index says.
    case unreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case .system(let call, let path, let errno):
            "\(call) \(path): \(String(cString: strerror(errno))) (errno \(errno))"
        case .index(let detail): "recording index: \(detail)"
        case .unreadable(let path, let reason): "\(path): \(reason)"
        }
    }

    /// The disk is full (or over quota): recording waits for space rather than failing.
    public var isOutOfSpace: Bool {
        if case .system(_, _, let errno) = self { return errno == ENOSPC || errno == EDQUOT }
        return false
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
