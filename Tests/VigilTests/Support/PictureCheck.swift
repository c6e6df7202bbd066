@testable import Capture
import Foundation
import MediaCore

/// Reads decoded synthetic pictures (8-bit luma, one after another, as a viewer wrote them)
/// and tells which arrived whole: each picture's counter strip names its index, and the
/// picture is whole when every 16x16 block is close to what the synthetic source drew for
/// that index. A block a decoder had to conceal (copied from an older picture, or garbage)
/// differs by far more than coding noise wherever the picture moves.
struct PictureCheck {
    let settings: SyntheticVideoSettings
    /// Mean absolute luma difference of a 16x16 block above which it was not decoded right.
    /// Coding noise of x264 at these rates stays under ~8; a concealed block on the moving
    /// box or the counter strip is 40 or more.
    static let blockThreshold = 24

    struct Result: CustomStringConvertible {
        /// Pictures the source drew between the first and the last index seen (sync marks
        /// are white and carry no counter; they are left out).
        var expected = 0
        /// Distinct indices seen.
        var present = 0
        /// Present and close to the source everywhere.
        var whole = 0
        /// The runs of expected indices that were missing or damaged, for the failure message:
        /// one lost packet left unrepaired shows as a run up to the next key frame.
        var damaged: [ClosedRange<UInt64>] = []
        var intactRatio: Double { expected == 0 ? 0 : Double(whole) / Double(expected) }
        var description: String {
            let runs = damaged.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
            return "\(whole) whole of \(expected) expected (\(present) present)"
                + (runs.isEmpty ? "" : "; damaged or missing: \(runs.joined(separator: ", "))")
        }
    }

    func check(_ data: Data) -> Result {
        let w = settings.width
        let h = settings.height
        let size = w * h
        var picture = SyntheticPicture(settings: settings)
        var seen: [UInt64: Bool] = [:]
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            var offset = 0
            while offset + size <= bytes.count {
                defer { offset += size }
                let frame = UnsafeBufferPointer(rebasing: bytes[offset..<(offset + size)])
                guard let index = counter(frame) else { continue }
                let expected = picture.frame(index: index, epoch: MediaInstant(nanoseconds: 0)).bytes
                let whole = maximumBlockDifference(frame, expected) <= Self.blockThreshold
                seen[index] = (seen[index] ?? false) || whole
            }
        }
        var result = Result()
        // The range comes from whole pictures only: a damaged one may show any counter.
        let wholeIndices = seen.filter(\.value).keys
        guard let first = wholeIndices.min(), let last = wholeIndices.max() else { return result }
        for index in first...last where !SyntheticVideoSource.isSyncMark(index, settings: settings) {
            result.expected += 1
            if let whole = seen[index] {  // (indices outside the range were damaged anyway)
                result.present += 1
                if whole {
                    result.whole += 1
                    continue
                }
            }
            if let run = result.damaged.last, index - run.upperBound <= 2 {  // (bridging a sync mark)
                result.damaged[result.damaged.count - 1] = run.lowerBound...index
            } else {
                result.damaged.append(index...index)
            }
        }
        return result
    }

    /// The picture index drawn in the counter strip, or nil for a white sync mark.
    func counter(_ frame: UnsafeBufferPointer<UInt8>) -> UInt64? {
        let w = settings.width
        let block = max(2, w / 32)
        var mean = 0
        for i in stride(from: 0, to: frame.count, by: 97) { mean += Int(frame[i]) }
        if mean / max(1, frame.count / 97) > 200 { return nil }
        var index: UInt64 = 0
        for bit in 0..<16 where block * (bit + 1) <= w {
            let value = frame[(block / 2) * w + bit * block + block / 2]
            // Drawn at 180 (one) and 40 (zero); anything between is a damaged strip.
            switch value {
            case 140...: index |= 1 << UInt64(bit)
            case ...80: break
            default: return nil
            }
        }
        return index
    }

    func maximumBlockDifference(_ frame: UnsafeBufferPointer<UInt8>, _ expected: [UInt8]) -> Int {
        let w = settings.width
        let h = settings.height
        var worst = 0
        for by in stride(from: 0, to: h - 15, by: 16) {
            for bx in stride(from: 0, to: w - 15, by: 16) {
                var sum = 0
                for y in by..<(by + 16) {
                    let row = y * w
                    for x in bx..<(bx + 16) { sum += abs(Int(frame[row + x]) - Int(expected[row + x])) }
                }
                worst = max(worst, sum / 256)
            }
        }
        return worst
    }
}
