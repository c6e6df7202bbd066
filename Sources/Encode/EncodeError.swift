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
    /// The encoder does not code audio at this rate; `supported` lists the rates it does.
    case unsupportedSampleRate(Int, supported: [Int])
    /// A chunk at another rate than the encoder was made for (a source that changed its mode).
    case sampleRateMismatch(expected: Int, got: Int)
    /// A codec library call returned a negative status; `detail` is the library's own message.
    case callFailed(call: String, status: Int32, detail: String)

    public var description: String {
        switch self {
        case .openFailed(let call, let detail): return "\(call) failed: \(detail)"
        case .invalidSettings(let detail): return "invalid encoder settings: \(detail)"
        case .frameSizeMismatch(let expected, let got): return "frame is \(got), the encoder expects \(expected)"
        case .unsupportedPixelFormat(let format): return "pixel format \(format) cannot be converted to I420"
        case .encodeFailed(let status): return "x264_encoder_encode returned \(status)"
        case .unsupportedSampleRate(let rate, let supported):
            return "\(rate) Hz cannot be encoded; the encoder takes \(supported.map { "\($0)" }.joined(separator: ", ")) Hz"
        case .sampleRateMismatch(let expected, let got): return "audio is \(got) Hz, the encoder expects \(expected) Hz"
        case .callFailed(let call, let status, let detail): return "\(call) returned \(status): \(detail)"
        }
    }
}
