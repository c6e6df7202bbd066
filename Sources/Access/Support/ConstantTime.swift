/// Comparisons whose running time depends only on the lengths of their inputs, never on where
/// they first differ, so an attacker timing refusals learns nothing about a secret's bytes.
/// Lengths are public here (a hash or an HA1 has a fixed length per algorithm).
enum ConstantTime {
    static func equal<A: Collection<UInt8>, B: Collection<UInt8>>(_ a: A, _ b: B) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}
