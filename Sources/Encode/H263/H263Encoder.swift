import Foundation
import MediaCore

/// An ITU-T H.263 baseline encoder in Swift: I and P pictures, motion search with half-pel
/// refinement, the standard's DCT, quantization and VLCs, rate control to a bitrate.
/// Standard source formats use the plain picture header; any other size (in whole
/// macroblocks) uses the H.263+ custom picture format (PLUSPTYPE). Pictures of another size
/// than the coded one are scaled (bilinear) first.
///
/// Not thread-safe, except `submit(_:)` — like `H264Encoder`: one encoder thread calls
/// `encode`, Serve asks for key frames and bitrates from anywhere.
///
/// Each unit's parts are the picture's GOBs: the first begins with the picture start code,
/// each other one with its GOB start code, all byte-aligned — where RFC 4629 and RFC 2190
/// packets may begin. The temporal reference counts 1001/30000 s ticks from the first
/// picture's capture instant, so it follows the source's real timing.
public final class H263Encoder: VideoEncoder, @unchecked Sendable {
    public let settings: H263Settings
    public var codec: MediaCodec { .h263 }
    public var format: H263PictureFormat { settings.format }

    private let coder: H263PictureCoder
    private let scaler: PictureScaler?
    private var rateControl: H263RateControl
    private var firstInstant: MediaInstant?
    private var previousInstant: MediaInstant?
    private var picturesSinceIntra = 0
    private let lock = NSLock()
    private var pendingCommands: [EncoderCommand] = []
    private var _bitrateKbps: Int
    private var _framesEncoded: UInt64 = 0

    /// H.263's picture clock: 30000/1001 Hz (§5.1.2).
    static let pictureClockNumerator: Int64 = 30_000
    static let pictureClockDenominator: Int64 = 1001

    public init(settings: H263Settings) throws(EncodeError) {
        let format = settings.format
        guard format.width % 16 == 0, format.height % 16 == 0, format.width >= 16, format.height >= 16,
            format.width <= H263PictureFormat.maximumCustomWidth, format.height <= H263PictureFormat.maximumCustomHeight
        else {
            throw .invalidSettings("H.263 coded size \(format.width)x\(format.height) must be whole macroblocks, at most 2048x1152")
        }
        guard settings.width >= 2, settings.height >= 2, settings.width % 2 == 0, settings.height % 2 == 0 else {
            throw .invalidSettings("source size \(settings.width)x\(settings.height) must be even")
        }
        guard settings.frameRate > 0, settings.bitrateKbps > 0 else {
            throw .invalidSettings("frame rate and bitrate must be positive")
        }
        self.settings = settings
        coder = H263PictureCoder(format: format, searchRange: settings.searchRange)
        scaler = settings.width == format.width && settings.height == format.height
            ? nil : PictureScaler(sourceWidth: settings.width, sourceHeight: settings.height, width: format.width, height: format.height)
        rateControl = H263RateControl(
            bitrateKbps: settings.bitrateKbps, frameRate: settings.frameRate,
            keyFrameInterval: settings.effectiveKeyFrameInterval, pixels: format.width * format.height,
            constantBitrate: settings.constantBitrate)
        _bitrateKbps = settings.bitrateKbps
    }

    /// The last picture as the encoder reconstructed it — what a decoder must show (tests).
    var lastReconstruction: [UInt8] { coder.reconstructedPicture() }

    public var currentBitrateKbps: Int { lock.withLock { _bitrateKbps } }
    public var framesEncoded: UInt64 { lock.withLock { _framesEncoded } }

    public func submit(_ command: EncoderCommand) {
        lock.withLock { pendingCommands.append(command) }
    }

    /// Encodes one picture into exactly one unit.
    public func encode(_ frame: RawFrame) throws(EncodeError) -> [EncodedUnit] {
        guard frame.width == settings.width, frame.height == settings.height else {
            throw .frameSizeMismatch(expected: "\(settings.width)x\(settings.height)", got: "\(frame.width)x\(frame.height)")
        }
        let i420 = try PixelConversion.toI420(frame)
        let planes = coder.sourcePlanes
        i420.bytes.withUnsafeBufferPointer { buffer in
            if let scaler {
                scaler.scale(buffer, y: planes.y, u: planes.u, v: planes.v)
            } else {
                let lumaSize = settings.width * settings.height
                let base = buffer.baseAddress!
                planes.y.update(from: base, count: lumaSize)
                planes.u.update(from: base + lumaSize, count: lumaSize / 4)
                planes.v.update(from: base + lumaSize + lumaSize / 4, count: lumaSize / 4)
            }
        }

        let forced = applyCommands()
        let intra = forced || firstInstant == nil || picturesSinceIntra >= settings.effectiveKeyFrameInterval
        let first = firstInstant ?? frame.instant
        firstInstant = first
        let interval = previousInstant.map { Double((frame.instant - $0).nanoseconds) / 1e9 }
        previousInstant = frame.instant
        let elapsed = max(0, (frame.instant - first).nanoseconds)
        let ticks = (elapsed * Self.pictureClockNumerator / Self.pictureClockDenominator + 500_000_000) / 1_000_000_000
        let quantizer = rateControl.quantizer(intra: intra)
        let picture = coder.code(
            intra: intra, quantizer: quantizer, temporalReference: Int(ticks & 0xFF), targetBits: rateControl.target(intra: intra),
            stuffingBits: rateControl.stuffingBits)
        rateControl.update(bits: picture.bytes.count * 8, meanQP: picture.meanQP, intra: intra, interval: interval)
        picturesSinceIntra = intra ? 1 : picturesSinceIntra + 1

        var parts: [[UInt8]] = []
        parts.reserveCapacity(picture.gobOffsets.count)
        for (i, start) in picture.gobOffsets.enumerated() {
            let end = i + 1 < picture.gobOffsets.count ? picture.gobOffsets[i + 1] : picture.bytes.count
            parts.append(Array(picture.bytes[start..<end]))
        }
        lock.withLock { _framesEncoded += 1 }
        return [
            EncodedUnit(
                codec: .h263, parts: parts, instant: frame.instant, isKeyFrame: intra,
                duration: MediaDuration(nanoseconds: 1_000_000_000 / Int64(settings.frameRate)),
                parameters: intra ? .h263(width: format.width, height: format.height) : nil)
        ]
    }

    /// Applies queued commands; returns whether the next picture must be intra.
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
                rateControl.setBitrate(kbps: kbps)
                lock.withLock { _bitrateKbps = kbps }
            }
        }
        return forceKeyFrame
    }
}
