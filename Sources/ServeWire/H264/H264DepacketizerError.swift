/// Why an H.264 RTP packet could not be reassembled (RFC 6184 §5.6–5.8).
public enum H264DepacketizerError: Error, Hashable, Sendable {
    /// A packet with no payload bytes.
    case emptyPayload
    /// NAL unit type 0 or 30–31, or a mode-1-forbidden structure (STAP-B 25, MTAP 26–27, FU-B 29).
    case unsupportedPacketType(UInt8)
    /// A STAP-A whose aggregation unit sizes run past the payload, or a zero-size unit.
    case malformedAggregation
    /// A FU-A shorter than its two header bytes, with both S and E set, or with the reserved bit set.
    case malformedFragment
    /// A FU-A continuation or end arrived with no fragmented NAL unit in progress.
    case fragmentWithoutStart
    /// A FU-A start arrived while another fragmented NAL unit was still open.
    case unterminatedFragment
    /// A FU-A continuation's NAL unit type differs from that of its start.
    case fragmentTypeMismatch
    /// The sequence number skipped: at least one packet was lost or reordered.
    case sequenceGap(expected: UInt16, received: UInt16)
    /// The timestamp changed before a packet with the marker bit closed the access unit.
    case missingMarker
    /// The access unit grew beyond `H264Depacketizer.maxAccessUnitBytes`.
    case accessUnitTooLarge
}
