import NIOCore

extension Box {
    /// A table box of the sample tables (ISO/IEC 14496-12 §8.6–8.7): version and flags, a
    /// 32-bit entry_count, then entry_count entries of `entrySize` bytes each. Refused when they
    /// do not fit the box: the count comes from the file and must not decide what is allocated.
    func table(entrySize: Int) throws -> (version: UInt8, count: Int, entries: ByteBuffer) {
        var (version, _, body) = try fullBox()
        guard let count = body.readInteger(as: UInt32.self) else { throw ContainerError.malformed(type, "no entry_count") }
        guard Int(count) <= body.readableBytes / entrySize else {
            throw ContainerError.malformed(type, "\(count) entries of \(entrySize) bytes in \(body.readableBytes) bytes")
        }
        return (version, Int(count), body)
    }
}
