import NIOCore

/// RTP payload for AAC — RFC 3640 (mpeg4-generic) in AAC-hbr mode (§3.3.6): every packet
/// starts with a 16-bit AU-headers-length (in bits) and one 16-bit AU-header per access unit,
/// a 13-bit AU-size and a 3-bit AU-Index (delta) of zero.
///
/// One access unit (one AAC frame of 1024 samples) per packet, so the timestamp of each packet
/// is its own frame's. An access unit larger than a packet is fragmented (§3.2.3.2): every
/// fragment carries the same AU-header with the whole AU's size, and the marker bit is set on
/// the last one only; whole units carry the marker (§3.2.1: "set to 1 to indicate that the
/// RTP packet payload contains either the final fragment of a fragmented Access Unit or one
/// or more complete Access Units").
public struct AACPacketizer: RTPPacketizer {
    private var sequencer: RTPPacketSequencer
    private let allocator: ByteBufferAllocator
    /// RTP ticks of one access unit (1024 for AAC-LC at the sampling rate as the RTP clock).
    public let samplesPerUnit: UInt32

    public var payloadType: UInt8 { sequencer.payloadType }
    public var ssrc: UInt32 { sequencer.ssrc }
    public var nextSequenceNumber: UInt16 { sequencer.nextSequenceNumber }
    public var packetCount: UInt32 { sequencer.packetCount }
    public var octetCount: UInt32 { sequencer.octetCount }

    /// The AU-headers-length field and one AU-header: 4 bytes before the data.
    static let headerBytes = 4
    /// 13 bits of AU-size.
    static let maximumUnitSize = (1 << 13) - 1

    public init(
        payloadType: UInt8, ssrc: UInt32, initialSequenceNumber: UInt16, mtu: Int = 1400, headroom: Int = 0,
        samplesPerUnit: UInt32 = 1024, allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) {
        self.sequencer = RTPPacketSequencer(
            payloadType: payloadType, ssrc: ssrc, initialSequenceNumber: initialSequenceNumber, mtu: mtu, headroom: headroom)
        self.samplesPerUnit = samplesPerUnit
        self.allocator = allocator
    }

    /// Each part is one access unit (raw, without ADTS header); `timestamp` is the RTP time
    /// of the first. A unit over 8191 bytes cannot be described by a 13-bit size and is left
    /// out (no AAC encoder makes one: the largest AAC frame is 6144 bits per channel).
    public mutating func packetize(parts: [[UInt8]], timestamp: UInt32, into packets: inout [ByteBuffer]) {
        var unitTime = timestamp
        for part in parts {
            defer { unitTime &+= samplesPerUnit }
            guard !part.isEmpty, part.count <= Self.maximumUnitSize else { continue }
            let room = sequencer.maxPayloadSize - Self.headerBytes
            var start = 0
            while start < part.count {
                let end = min(part.count, start + room)
                var packet = sequencer.startPacket(
                    payloadSize: Self.headerBytes + end - start, marker: end == part.count, timestamp: unitTime, allocator: allocator)
                packet.writeInteger(UInt16(16))  // AU-headers-length: one 16-bit header
                packet.writeInteger(UInt16(part.count << 3))  // AU-size, AU-Index 0
                packet.writeBytes(part[start..<end])
                packets.append(packet)
                start = end
            }
        }
    }
}

/// SDP side of AAC over RTP (RFC 3640 §4.1, mode AAC-hbr).
public enum AACFormat {
    public static let encodingName = "mpeg4-generic"

    /// `a=fmtp` for AAC-hbr: stream type 5 (audio), the AudioSpecificConfig in hex, 13/3/3-bit
    /// size, index and index-delta fields (§3.3.6).
    public static func formatParameters(audioSpecificConfig: [UInt8]) -> String {
        let hex = audioSpecificConfig.map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
        }.joined()
        return "streamtype=5;profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=\(hex)"
    }

    /// The sampling rate and channel count an AudioSpecificConfig names (ISO/IEC 14496-3
    /// §1.6.2.1: 5 bits object type, 4 bits frequency index or 24 bits of rate, 4 bits channel
    /// configuration); nil when it is too short or names a reserved index.
    public static func describe(audioSpecificConfig config: [UInt8]) -> (sampleRate: Int, channels: Int)? {
        var reader = BitCursor(config)
        guard var objectType = reader.read(5) else { return nil }
        if objectType == 31 {
            guard let extended = reader.read(6) else { return nil }
            objectType = 32 + extended
        }
        guard let index = reader.read(4) else { return nil }
        let rates = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350]
        let rate: Int
        if index == 15 {
            guard let explicit = reader.read(24) else { return nil }
            rate = explicit
        } else {
            guard index < rates.count else { return nil }
            rate = rates[index]
        }
        guard let channels = reader.read(4), rate > 0 else { return nil }
        return (rate, channels)
    }
}

/// Reads bits most significant first.
struct BitCursor {
    let bytes: [UInt8]
    var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func read(_ count: Int) -> Int? {
        guard position + count <= bytes.count * 8 else { return nil }
        var value = 0
        for _ in 0..<count {
            let bit = Int(bytes[position >> 3] >> (7 - UInt8(position & 7))) & 1
            value = value << 1 | bit
            position += 1
        }
        return value
    }
}
