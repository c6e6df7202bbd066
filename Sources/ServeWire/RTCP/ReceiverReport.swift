import NIOCore

/// RTCP receiver report — RFC 3550 §6.4.2 (PT 201).
///
/// ```
///        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// header |V=2|P|    RC   |   PT=RR=201   |             length            |
///        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///        |                     SSRC of packet sender                     |
///        +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
///        |                 report blocks (RC × 24 bytes)                 |
///        +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
///        |                  profile-specific extensions                  |
/// ```
public struct ReceiverReport: Hashable, Sendable {
    public static let packetType: UInt8 = 201

    public var ssrc: UInt32
    public var reports: [ReceptionReport]

    public init(ssrc: UInt32, reports: [ReceptionReport]) {
        self.ssrc = ssrc
        self.reports = reports
    }

    func writeBody(into buffer: inout ByteBuffer) {
        buffer.writeInteger(ssrc)
        for report in reports { report.write(into: &buffer) }
    }

    init?(body: ByteBuffer, reportCount: Int) {
        var body = body
        guard let ssrc = body.readInteger(as: UInt32.self) else { return nil }
        var reports: [ReceptionReport] = []
        for _ in 0..<reportCount {
            guard let report = ReceptionReport.read(from: &body) else { return nil }
            reports.append(report)
        }
        self.init(ssrc: ssrc, reports: reports)
    }
}
