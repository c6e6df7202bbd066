import CX264
import Foundation
import MediaCore

/// libx264, wrapped once: owns the `x264_t` handle for its whole life.
///
/// Not thread-safe, except `submit(_:)`: one encoder thread calls `encode`, while Serve may
/// ask for a key frame or a new bitrate from anywhere; commands queue under a lock and are
/// applied before the next picture.
///
/// Output parts are bare NAL units (x264's 4-byte length prefixes, `b_annexb = 0`, are
/// stripped), with SPS and PPS repeated in front of every IDR so any key frame starts a
/// decoder. Each unit carries the capture instant of its input picture, looked up by pts, so
/// presets with lookahead or B-frames keep the right instants too.
public final class H264Encoder: @unchecked Sendable {
    public let settings: H264Settings
    /// Sequence and picture parameter sets, without start codes (for SDP sprop-parameter-sets).
    public let sps: [UInt8]
    public let pps: [UInt8]

    private let handle: OpaquePointer
    private var param: x264_param_t
    private var picture = x264_picture_t()
    private var nextPTS: Int64 = 0
    /// Capture instants of pictures inside the encoder, by pts.
    private var instants: [Int64: MediaInstant] = [:]
    private let lock = NSLock()
    private var pendingCommands: [EncoderCommand] = []
    private var _bitrateKbps: Int
    private var _framesEncoded: UInt64 = 0

    public init(settings: H264Settings) throws(EncodeError) {
        guard settings.width >= 16, settings.height >= 16, settings.width % 2 == 0, settings.height % 2 == 0 else {
            throw .invalidSettings("size \(settings.width)x\(settings.height) must be even and at least 16x16")
        }
        guard settings.frameRate > 0, settings.bitrateKbps > 0 else {
            throw .invalidSettings("frame rate and bitrate must be positive")
        }
        self.settings = settings
        var param = x264_param_t()
        let tune: String? = settings.tune.isEmpty ? nil : settings.tune
        guard x264_param_default_preset(&param, settings.preset, tune) == 0 else {
            throw .openFailed(call: "x264_param_default_preset", detail: "preset '\(settings.preset)' or tune '\(settings.tune)' unknown")
        }
        param.i_log_level = X264_LOG_NONE
        param.i_width = Int32(settings.width)
        param.i_height = Int32(settings.height)
        param.i_csp = X264_CSP_I420
        param.i_fps_num = UInt32(settings.frameRate)
        param.i_fps_den = 1
        param.i_timebase_num = 1
        param.i_timebase_den = UInt32(settings.frameRate)
        param.b_vfr_input = 0
        param.i_threads = Int32(settings.threads)
        param.i_keyint_max = Int32(settings.effectiveKeyFrameInterval)
        param.i_keyint_min = min(param.i_keyint_min, param.i_keyint_max)
        param.rc.i_rc_method = X264_RC_ABR
        param.rc.i_bitrate = Int32(settings.bitrateKbps)
        param.rc.i_vbv_max_bitrate = Int32(settings.bitrateKbps)
        param.rc.i_vbv_buffer_size = Int32(settings.vbvBufferKbits ?? settings.bitrateKbps)
        // No B-frames whatever the preset: decoding order stays presentation order, so every
        // consumer (RTP, recorder, HLS) takes the capture instant as decode time too.
        param.i_bframe = 0
        param.b_repeat_headers = 1
        param.b_annexb = 0
        param.b_aud = 0
        guard x264_param_apply_profile(&param, settings.profile) == 0 else {
            throw .openFailed(call: "x264_param_apply_profile", detail: "profile '\(settings.profile)' unknown or impossible with these settings")
        }
        guard let handle = vigil_x264_encoder_open(&param) else {
            throw .openFailed(call: "x264_encoder_open", detail: "settings refused")
        }
        self.handle = handle
        self.param = param
        self._bitrateKbps = settings.bitrateKbps

        var nals: UnsafeMutablePointer<x264_nal_t>?
        var count: Int32 = 0
        guard x264_encoder_headers(handle, &nals, &count) >= 0, let nals else {
            x264_encoder_close(handle)
            throw .openFailed(call: "x264_encoder_headers", detail: "no parameter sets")
        }
        var sps: [UInt8] = []
        var pps: [UInt8] = []
        for nal in Self.nalUnits(nals, count: count) {
            switch nal.first.map({ $0 & 0x1F }) {
            case 7: sps = nal
            case 8: pps = nal
            default: break
            }
        }
        self.sps = sps
        self.pps = pps
        x264_picture_init(&picture)
    }

    deinit {
        x264_encoder_close(handle)
    }

    /// The bitrate the encoder is steering for now.
    public var currentBitrateKbps: Int { lock.withLock { _bitrateKbps } }
    public var framesEncoded: UInt64 { lock.withLock { _framesEncoded } }

    /// Queues a command; thread-safe. Applied before the next picture is encoded.
    public func submit(_ command: EncoderCommand) {
        lock.withLock { pendingCommands.append(command) }
    }

    /// Encodes one picture (converted to I420 first if needed). Returns zero or more units:
    /// with zerolatency exactly one, with lookahead presets fewer at first.
    public func encode(_ frame: RawFrame) throws(EncodeError) -> [EncodedUnit] {
        guard frame.width == settings.width, frame.height == settings.height else {
            throw .frameSizeMismatch(expected: "\(settings.width)x\(settings.height)", got: "\(frame.width)x\(frame.height)")
        }
        let i420 = try PixelConversion.toI420(frame)
        let forceKeyFrame = applyCommands()
        let width = settings.width
        let height = settings.height
        let pts = nextPTS
        nextPTS += 1
        instants[pts] = frame.instant

        var nals: UnsafeMutablePointer<x264_nal_t>?
        var count: Int32 = 0
        var output = x264_picture_t()
        let status: Int32 = i420.bytes.withUnsafeBufferPointer { buffer in
            let base = UnsafeMutablePointer(mutating: buffer.baseAddress!)
            let chromaWidth = (width + 1) / 2
            let chromaHeight = (height + 1) / 2
            picture.img.i_csp = X264_CSP_I420
            picture.img.i_plane = 3
            picture.img.i_stride.0 = Int32(width)
            picture.img.i_stride.1 = Int32(chromaWidth)
            picture.img.i_stride.2 = Int32(chromaWidth)
            picture.img.plane.0 = base
            picture.img.plane.1 = base + width * height
            picture.img.plane.2 = base + width * height + chromaWidth * chromaHeight
            picture.i_pts = pts
            picture.i_type = forceKeyFrame ? X264_TYPE_IDR : X264_TYPE_AUTO
            return x264_encoder_encode(handle, &nals, &count, &picture, &output)
        }
        // x264 must not keep pointers into our buffer past the call: it copies the picture.
        picture.img.plane = (nil, nil, nil, nil)
        guard status >= 0 else { throw .encodeFailed(status) }
        return collect(nals: nals, count: count, output: output, payloadSize: status)
    }

    /// Drains pictures still inside the encoder (lookahead presets) at shutdown.
    public func flush() -> [EncodedUnit] {
        var units: [EncodedUnit] = []
        while x264_encoder_delayed_frames(handle) > 0 {
            var nals: UnsafeMutablePointer<x264_nal_t>?
            var count: Int32 = 0
            var output = x264_picture_t()
            let status = x264_encoder_encode(handle, &nals, &count, nil, &output)
            guard status >= 0 else { break }
            units += collect(nals: nals, count: count, output: output, payloadSize: status)
        }
        return units
    }

    private func collect(nals: UnsafeMutablePointer<x264_nal_t>?, count: Int32, output: x264_picture_t, payloadSize: Int32) -> [EncodedUnit] {
        guard payloadSize > 0, let nals, count > 0 else { return [] }
        let parts = Self.nalUnits(nals, count: count)
        let instant = instants.removeValue(forKey: output.i_pts) ?? MediaClock.now()
        lock.withLock { _framesEncoded += 1 }
        let isKeyFrame = output.b_keyframe != 0
        var parameters: CodecParameters?
        if isKeyFrame {
            // The IDR carries its own parameter sets (b_repeat_headers); those are the ones in force.
            let sps = parts.first { ($0.first ?? 0) & 0x1F == 7 } ?? self.sps
            let pps = parts.first { ($0.first ?? 0) & 0x1F == 8 } ?? self.pps
            parameters = .h264(sps: sps, pps: pps)
        }
        return [
            EncodedUnit(
                codec: .h264, parts: parts, instant: instant, isKeyFrame: isKeyFrame,
                duration: MediaDuration(nanoseconds: 1_000_000_000 / Int64(settings.frameRate)), parameters: parameters)
        ]
    }

    /// Applies queued commands; returns whether the next picture must be an IDR.
    private func applyCommands() -> Bool {
        let commands = lock.withLock { () -> [EncoderCommand] in
            defer { pendingCommands.removeAll() }
            return pendingCommands
        }
        var forceKeyFrame = false
        for command in commands {
            switch command {
            case .forceKeyFrame:
                forceKeyFrame = true
            case .setBitrate(let kbps):
                guard kbps > 0 else { continue }
                var updated = param
                updated.rc.i_bitrate = Int32(kbps)
                updated.rc.i_vbv_max_bitrate = Int32(kbps)
                updated.rc.i_vbv_buffer_size = Int32(kbps * (settings.vbvBufferKbits ?? settings.bitrateKbps) / settings.bitrateKbps)
                if x264_encoder_reconfig(handle, &updated) == 0 {
                    param = updated
                    lock.withLock { _bitrateKbps = kbps }
                }
            }
        }
        return forceKeyFrame
    }

    /// Copies x264's NAL units out, without their 4-byte length prefixes.
    private static func nalUnits(_ nals: UnsafeMutablePointer<x264_nal_t>, count: Int32) -> [[UInt8]] {
        (0..<Int(count)).compactMap { i in
            let nal = nals[i]
            let size = Int(nal.i_payload)
            guard size > 4, let payload = nal.p_payload else { return nil }
            return Array(UnsafeBufferPointer(start: payload + 4, count: size - 4))
        }
    }
}
