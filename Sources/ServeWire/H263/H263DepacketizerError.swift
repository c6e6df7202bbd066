/// Why an H.263 RTP packet could not be reassembled (RFC 4629 §5, RFC 2190 §5.1).
public enum H263DepacketizerError: Error, Hashable, Sendable {
    /// Shorter than its payload header (or than the extra picture header it announces).
    case truncated
    /// RFC 2190 mode B or C (F=1).
    case unsupportedMode
    /// RFC 4629: a packet with P=0 and no picture under way.
    case followOnWithoutStart
    /// RFC 2190: SBIT of this packet and EBIT of the last do not make a whole byte.
    case bitMismatch
    case sequenceGap(expected: UInt16, received: UInt16)
    case missingMarker
    case pictureTooLarge
}
