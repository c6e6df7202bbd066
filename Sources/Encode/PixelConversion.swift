import MediaCore

/// Conversions from the pixel layouts cameras deliver to the I420 the encoders take.
///
/// Chroma is averaged over the two rows a 4:2:0 sample covers (YUYV is 4:2:2: one chroma
/// sample per pair of pixels per row). Odd sizes are handled: the last column or row repeats.
public enum PixelConversion {
    /// `frame` in I420; I420 input is returned as it is.
    public static func toI420(_ frame: RawFrame) throws(EncodeError) -> RawFrame {
        let expected = frame.format.frameSize(width: frame.width, height: frame.height)
        guard frame.bytes.count >= expected else {
            throw .frameSizeMismatch(expected: "\(expected) bytes of \(frame.format.rawValue)", got: "\(frame.bytes.count) bytes")
        }
        switch frame.format {
        case .i420:
            return frame
        case .yuyv:
            return convert(frame) { src, dst in yuyvToI420(src, dst, width: frame.width, height: frame.height) }
        case .nv12:
            return convert(frame) { src, dst in nv12ToI420(src, dst, width: frame.width, height: frame.height) }
        }
    }

    private static func convert(
        _ frame: RawFrame,
        _ body: (UnsafeBufferPointer<UInt8>, UnsafeMutableBufferPointer<UInt8>) -> Void
    ) -> RawFrame {
        let size = PixelFormat.i420.frameSize(width: frame.width, height: frame.height)
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            frame.bytes.withUnsafeBufferPointer { src in body(src, buffer) }
            count = size
        }
        return RawFrame(format: .i420, width: frame.width, height: frame.height, bytes: bytes, instant: frame.instant, sequence: frame.sequence)
    }

    static func yuyvToI420(_ src: UnsafeBufferPointer<UInt8>, _ dst: UnsafeMutableBufferPointer<UInt8>, width: Int, height: Int) {
        let s = src.baseAddress!
        let d = dst.baseAddress!
        let srcStride = ((width + 1) / 2) * 4
        let cw = (width + 1) / 2
        let ch = (height + 1) / 2
        let uPlane = d + width * height
        let vPlane = uPlane + cw * ch
        for y in 0..<height {
            let row = s + y * srcStride
            let yRow = d + y * width
            for x in 0..<width {
                yRow[x] = row[(x / 2) * 4 + (x & 1) * 2]
            }
        }
        for cy in 0..<ch {
            let top = s + (2 * cy) * srcStride
            let bottom = s + min(2 * cy + 1, height - 1) * srcStride
            let uRow = uPlane + cy * cw
            let vRow = vPlane + cy * cw
            for cx in 0..<cw {
                let i = cx * 4
                uRow[cx] = UInt8((UInt16(top[i + 1]) + UInt16(bottom[i + 1]) + 1) / 2)
                vRow[cx] = UInt8((UInt16(top[i + 3]) + UInt16(bottom[i + 3]) + 1) / 2)
            }
        }
    }

    static func nv12ToI420(_ src: UnsafeBufferPointer<UInt8>, _ dst: UnsafeMutableBufferPointer<UInt8>, width: Int, height: Int) {
        let s = src.baseAddress!
        let d = dst.baseAddress!
        let lumaSize = width * height
        let cw = (width + 1) / 2
        let ch = (height + 1) / 2
        d.update(from: s, count: lumaSize)
        let uv = s + lumaSize
        let uPlane = d + lumaSize
        let vPlane = uPlane + cw * ch
        for i in 0..<(cw * ch) {
            uPlane[i] = uv[2 * i]
            vPlane[i] = uv[2 * i + 1]
        }
    }
}
