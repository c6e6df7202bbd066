import Foundation

/// A small deterministic generator (SplitMix64) for the suite's random inputs: the same seed
/// gives the same inputs on every machine, so a failure reproduces exactly and can become a
/// named vector.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The seed of a randomized test: its own fixed default, or `VIGIL_TEST_SEED` (decimal or
/// 0x-hex) to replay a failure or to explore other inputs. Tests put the seed in every failure
/// message, so a red run says how to make it again.
public enum TestSeed {
    public static func value(default seed: UInt64) -> UInt64 {
        guard let text = ProcessInfo.processInfo.environment["VIGIL_TEST_SEED"], !text.isEmpty else { return seed }
        if text.hasPrefix("0x") || text.hasPrefix("0X") { return UInt64(text.dropFirst(2), radix: 16) ?? seed }
        return UInt64(text) ?? seed
    }

    /// "seed 0x…", for failure messages.
    public static func describe(_ seed: UInt64) -> String { "seed 0x\(String(seed, radix: 16)) (VIGIL_TEST_SEED=0x\(String(seed, radix: 16)) replays it)" }
}
