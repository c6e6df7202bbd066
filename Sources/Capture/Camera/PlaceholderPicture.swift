import MediaCore

/// The picture viewers see while the camera is away: dark grey with "NO SIGNAL" in large
/// letters and a bar that moves, so a viewer can tell the stream is alive. I420, any size.
public struct PlaceholderPicture: Sendable {
    public let width: Int
    public let height: Int
    private let base: [UInt8]

    /// 5x7 glyphs of the letters needed, one string of five columns per row.
    static let glyphs: [Character: [String]] = [
        "N": ["#...#", "##..#", "#.#.#", "#..##", "#...#", "#...#", "#...#"],
        "O": [".###.", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."],
        "S": [".####", "#....", "#....", ".###.", "....#", "....#", "####."],
        "I": ["#####", "..#..", "..#..", "..#..", "..#..", "..#..", "#####"],
        "G": [".###.", "#...#", "#....", "#.###", "#...#", "#...#", ".###."],
        "A": [".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"],
        "L": ["#....", "#....", "#....", "#....", "#....", "#....", "#####"],
        " ": [".....", ".....", ".....", ".....", ".....", ".....", "....."],
    ]
    static let text = "NO SIGNAL"
    static let backgroundLuma: UInt8 = 40
    static let textLuma: UInt8 = 200

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
        var bytes = [UInt8](repeating: 128, count: PixelFormat.i420.frameSize(width: width, height: height))
        for i in 0..<(width * height) { bytes[i] = Self.backgroundLuma }
        // Letters 6 cells wide (5 + gap), 7 tall, scaled to fill about 80 % of the width.
        let cells = Self.text.count * 6
        let scale = max(1, (width * 8 / 10) / cells)
        let left = (width - cells * scale) / 2
        let top = (height - 7 * scale) / 2
        for (i, letter) in Self.text.enumerated() {
            guard let rows = Self.glyphs[letter] else { continue }
            for (row, pattern) in rows.enumerated() {
                for (column, mark) in pattern.enumerated() where mark == "#" {
                    for dy in 0..<scale {
                        for dx in 0..<scale {
                            let x = left + (i * 6 + column) * scale + dx
                            let y = top + row * scale + dy
                            if x >= 0, x < width, y >= 0, y < height { bytes[y * width + x] = Self.textLuma }
                        }
                    }
                }
            }
        }
        base = bytes
    }

    /// Picture `index` of the placeholder: the text, with a bar along the bottom that moves.
    public func frame(index: UInt64, instant: MediaInstant) -> RawFrame {
        var bytes = base
        let barWidth = max(2, width / 10)
        let barHeight = max(2, height / 30)
        let span = max(1, width - barWidth)
        let x = Int(index * 8 % UInt64(2 * span))
        let left = x < span ? x : 2 * span - x
        bytes.withUnsafeMutableBufferPointer { p in
            for y in (height - 2 * barHeight)..<(height - barHeight) where y >= 0 {
                (p.baseAddress! + y * width + left).update(repeating: 160, count: barWidth)
            }
        }
        return RawFrame(format: .i420, width: width, height: height, bytes: bytes, instant: instant, sequence: index)
    }
}
