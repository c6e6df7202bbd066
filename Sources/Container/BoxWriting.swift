import NIOCore

/// Writing ISO BMFF boxes (ISO/IEC 14496-12 §4.2): a 32-bit size that covers the whole box,
/// the type, then the body; a full box adds a version byte and 24 bits of flags.
extension ByteBuffer {
    /// Writes a box whose body `body` writes; the size is filled in after it.
    public mutating func writeBox(_ type: FourCC, _ body: (inout ByteBuffer) -> Void) {
        let start = writerIndex
        writeInteger(UInt32(0))
        writeInteger(type.rawValue)
        body(&self)
        let size = writerIndex - start
        precondition(size <= Int(UInt32.max), "box \(type) larger than 4 GiB")
        setInteger(UInt32(size), at: start)
    }

    /// Writes a full box: version and flags, then the body.
    public mutating func writeFullBox(_ type: FourCC, version: UInt8, flags: UInt32, _ body: (inout ByteBuffer) -> Void) {
        writeBox(type) { buffer in
            buffer.writeInteger(UInt32(version) << 24 | flags & 0x00FF_FFFF)
            body(&buffer)
        }
    }

    mutating func writeZeros(_ count: Int) {
        writeRepeatingByte(0, count: count)
    }

    /// The unity transformation matrix of `mvhd` and `tkhd` (§8.2.2.3): 16.16 and 2.30 fixed point.
    mutating func writeUnityMatrix() {
        for value: UInt32 in [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] {
            writeInteger(value)
        }
    }
}
