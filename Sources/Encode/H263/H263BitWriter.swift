/// Big-endian bit writer for H.263 syntax: codes are appended MSB first (ITU-T H.263 §5).
///
/// Bits gather in a 64-bit accumulator and leave it a byte at a time, so a whole picture is
/// written with one growing array and no per-code allocation.
struct H263BitWriter {
    private(set) var bytes: [UInt8] = []
    private var accumulator: UInt64 = 0
    /// Bits waiting in `accumulator` (always < 8 between calls).
    private var pending = 0

    init(capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    /// Bits written so far.
    var bitCount: Int { bytes.count * 8 + pending }

    var isByteAligned: Bool { pending == 0 }

    /// Appends the low `count` bits of `value` (count ≤ 32).
    @inline(__always)
    mutating func write(_ value: UInt32, count: Int) {
        accumulator = (accumulator << UInt64(count)) | UInt64(value & UInt32(truncatingIfNeeded: (UInt64(1) << UInt64(count)) - 1))
        pending += count
        while pending >= 8 {
            pending -= 8
            bytes.append(UInt8(truncatingIfNeeded: accumulator >> UInt64(pending)))
        }
    }

    @inline(__always)
    mutating func write(bit: Bool) { write(bit ? 1 : 0, count: 1) }

    /// Zero bits up to the next byte boundary: PSTUF/GSTUF (§5.1.26, §5.2.1), so that start
    /// codes sit on byte boundaries where RFC 4629 and RFC 2190 packets can begin.
    mutating func alignWithZeros() {
        if pending > 0 { write(0, count: 8 - pending) }
    }

    /// Takes the written bytes, leaving the writer empty (call when byte-aligned).
    mutating func take() -> [UInt8] {
        precondition(pending == 0, "take() needs a byte-aligned writer")
        defer { bytes = []; accumulator = 0 }
        return bytes
    }
}
