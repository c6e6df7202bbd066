import NIOCore

/// Packets of one unit that go to a UDP viewer in one write: a run of equal-size packets
/// (the full FU-A fragments of a NAL unit) and at most one shorter packet after them, copied
/// back to back into one buffer that the kernel cuts every `segmentSize` bytes (UDP generic
/// segmentation offload, `UDP_SEGMENT`, Linux 4.18+). Built once per unit and shared by every
/// UDP viewer, it turns one datagram write per packet and viewer into one per batch and viewer;
/// on a NIC with USO the cutting is done in hardware. A batch of one packet is that packet
/// itself, sent as a plain datagram (no copy).
struct DatagramBatch {
    var buffer: ByteBuffer
    /// The size of every datagram in `buffer` but the last; nil for a single datagram.
    var segmentSize: Int?
    var packetCount: Int

    /// Linux takes at most 64 segments per send (`UDP_MAX_SEGMENTS`, 128 on newer kernels).
    static let maxSegments = 64
    /// The largest UDP payload of one IPv4 datagram: 65535 − 20 (IP header) − 8 (UDP header).
    static let maxBytes = 65_507

    /// Cuts `packets` (in sending order) into batches, appended to `batches`.
    static func make(from packets: [ByteBuffer], allocator: ByteBufferAllocator, into batches: inout [DatagramBatch]) {
        var start = 0
        while start < packets.count {
            let size = packets[start].readableBytes
            var end = start + 1
            var total = size
            // Every packet in the batch but the last has `size` bytes; the last may be shorter.
            while end < packets.count, end - start < maxSegments,
                packets[end].readableBytes <= size, total + packets[end].readableBytes <= maxBytes
            {
                total += packets[end].readableBytes
                end += 1
                if packets[end - 1].readableBytes < size { break }
            }
            if end - start == 1 {
                batches.append(DatagramBatch(buffer: packets[start], segmentSize: nil, packetCount: 1))
            } else {
                var buffer = allocator.buffer(capacity: total)
                for packet in packets[start..<end] {
                    _ = buffer.writeImmutableBuffer(packet)
                }
                batches.append(DatagramBatch(buffer: buffer, segmentSize: size, packetCount: end - start))
            }
            start = end
        }
    }
}
