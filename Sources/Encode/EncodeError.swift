/// What can go wrong in an encoder, with the facts to say so.
public enum EncodeError: Error, Hashable, CustomStringConvertible {
    /// x264 refused the settings at `call` (an unknown preset, tune or profile, or an
    /// impossible combination).
    case openFailed(call: String, detail: String)
    case invalidSettings(String)
    case frameSizeMismatch(expected: String, got: String)
    case unsupportedPixelFormat(String)
    /// `x264_encoder_encode` returned a negative status.
    case encodeFailed(Int32)

    public var description: String {
        switch self {
        case .openFailed(let call, let detail): return "\(call) failed: \(detail)"
        case .invalidSettings(let detail): return "invalid encoder settings: \(detail)"
        case .frameSizeMismatch(let expected, let got): return "frame is \(got), the encoder expects \(expected)"
        case .unsupportedPixelFormat(let format): return "pixel format \(format) cannot be converted to I420"
        case .encodeFailed(let status): return "x264_encoder_encode returned \(status)"
        }
    }
}
