import Foundation
import XCTest
@testable import Tokens

/// A generator that replays fixed words, then repeats the last one: for draws whose every
/// byte a test wants to name.
struct ScriptedRandom: RandomNumberGenerator, Sendable {
    var words: [UInt64]
    private(set) var drawn = 0

    init(_ words: [UInt64]) { self.words = words }

    mutating func next() -> UInt64 {
        defer { drawn += 1 }
        return words[min(drawn, words.count - 1)]
    }
}

/// A fresh directory for one test's database, removed when the test ends.
func temporaryDirectory(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-tokens-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

/// A fixed instant, so that expiries are exact: 2025-06-15 15:06:40 UTC.
let t0 = Date(timeIntervalSince1970: 1_750_000_000)

/// Pearson's χ² statistic of `counts` against a uniform distribution.
func chiSquared(_ counts: [Int]) -> Double {
    let total = Double(counts.reduce(0, +))
    let expected = total / Double(counts.count)
    return counts.reduce(0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
}

/// χ² for 61 degrees of freedom (62 characters) that a uniform source exceeds with
/// probability 10⁻⁶ (Wilson–Hilferty: 61 · (1 − 2/549 + 4.753 · √(2/549))³ ≈ 128.9). So strict
/// that the production-source test fails spuriously about once in a million runs, and still
/// far below what a modulo bias gives (≈ 2 100, see `testChiSquaredCatchesModuloBias`).
let chiSquaredLimit = 128.9

/// How often each alphabet character occurs in `tokens`.
func characterCounts(_ tokens: [Token]) -> [Int] {
    var counts = [Int](repeating: 0, count: Token.alphabet.count)
    let index = Dictionary(uniqueKeysWithValues: Token.alphabet.enumerated().map { ($1, $0) })
    for token in tokens {
        for byte in token.text.utf8 { counts[index[byte]!] += 1 }
    }
    return counts
}
