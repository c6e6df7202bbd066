/// What the first byte of an Opus packet says about its length in time — RFC 6716 §3.1–3.2.
///
/// ```
///  0 1 2 3 4 5 6 7
/// +-+-+-+-+-+-+-+-+
/// | config  |s| c |     TOC byte (§3.1)
/// +-+-+-+-+-+-+-+-+
/// ```
/// `config` picks mode, bandwidth and frame size (Table 2), `c` the frame count code. A packet
/// with code 3 gives its frame count in the next byte (§3.2.5):
/// ```
/// |v|p|     M     |
/// ```
public enum OpusPacket {
    /// RFC 6716 §3.2.5 (R5): no packet lasts longer than 120 ms, 5760 samples at 48 kHz.
    public static let maximumDuration = 5760

    /// Samples at 48 kHz in one frame of TOC configuration `config` (RFC 6716 §3.1 Table 2).
    public static func frameDuration(config: UInt8) -> Int {
        switch config {
        // SILK-only, NB/MB/WB: 10, 20, 40, 60 ms.
        case 0...11: return [480, 960, 1920, 2880][Int(config % 4)]
        // Hybrid, SWB/FB: 10, 20 ms.
        case 12...15: return [480, 960][Int(config % 2)]
        // CELT-only, NB/WB/SWB/FB: 2.5, 5, 10, 20 ms.
        default: return [120, 240, 480, 960][Int(config % 4)]
        }
    }

    /// Frames in `packet`: code 0 one, codes 1 and 2 two, code 3 the count M (§3.2). Nil for
    /// what is no Opus packet: empty (§3.4 R1), code 3 without its count byte, or M = 0 (R5).
    public static func frameCount(_ packet: some Collection<UInt8>) -> Int? {
        guard let toc = packet.first else { return nil }
        switch toc & 0x03 {
        case 0: return 1
        case 1, 2: return 2
        default:
            guard let countByte = packet.dropFirst().first else { return nil }
            let count = Int(countByte & 0x3F)
            return count == 0 ? nil : count
        }
    }

    /// The packet's duration in samples at 48 kHz (the RTP and MP4 clock of Opus), or nil for
    /// what is no Opus packet (see `frameCount`, and longer than 120 ms).
    public static func duration(of packet: some Collection<UInt8>) -> Int? {
        guard let toc = packet.first, let count = frameCount(packet) else { return nil }
        let duration = count * frameDuration(config: toc >> 3)
        return duration <= maximumDuration ? duration : nil
    }
}
