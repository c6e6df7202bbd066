import NIOCore

/// Common shape of payload-format packetizers: deterministic values whose SSRC and first
/// sequence number are init parameters (drawn at random by the composition root, RFC 3550
/// §5.1), with the counters a sender report needs (RFC 3550 §6.4.1).
public protocol RTPPacketizer: Sendable {
    var payloadType: UInt8 { get }
    var ssrc: UInt32 { get }
    /// The sequence number the next packet will carry.
    var nextSequenceNumber: UInt16 { get }
    /// RTP packets produced so far (the SR "sender's packet count", wrapping).
    var packetCount: UInt32 { get }
    /// Payload octets produced so far, headers excluded (the SR "sender's octet count", wrapping).
    var octetCount: UInt32 { get }
    /// Appends one RTP packet per element to `packets`. Each buffer has `headroom` writable bytes
    /// reserved BEFORE its readerIndex (readerIndex == headroom, readable bytes = exactly the RTP
    /// packet), so a caller can later fill an RFC 2326 §10.12 interleaved header there without
    /// copying.
    mutating func packetize(parts: [[UInt8]], timestamp: UInt32, into packets: inout [ByteBuffer])
}
