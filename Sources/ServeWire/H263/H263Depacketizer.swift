import NIOCore

/// Reassembles H.263 pictures from RTP packets — RFC 4629 §5–6 or RFC 2190 mode A (§5.1).
/// For tests and tools: the server never depacketizes.
///
/// `push` returns a picture's bitstream (start codes restored) when a packet with the marker
/// bit completes it. A malformed packet, a sequence gap or a timestamp change without a marker
/// throws and drops the picture; packets up to its marker are then dropped silently.
public struct H263Depacketizer: Sendable {
    public enum Format: Sendable, Hashable {
        case rfc4629
        case rfc2190
    }

    /// The largest picture accepted: far above any baseline picture (16CIF intra at QP 1 is
    /// a few hundred KiB); it bounds memory when a marker never comes.
    public static let maxPictureBytes = 4 * 1024 * 1024

    public let format: Format
    private var picture: [UInt8] = []
    /// RFC 2190: the ignored low bits (EBIT) of the last byte so far.
    private var endBits = 0
    private var timestamp: UInt32?
    private var expectedSequenceNumber: UInt16?
    private var discardingUntilMarker = false

    public private(set) var droppedPictures = 0

    public init(format: Format) {
        self.format = format
    }

    public mutating func push(_ packet: RTPPacket) throws(H263DepacketizerError) -> [UInt8]? {
        let header = packet.header
        defer { expectedSequenceNumber = header.sequenceNumber &+ 1 }
        if discardingUntilMarker {
            if header.marker { discardingUntilMarker = false }
            return nil
        }
        do {
            if let expected = expectedSequenceNumber, expected != header.sequenceNumber {
                throw H263DepacketizerError.sequenceGap(expected: expected, received: header.sequenceNumber)
            }
            if let timestamp, timestamp != header.timestamp, !picture.isEmpty {
                throw H263DepacketizerError.missingMarker
            }
            timestamp = header.timestamp
            switch format {
            case .rfc4629: try consume4629(Array(packet.payload.readableBytesView))
            case .rfc2190: try consume2190(Array(packet.payload.readableBytesView))
            }
            guard picture.count <= Self.maxPictureBytes else { throw H263DepacketizerError.pictureTooLarge }
        } catch let error as H263DepacketizerError {
            drop()
            discardingUntilMarker = !header.marker
            throw error
        } catch {
            fatalError("unreachable: \(error)")
        }
        guard header.marker else { return nil }
        defer {
            picture = []
            endBits = 0
            timestamp = nil
        }
        return picture
    }

    private mutating func drop() {
        picture = []
        endBits = 0
        timestamp = nil
        droppedPictures += 1
    }

    /// RFC 4629 §5.1: RR(5) P(1) V(1) PLEN(6) PEBIT(3), then VRC (if V) and PLEN bytes of
    /// extra picture header, which a decoder does not need when the picture's own is there.
    private mutating func consume4629(_ payload: [UInt8]) throws(H263DepacketizerError) {
        guard payload.count >= 2 else { throw .truncated }
        let startCode = payload[0] & 0x04 != 0
        let vrc = payload[0] & 0x02 != 0
        let extraHeaderLength = Int(payload[0] & 0x01) << 5 | Int(payload[1] >> 3)
        let skip = 2 + (vrc ? 1 : 0) + extraHeaderLength
        guard payload.count >= skip else { throw .truncated }
        if startCode {
            picture += [0, 0]
        } else if picture.isEmpty {
            throw .followOnWithoutStart
        }
        picture += payload[skip...]
    }

    /// RFC 2190 §5.1 mode A; modes B and C (F=1) are not sent by Vigil and not read here.
    private mutating func consume2190(_ payload: [UInt8]) throws(H263DepacketizerError) {
        guard payload.count >= 4 else { throw .truncated }
        guard payload[0] & 0x80 == 0 else { throw .unsupportedMode }
        let startBits = Int(payload[0] >> 3) & 0x07
        let ignoredEndBits = Int(payload[0]) & 0x07
        var data = Array(payload[4...])
        guard !data.isEmpty else { throw .truncated }
        if startBits > 0 {
            // The first byte's top SBIT bits were sent at the end of the last packet (EBIT).
            guard !picture.isEmpty, startBits + endBits == 8 else { throw .bitMismatch }
            picture[picture.count - 1] |= data[0] & UInt8(0xFF >> startBits)
            data.removeFirst()
        } else if endBits != 0 {
            throw .bitMismatch
        }
        picture += data
        endBits = ignoredEndBits
    }
}
