import NIOCore

/// RTCP BYE — RFC 3550 §6.6 (PT 203).
///
/// ```
///        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///        |V=2|P|    SC   |   PT=BYE=203  |             length            |
///        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///        |                           SSRC/CSRC                           |
///        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///        :                              ...                              :
///        +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
/// (opt)  |     length    |               reason for leaving            ...
///        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
/// The reason is padded with null octets to a 32-bit boundary.
public struct Goodbye: Hashable, Sendable {
    public static let packetType: UInt8 = 203
    /// The reason's length field is one octet.
    public static let maxReasonBytes = 255

    public var ssrcs: [UInt32]
    public var reason: String?

    public init(ssrcs: [UInt32], reason: String?) {
        self.ssrcs = ssrcs
        self.reason = reason
    }

    func writeBody(into buffer: inout ByteBuffer) {
        for ssrc in ssrcs { buffer.writeInteger(ssrc) }
        guard let reason else { return }
        let text = reason.utf8Prefix(maxBytes: Self.maxReasonBytes)
        buffer.writeInteger(UInt8(text.count))
        buffer.writeBytes(text)
        let used = 1 + text.count
        buffer.writeRepeatingByte(0, count: (4 - used % 4) % 4)
    }

    init?(body: ByteBuffer, sourceCount: Int) {
        var body = body
        var ssrcs: [UInt32] = []
        for _ in 0..<sourceCount {
            guard let ssrc = body.readInteger(as: UInt32.self) else { return nil }
            ssrcs.append(ssrc)
        }
        var reason: String?
        if let length = body.readInteger(as: UInt8.self) {
            guard let text = body.readBytes(length: Int(length)) else { return nil }
            reason = String(decoding: text, as: UTF8.self)
        }
        self.init(ssrcs: ssrcs, reason: reason)
    }
}
