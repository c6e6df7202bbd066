import NIOCore

/// One report block of a sender or receiver report — RFC 3550 §6.4.1.
///
/// ```
/// +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
/// |                 SSRC_1 (SSRC of first source)                 |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// | fraction lost |       cumulative number of packets lost       |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |           extended highest sequence number received           |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                      interarrival jitter                      |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                         last SR (LSR)                         |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                   delay since last SR (DLSR)                  |
/// +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
/// ```
public struct ReceptionReport: Hashable, Sendable {
    /// Bytes in one report block.
    public static let size = 24
    /// The cumulative loss is a 24-bit two's-complement number on the wire; larger values are
    /// clamped (RFC 3550 §6.4.1: "clamped at 0x7fffff for positive loss or 0x800000 for negative").
    public static let cumulativeLostRange: ClosedRange<Int32> = -0x80_0000...0x7F_FFFF

    public var ssrc: UInt32
    public var fractionLost: UInt8
    /// Packets lost since the beginning of reception; negative when duplicates outnumber losses.
    public var cumulativeLost: Int32
    public var highestSequence: UInt32
    public var jitter: UInt32
    /// Middle 32 bits of the NTP timestamp of the last SR received (`NTPTimestamp.middle32`), or 0.
    public var lastSenderReport: UInt32
    /// Delay between receiving that SR and sending this block, in units of 1/65536 s.
    public var delaySinceLastSenderReport: UInt32

    public init(
        ssrc: UInt32, fractionLost: UInt8, cumulativeLost: Int32, highestSequence: UInt32, jitter: UInt32,
        lastSenderReport: UInt32, delaySinceLastSenderReport: UInt32
    ) {
        self.ssrc = ssrc
        self.fractionLost = fractionLost
        self.cumulativeLost = cumulativeLost
        self.highestSequence = highestSequence
        self.jitter = jitter
        self.lastSenderReport = lastSenderReport
        self.delaySinceLastSenderReport = delaySinceLastSenderReport
    }

    func write(into buffer: inout ByteBuffer) {
        let lost = min(max(cumulativeLost, Self.cumulativeLostRange.lowerBound), Self.cumulativeLostRange.upperBound)
        buffer.writeInteger(ssrc)
        buffer.writeInteger(UInt32(fractionLost) << 24 | UInt32(bitPattern: lost) & 0xFF_FFFF)
        buffer.writeInteger(highestSequence)
        buffer.writeInteger(jitter)
        buffer.writeInteger(lastSenderReport)
        buffer.writeInteger(delaySinceLastSenderReport)
    }

    /// Reads one block; nil when fewer than 24 bytes remain.
    static func read(from buffer: inout ByteBuffer) -> ReceptionReport? {
        guard
            let ssrc = buffer.readInteger(as: UInt32.self),
            let lossWord = buffer.readInteger(as: UInt32.self),
            let highest = buffer.readInteger(as: UInt32.self),
            let jitter = buffer.readInteger(as: UInt32.self),
            let lsr = buffer.readInteger(as: UInt32.self),
            let dlsr = buffer.readInteger(as: UInt32.self)
        else { return nil }
        // Sign-extend the low 24 bits: shift them to the top of an Int32 and back.
        let lost = Int32(bitPattern: lossWord << 8) >> 8
        return ReceptionReport(
            ssrc: ssrc, fractionLost: UInt8(lossWord >> 24), cumulativeLost: lost, highestSequence: highest,
            jitter: jitter, lastSenderReport: lsr, delaySinceLastSenderReport: dlsr
        )
    }
}
