import CALSA

/// What can go wrong with a microphone: libasound's error code with the call that gave it.
public enum MicrophoneError: Error, Hashable, CustomStringConvertible {
    /// `snd_pcm_open` failed: no such PCM, busy, or not allowed.
    case cannotOpen(name: String, code: Int32)
    /// A hardware or software parameter was refused (format, rate, channels…).
    case unsupported(name: String, what: String, code: Int32)
    /// The device went away while capturing.
    case deviceLost(name: String, code: Int32)
    case readFailed(name: String, code: Int32)

    public var description: String {
        switch self {
        case .cannotOpen(let name, let code): return "cannot open capture PCM \(name): \(Self.text(code))"
        case .unsupported(let name, let what, let code): return "\(name) refused \(what): \(Self.text(code))"
        case .deviceLost(let name, let code): return "\(name) went away: \(Self.text(code))"
        case .readFailed(let name, let code): return "reading \(name) failed: \(Self.text(code))"
        }
    }

    static func text(_ code: Int32) -> String {
        String(cString: snd_strerror(code))
    }

    public var isTransient: Bool {
        switch self {
        case .unsupported: return false
        default: return true
        }
    }
}
