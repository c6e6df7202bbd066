/// How the H.263 encoder is set up: the source picture size, the coded format (the picture is
/// scaled when they differ), rate and key frames.
public struct H263Settings: Sendable, Hashable {
    /// Size of the pictures handed to `encode`.
    public var width: Int
    public var height: Int
    /// The coded size; `H263PictureFormat.forSource` picks one for a source size.
    public var format: H263PictureFormat
    /// Nominal pictures per second, for the rate control's budget per picture. The temporal
    /// reference itself comes from each picture's capture instant.
    public var frameRate: Int
    public var bitrateKbps: Int
    /// Pictures between intra pictures; nil = two seconds' worth.
    public var keyFrameInterval: Int?
    /// Full-pel search reach in pixels around the best predictor, ≤ 15 (baseline vectors
    /// stay within [-16, 15.5]).
    public var searchRange: Int
    /// Keep the stream at the bitrate even when the scene is too simple to use it (stuffing,
    /// as a constant-rate channel wants). Off by default: a still scene then costs less, which
    /// is what a box on a metered uplink wants; the bitrate is a ceiling, not a quota.
    public var constantBitrate: Bool

    public init(
        width: Int, height: Int, format: H263PictureFormat? = nil, frameRate: Int, bitrateKbps: Int,
        keyFrameInterval: Int? = nil, searchRange: Int = 15, constantBitrate: Bool = false
    ) {
        self.constantBitrate = constantBitrate
        self.width = width
        self.height = height
        self.format = format ?? .forSource(width: width, height: height, allowCustom: true)
        self.frameRate = frameRate
        self.bitrateKbps = bitrateKbps
        self.keyFrameInterval = keyFrameInterval
        self.searchRange = searchRange
    }

    public var effectiveKeyFrameInterval: Int { keyFrameInterval ?? 2 * frameRate }
}
