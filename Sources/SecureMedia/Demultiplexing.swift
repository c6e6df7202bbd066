/// Telling the packets apart on the one UDP port WebRTC uses for everything — RFC 7983 §7
/// (which updates RFC 5764 §5.1.2) by the first byte, and RFC 5761 §4 for RTP beside RTCP:
///
///                  +----------------+
///                  |        [0..3] -+--> STUN (ICE.STUNMessage.looksLikeSTUN)
///                  |      [20..63] -+--> DTLS
///      packet -->  |    [128..191] -+--> RTP/RTCP
///                  +----------------+
public enum MediaDemultiplexing {
    /// RFC 7983 §7: a first byte of 20–63 is a DTLS record (content types 20–23 today).
    public static func looksLikeDTLS(_ bytes: some Collection<UInt8>) -> Bool {
        guard let first = bytes.first else { return false }
        return (20...63).contains(first)
    }

    /// RFC 7983 §7: a first byte of 128–191 is RTP or RTCP (version 2).
    public static func looksLikeRTPOrRTCP(_ bytes: some Collection<UInt8>) -> Bool {
        guard let first = bytes.first else { return false }
        return (128...191).contains(first)
    }

    /// RFC 5761 §4: with RTP and RTCP on one port, a second byte of 192–223 is an RTCP packet
    /// type (SR 200, RR 201, SDES 202, BYE 203, APP 204, RTPFB 205, PSFB 206); RTP payload types
    /// 64–95 would collide with them and are not used. Call only on `looksLikeRTPOrRTCP` bytes.
    public static func isRTCP(_ bytes: some Collection<UInt8>) -> Bool {
        guard bytes.count >= 2 else { return false }
        return (192...223).contains(bytes[bytes.index(after: bytes.startIndex)])
    }
}
