/// Bilinear scaling of I420 pictures, in 16.16 fixed point with the source-to-destination
/// maps computed once. Fast enough for every picture (a few multiplies per pixel), and good
/// enough to bring a camera's size to a codec's: no encoder can see the difference from a
/// windowed filter at these ratios.
struct PictureScaler {
    let sourceWidth: Int
    let sourceHeight: Int
    let width: Int
    let height: Int
    private let luma: PlaneMap
    private let chroma: PlaneMap

    /// For each destination column/row: the first source sample and the weight (0…65535) of
    /// the next one.
    struct PlaneMap {
        var x0: [Int32]
        var wx: [Int32]
        var y0: [Int32]
        var wy: [Int32]
        var sourceWidth: Int
        var sourceHeight: Int

        init(sourceWidth: Int, sourceHeight: Int, width: Int, height: Int) {
            self.sourceWidth = sourceWidth
            self.sourceHeight = sourceHeight
            func axis(_ from: Int, _ to: Int) -> ([Int32], [Int32]) {
                var starts = [Int32](repeating: 0, count: to)
                var weights = [Int32](repeating: 0, count: to)
                for i in 0..<to {
                    // Centre-aligned: destination sample i sits at ((i + 0.5) · from/to − 0.5).
                    let position = max(0, (Int64(2 * i + 1) * Int64(from) * 65536 / Int64(2 * to)) - 32768)
                    var start = Int(position >> 16)
                    var weight = Int32(position & 0xFFFF)
                    if start >= from - 1 {
                        start = from - 1
                        weight = 0
                    }
                    starts[i] = Int32(start)
                    weights[i] = weight
                }
                return (starts, weights)
            }
            (x0, wx) = axis(sourceWidth, width)
            (y0, wy) = axis(sourceHeight, height)
        }

        func scale(_ src: UnsafePointer<UInt8>, _ dst: UnsafeMutablePointer<UInt8>) {
            let width = x0.count
            x0.withUnsafeBufferPointer { x0 in
                wx.withUnsafeBufferPointer { wx in
                    for row in 0..<y0.count {
                        let top = src + Int(y0[row]) * sourceWidth
                        let bottom = Int(y0[row]) + 1 < sourceHeight ? top + sourceWidth : top
                        let fy = wy[row] >> 8
                        let out = dst + row * width
                        for column in 0..<width {
                            let x = Int(x0[column])
                            let fx = wx[column] >> 8
                            let next = x + 1 < sourceWidth ? x + 1 : x
                            let a = Int32(top[x]) * (256 - fx) + Int32(top[next]) * fx
                            let b = Int32(bottom[x]) * (256 - fx) + Int32(bottom[next]) * fx
                            out[column] = UInt8(truncatingIfNeeded: (a * (256 - fy) + b * fy + 32768) >> 16)
                        }
                    }
                }
            }
        }
    }

    init(sourceWidth: Int, sourceHeight: Int, width: Int, height: Int) {
        self.sourceWidth = sourceWidth
        self.sourceHeight = sourceHeight
        self.width = width
        self.height = height
        luma = PlaneMap(sourceWidth: sourceWidth, sourceHeight: sourceHeight, width: width, height: height)
        chroma = PlaneMap(
            sourceWidth: (sourceWidth + 1) / 2, sourceHeight: (sourceHeight + 1) / 2, width: width / 2, height: height / 2)
    }

    /// Scales a tightly packed I420 picture into tightly packed destination planes.
    func scale(_ source: UnsafeBufferPointer<UInt8>, y: UnsafeMutablePointer<UInt8>, u: UnsafeMutablePointer<UInt8>, v: UnsafeMutablePointer<UInt8>) {
        let base = source.baseAddress!
        let lumaSize = sourceWidth * sourceHeight
        let chromaSize = ((sourceWidth + 1) / 2) * ((sourceHeight + 1) / 2)
        luma.scale(base, y)
        chroma.scale(base + lumaSize, u)
        chroma.scale(base + lumaSize + chromaSize, v)
    }
}
