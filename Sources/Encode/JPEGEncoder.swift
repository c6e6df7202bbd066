import CTurboJPEG
import MediaCore

/// Still pictures as baseline JPEG through libturbojpeg, compressed straight from the raw
/// picture's YUV planes (no RGB round trip): I420 and NV12 as 4:2:0, YUYV as 4:2:2. A
/// `width` smaller than the picture's scales it down first (bilinear, plane by plane).
///
/// Not thread-safe: one encoder per thread (the handle holds libjpeg's state).
public final class JPEGEncoder {
    private let handle: tjhandle
    /// libjpeg's quality scale, 1–100.
    public let quality: Int32

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public init(quality: Int = 85) throws {
        guard let handle = tjInitCompress() else { throw Failure(description: "tjInitCompress failed") }
        self.handle = handle
        self.quality = Int32(min(100, max(1, quality)))
    }

    deinit { tjDestroy(handle) }

    /// The JPEG of `frame`, `width` pixels wide (the picture's own when nil or not smaller;
    /// the height follows the aspect, even).
    public func encode(_ frame: RawFrame, width: Int? = nil) throws -> [UInt8] {
        var planar = PlanarPicture(frame)
        if Self.scales(frame, to: width), let width {
            planar = planar.downscaled(toWidth: width)
        }
        return try compress(planar)
    }

    /// The size `encode(frame, width:)` makes.
    public static func outputSize(of frame: RawFrame, width: Int?) -> (width: Int, height: Int) {
        guard scales(frame, to: width), let width else { return (frame.width, frame.height) }
        return PlanarPicture.size(width: frame.width, height: frame.height, toWidth: width)
    }

    /// The smallest width a picture is scaled to; smaller asks get this.
    public static let minimumWidth = 16

    private static func scales(_ frame: RawFrame, to width: Int?) -> Bool {
        guard let width else { return false }
        return width < frame.width
    }

    private func compress(_ picture: PlanarPicture) throws -> [UInt8] {
        var output: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        var strides: [Int32] = [Int32(picture.width), Int32(picture.chromaWidth), Int32(picture.chromaWidth)]
        let status: Int32 = picture.y.withUnsafeBufferPointer { y in
            picture.u.withUnsafeBufferPointer { u in
                picture.v.withUnsafeBufferPointer { v in
                    var planes: [UnsafePointer<UInt8>?] = [y.baseAddress, u.baseAddress, v.baseAddress]
                    return planes.withUnsafeMutableBufferPointer { planePointers in
                        strides.withUnsafeMutableBufferPointer { stridePointers in
                            tjCompressFromYUVPlanes(
                                handle, planePointers.baseAddress, Int32(picture.width), stridePointers.baseAddress,
                                Int32(picture.height), Int32(picture.subsampling.rawValue), &output, &size, quality,
                                TJFLAG_FASTDCT)
                        }
                    }
                }
            }
        }
        defer { if let output { tjFree(output) } }
        guard status == 0, let output else {
            throw Failure(description: "tjCompressFromYUVPlanes: \(String(cString: tjGetErrorStr2(handle)))")
        }
        return Array(UnsafeBufferPointer(start: output, count: Int(size)))
    }
}

/// A picture as three separate planes, the form libturbojpeg compresses.
struct PlanarPicture {
    var width: Int
    var height: Int
    var subsampling: TJSAMP
    var y: [UInt8]
    var u: [UInt8]
    var v: [UInt8]
    var chromaWidth: Int { (width + 1) / 2 }
    var chromaHeight: Int { subsampling == TJSAMP_422 ? height : (height + 1) / 2 }

    init(width: Int, height: Int, subsampling: TJSAMP, y: [UInt8], u: [UInt8], v: [UInt8]) {
        self.width = width
        self.height = height
        self.subsampling = subsampling
        self.y = y
        self.u = u
        self.v = v
    }

    /// Video range to JFIF's full range (BT.601: luma 16–235 → 0–255, chroma 16–240 →
    /// 0–255 about 128). Cameras and the encoders work in video range; a JPEG's YCbCr is full
    /// range, and without this its blacks are grey and its whites dim (ffmpeg's mjpeg encoder
    /// converts the same way).
    static let fullRangeLuma: [UInt8] = (0..<256).map { (value: Int) -> UInt8 in
        expand(value - 16, scale: 219, offset: 0)
    }
    static let fullRangeChroma: [UInt8] = (0..<256).map { (value: Int) -> UInt8 in
        expand(value - 128, scale: 224, offset: 128)
    }

    /// offset + delta × 255 / scale, rounded to nearest, clamped to a byte.
    private static func expand(_ delta: Int, scale: Int, offset: Int) -> UInt8 {
        let scaled = Double(delta) * 255 / Double(scale)
        let value = Int((scaled + Double(offset)).rounded())
        return UInt8(max(0, min(255, value)))
    }

    /// Splits `frame` into planes, in full range; a short buffer is padded with grey, never
    /// read past.
    init(_ frame: RawFrame) {
        self.init(videoRange: frame)
        y = y.map { Self.fullRangeLuma[Int($0)] }
        u = u.map { Self.fullRangeChroma[Int($0)] }
        v = v.map { Self.fullRangeChroma[Int($0)] }
    }

    private init(videoRange frame: RawFrame) {
        width = frame.width
        height = frame.height
        let cw = (frame.width + 1) / 2
        let luma = frame.width * frame.height
        var bytes = frame.bytes
        let needed = frame.format.frameSize(width: frame.width, height: frame.height)
        if bytes.count < needed { bytes += [UInt8](repeating: 128, count: needed - bytes.count) }
        switch frame.format {
        case .i420:
            let ch = (frame.height + 1) / 2
            subsampling = TJSAMP_420
            y = Array(bytes[0..<luma])
            u = Array(bytes[luma..<luma + cw * ch])
            v = Array(bytes[luma + cw * ch..<luma + 2 * cw * ch])
        case .nv12:
            let ch = (frame.height + 1) / 2
            subsampling = TJSAMP_420
            y = Array(bytes[0..<luma])
            u = [UInt8](repeating: 128, count: cw * ch)
            v = [UInt8](repeating: 128, count: cw * ch)
            for i in 0..<cw * ch {
                u[i] = bytes[luma + 2 * i]
                v[i] = bytes[luma + 2 * i + 1]
            }
        case .yuyv:
            subsampling = TJSAMP_422
            y = [UInt8](repeating: 0, count: luma)
            u = [UInt8](repeating: 128, count: cw * frame.height)
            v = [UInt8](repeating: 128, count: cw * frame.height)
            let rowBytes = cw * 4
            for row in 0..<frame.height {
                for pair in 0..<cw {
                    let at = row * rowBytes + pair * 4
                    let x = pair * 2
                    y[row * frame.width + x] = bytes[at]
                    if x + 1 < frame.width { y[row * frame.width + x + 1] = bytes[at + 2] }
                    u[row * cw + pair] = bytes[at + 1]
                    v[row * cw + pair] = bytes[at + 3]
                }
            }
        }
    }
}

extension PlanarPicture {
    /// Even dimensions, the aspect kept, at least `JPEGEncoder.minimumWidth` wide.
    static func size(width: Int, height: Int, toWidth asked: Int) -> (width: Int, height: Int) {
        let outWidth = max(JPEGEncoder.minimumWidth, asked & ~1)
        return (outWidth, max(2, (height * outWidth / width) & ~1))
    }

    /// This picture `width` pixels wide, each plane scaled with the H.263 path's bilinear
    /// `PictureScaler.PlaneMap`.
    func downscaled(toWidth asked: Int) -> PlanarPicture {
        let (outWidth, outHeight) = Self.size(width: width, height: height, toWidth: asked)
        var out = PlanarPicture(width: outWidth, height: outHeight, subsampling: subsampling, y: [], u: [], v: [])
        func scale(_ plane: [UInt8], _ from: (Int, Int), _ to: (Int, Int)) -> [UInt8] {
            let map = PictureScaler.PlaneMap(sourceWidth: from.0, sourceHeight: from.1, width: to.0, height: to.1)
            var result = [UInt8](repeating: 0, count: to.0 * to.1)
            plane.withUnsafeBufferPointer { source in
                result.withUnsafeMutableBufferPointer { map.scale(source.baseAddress!, $0.baseAddress!) }
            }
            return result
        }
        out.y = scale(y, (width, height), (outWidth, outHeight))
        out.u = scale(u, (chromaWidth, chromaHeight), (out.chromaWidth, out.chromaHeight))
        out.v = scale(v, (chromaWidth, chromaHeight), (out.chromaWidth, out.chromaHeight))
        return out
    }
}
