import NIOCore

/// RTCP sender report — RFC 3550 §6.4.1 (PT 200).
///
/// ```
///         0                   1                   2                   3
///         0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// header |V=2|P|    RC   |   PT=SR=200   |             length            |
///        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///        |                         SSRC of sender                        |
///        +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
/// sender |              NTP timestamp, most significant word             |
/// info   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///        |             NTP timestamp, least significant word             |
///        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///        |                         RTP timestamp                         |
///        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///        |                     sender's packet count                     |
///        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///        |                      sender's octet count                     |
///        +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
///        |                 report blocks (RC × 24 bytes)                 |
///        +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
///        |                  profile-specific extensions                  |
/// ```
public struct SenderReport: Hashable, Sendable {
    public static let packetType: UInt8 = 200
    /// SSRC + sender info, before the report blocks.
    static let fixedBodySize = 24

    public var ssrc: UInt32
    public var ntp: NTPTimestamp
    public var rtpTimestamp: UInt32
    public var packetCount: UInt32
    public var octetCount: UInt32
    public var reports: [ReceptionReport]

    public init(
        ssrc: UInt32, ntp: NTPTimestamp, rtpTimestamp: UInt32, packetCount: UInt32, octetCount: UInt32,
        reports: [ReceptionReport] = []
    ) {
        self.ssrc = ssrc
        self.ntp = ntp
        self.rtpTimestamp = rtpTimestamp
        self.packetCount = packetCount
        self.octetCount = octetCount
        self.reports = reports
    }

    /// Writes the body after the common header (the caller writes RC = `reports.count`).
    func writeBody(into buffer: inout ByteBuffer) {
        buffer.writeInteger(ssrc)
        buffer.writeInteger(ntp.seconds)
        buffer.writeInteger(ntp.fraction)
        buffer.writeInteger(rtpTimestamp)
        buffer.writeInteger(packetCount)
        buffer.writeInteger(octetCount)
        for report in reports { report.write(into: &buffer) }
    }

    /// Parses the body; profile-specific extensions after the report blocks are ignored.
    init?(body: ByteBuffer, reportCount: Int) {
        var body = body
        guard
            let ssrc = body.readInteger(as: UInt32.self),
            let seconds = body.readInteger(as: UInt32.self),
            let fraction = body.readInteger(as: UInt32.self),
            let rtp = body.readInteger(as: UInt32.self),
            let packets = body.readInteger(as: UInt32.self),
            let octets = body.readInteger(as: UInt32.self)
        else { return nil }
        var reports: [ReceptionReport] = []
        for _ in 0..<reportCount {
            guard let report = ReceptionReport.read(from: &body) else { return nil }
            reports.append(report)
        }
        self.init(
            ssrc: ssrc, ntp: NTPTimestamp(seconds: seconds, fraction: fraction), rtpTimestamp: rtp,
            packetCount: packets, octetCount: octets, reports: reports
        )
    }
}
