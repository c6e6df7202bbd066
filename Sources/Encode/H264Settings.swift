/// How libx264 is set up for a live stream. Defaults fit a small appliance: `ultrafast` with
/// `zerolatency` (no B-frames, no lookahead, one frame in, one frame out), ABR with a VBV as
/// large as one second of bitrate so the rate stays near constant.
public struct H264Settings: Sendable, Hashable {
    public var width: Int
    public var height: Int
    public var frameRate: Int
    public var bitrateKbps: Int
    /// VBV buffer in kbit; nil = one second of bitrate.
    public var vbvBufferKbits: Int?
    public var preset: String
    public var tune: String
    /// Passed to `x264_param_apply_profile`; x264 still signals the lowest profile the
    /// features in use allow (ultrafast gives Constrained Baseline whatever is asked).
    public var profile: String
    /// Frames between IDRs; nil = two seconds' worth.
    public var keyFrameInterval: Int?
    /// x264 threads; 0 lets x264 decide.
    public var threads: Int

    public init(
        width: Int, height: Int, frameRate: Int, bitrateKbps: Int = 2000, vbvBufferKbits: Int? = nil,
        preset: String = "ultrafast", tune: String = "zerolatency", profile: String = "high",
        keyFrameInterval: Int? = nil, threads: Int = 0
    ) {
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.bitrateKbps = bitrateKbps
        self.vbvBufferKbits = vbvBufferKbits
        self.preset = preset
        self.tune = tune
        self.profile = profile
        self.keyFrameInterval = keyFrameInterval
        self.threads = threads
    }

    public var effectiveKeyFrameInterval: Int { keyFrameInterval ?? 2 * frameRate }
}
