import NIOCore

/// Reassembles H.264 access units from RTP packets — RFC 6184 §5.6–5.8, packetization-mode=1.
/// For tests and tools: the server never depacketizes.
///
/// `push` returns the NAL units of an access unit when a packet with the marker bit completes
/// it. When a packet is malformed, or the sequence numbers or timestamps show that part of the
/// access unit is missing, `push` throws; the damaged access unit is dropped, the packets that
/// still belong to it (up to and including the next marker) are dropped silently, and
/// reassembly resumes with the packet after that marker.
public struct H264Depacketizer: Sendable {
    /// No sane access unit is larger (a 4K intra picture at high quality is a few MiB); the bound
    /// keeps a stream that never sets the marker bit from growing memory without limit.
    public static let maxAccessUnitBytes = 16 * 1024 * 1024

    private var nalUnits: [[UInt8]] = []
    private var accessUnitBytes = 0
    /// The NAL unit being rebuilt from FU-A fragments.
    private var fragment: [UInt8]?
    private var timestamp: UInt32?
    private var expectedSequenceNumber: UInt16?
    /// Set after an error: drop packets until the marker that ends the damaged access unit.
    private var discardingUntilMarker = false

    /// Access units dropped because of errors.
    public private(set) var droppedAccessUnits = 0

    public init() {}

    public mutating func push(_ packet: RTPPacket) throws -> [[UInt8]]? {
        let header = packet.header
        defer { expectedSequenceNumber = header.sequenceNumber &+ 1 }

        if discardingUntilMarker {
            if header.marker { discardingUntilMarker = false }
            return nil
        }
        do {
            if let expected = expectedSequenceNumber, expected != header.sequenceNumber {
                throw H264DepacketizerError.sequenceGap(expected: expected, received: header.sequenceNumber)
            }
            if let timestamp, timestamp != header.timestamp, !nalUnits.isEmpty || fragment != nil {
                throw H264DepacketizerError.missingMarker
            }
            timestamp = header.timestamp
            try consume(packet.payload)
        } catch {
            dropAccessUnit()
            discardingUntilMarker = !header.marker
            throw error
        }

        guard header.marker else { return nil }
        if fragment != nil {
            // The marker closed the access unit in the middle of a fragmented NAL unit.
            dropAccessUnit()
            throw H264DepacketizerError.unterminatedFragment
        }
        let accessUnit = nalUnits
        nalUnits = []
        accessUnitBytes = 0
        timestamp = nil
        return accessUnit
    }

    private mutating func dropAccessUnit() {
        nalUnits = []
        accessUnitBytes = 0
        fragment = nil
        timestamp = nil
        droppedAccessUnits += 1
    }

    private mutating func append(_ nal: [UInt8]) throws(H264DepacketizerError) {
        accessUnitBytes += nal.count
        guard accessUnitBytes <= Self.maxAccessUnitBytes else { throw .accessUnitTooLarge }
        nalUnits.append(nal)
    }

    private mutating func consume(_ payload: ByteBuffer) throws(H264DepacketizerError) {
        var payload = payload
        guard let first = payload.getInteger(at: payload.readerIndex, as: UInt8.self) else { throw .emptyPayload }
        let type = H264NALUnit.type(first)
        if fragment != nil && type != H264NALUnit.fuA { throw .unterminatedFragment }

        switch type {
        case H264NALUnit.singleNALUnitTypes:
            try append(payload.readBytes(length: payload.readableBytes)!)

        case H264NALUnit.stapA:
            // |STAP-A NAL HDR |  NALU 1 Size (16)  | NALU 1 HDR | NALU 1 Data ... | NALU 2 Size ...
            payload.moveReaderIndex(forwardBy: 1)
            guard payload.readableBytes > 0 else { throw .malformedAggregation }
            while payload.readableBytes > 0 {
                guard
                    let size = payload.readInteger(as: UInt16.self), size > 0,
                    let nal = payload.readBytes(length: Int(size))
                else { throw .malformedAggregation }
                try append(nal)
            }

        case H264NALUnit.fuA:
            // | FU indicator: F|NRI|Type=28 | FU header: S|E|R|Type | FU payload ... |
            guard
                let indicator = payload.readInteger(as: UInt8.self),
                let fuHeader = payload.readInteger(as: UInt8.self)
            else { throw .malformedFragment }
            let isStart = fuHeader & H264Packetizer.fuStartBit != 0
            let isEnd = fuHeader & H264Packetizer.fuEndBit != 0
            let reservedBit: UInt8 = 0x20
            guard !(isStart && isEnd), fuHeader & reservedBit == 0 else { throw .malformedFragment }
            let nalType = H264NALUnit.type(fuHeader)
            let data = payload.readBytes(length: payload.readableBytes)!

            if isStart {
                guard fragment == nil else { throw .unterminatedFragment }
                let nalHeader = (indicator & (H264NALUnit.forbiddenBitMask | H264NALUnit.nriMask)) | nalType
                fragment = [nalHeader] + data
            } else {
                guard var open = fragment else { throw .fragmentWithoutStart }
                guard H264NALUnit.type(open[0]) == nalType else { throw .fragmentTypeMismatch }
                guard accessUnitBytes + open.count + data.count <= Self.maxAccessUnitBytes else {
                    throw .accessUnitTooLarge
                }
                fragment = nil  // keep `open` uniquely referenced while it grows
                open += data
                if isEnd {
                    try append(open)
                } else {
                    fragment = open
                }
            }

        default:
            throw .unsupportedPacketType(type)
        }
    }
}
