import MediaCore

/// SDP side of G.711 — RFC 3551 §4.5.14 and Table 4: encoding names, static payload types,
/// rtpmap strings.
public enum G711Format {
    /// RFC 3551 Table 4: PCMU is PT 0 and PCMA is PT 8, both at 8000 Hz, one channel.
    public static let pcmuStaticPayloadType: UInt8 = 0
    public static let pcmaStaticPayloadType: UInt8 = 8
    /// The only rate and channel count the static payload types describe.
    public static let staticClockRate = 8000
    public static let staticChannels = 1

    /// "PCMU" or "PCMA" (RFC 3551 §4.5.14), nil for a codec that is not G.711.
    public static func encodingName(for codec: MediaCodec) -> String? {
        switch codec {
        case .pcmu: "PCMU"
        case .pcma: "PCMA"
        case .h264, .h263, .opus, .aac: nil
        }
    }

    /// The static payload type when one applies (8 kHz mono), else nil: use a dynamic one (96–127).
    public static func staticPayloadType(for codec: MediaCodec, sampleRate: Int, channels: Int = 1) -> UInt8? {
        guard sampleRate == staticClockRate, channels == staticChannels else { return nil }
        switch codec {
        case .pcmu: return pcmuStaticPayloadType
        case .pcma: return pcmaStaticPayloadType
        case .h264, .h263, .opus, .aac: return nil
        }
    }

    /// The rtpmap value after the payload type (RFC 4566 §6): "PCMU/8000", or "PCMA/16000/2".
    public static func rtpmap(for codec: MediaCodec, sampleRate: Int, channels: Int = 1) -> String? {
        guard let name = encodingName(for: codec) else { return nil }
        return channels == 1 ? "\(name)/\(sampleRate)" : "\(name)/\(sampleRate)/\(channels)"
    }
}
