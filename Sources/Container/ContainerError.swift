/// Why bytes are not the ISO BMFF file a reader expected.
public enum ContainerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A box's size runs past the end of what was read (a torn write, a truncated file).
    case truncatedBox(type: FourCC, at: Int, size: UInt64, available: Int)
    /// A size smaller than the box header, or a 64-bit size that cannot be.
    case badBoxSize(at: Int, size: UInt64)
    /// A box that must be there is not.
    case missingBox(FourCC, in: String)
    /// A box whose fields are shorter than its version needs, or contradict each other.
    case malformed(FourCC, String)
    /// A codec or box version the reader does not take.
    case unsupported(String)
    /// SPS/PPS that cannot be what they claim.
    case badParameterSets(String)

    public var description: String {
        switch self {
        case .truncatedBox(let type, let at, let size, let available):
            return "box \(type) at byte \(at) says \(size) bytes, only \(available) there"
        case .badBoxSize(let at, let size): return "box at byte \(at) has an impossible size \(size)"
        case .missingBox(let type, let place): return "no \(type) box in \(place)"
        case .malformed(let type, let why): return "box \(type): \(why)"
        case .unsupported(let what): return "not supported: \(what)"
        case .badParameterSets(let why): return "H.264 parameter sets: \(why)"
        }
    }
}
