import NIOCore
import XCTest

@testable import Serve
import TestSeeds

/// `DatagramBatch.make`: the kernel cuts each batch every `segmentSize` bytes, so every batch
/// must be equal-size packets with at most one shorter packet last, and cutting must give the
/// packets back exactly, in order.
final class DatagramBatchTests: XCTestCase {
    /// Packet sizes in, batches out (sizes of the packets in each batch).
    static let vectors: [(name: String, sizes: [Int], batches: [[Int]])] = [
        ("one small packet (audio, a P slice under the MTU)", [180], [[180]]),
        ("x264 P picture split at MTU 1400", [1400, 1400, 1400, 611], [[1400, 1400, 1400, 611]]),
        ("x264 IDR: SPS, PPS, then the slice in FU-A fragments", [30, 8, 1400, 1400, 1400, 97], [[30, 8], [1400, 1400, 1400, 97]]),
        ("a longer packet starts a new batch", [500, 1400, 1400], [[500], [1400, 1400]]),
        ("two NAL units, each fragmented", [1400, 1400, 20, 1400, 5], [[1400, 1400, 20], [1400, 5]]),
        ("no more than 64 KiB in one send: 46 × 1400", Array(repeating: 1400, count: 50), [Array(repeating: 1400, count: 46), Array(repeating: 1400, count: 4)]),
        ("no more than 64 segments", Array(repeating: 200, count: 70), [Array(repeating: 200, count: 64), Array(repeating: 200, count: 6)]),
    ]

    func testVectors() {
        for vector in Self.vectors {
            let packets = Self.packets(vector.sizes)
            var batches: [DatagramBatch] = []
            DatagramBatch.make(from: packets, allocator: ByteBufferAllocator(), into: &batches)
            XCTAssertEqual(batches.map { Self.cut($0).map(\.readableBytes) }, vector.batches, vector.name)
            XCTAssertEqual(Self.cut(batches), packets, "\(vector.name): cutting gives the packets back")
            for batch in batches {
                XCTAssertEqual(batch.segmentSize == nil, batch.packetCount == 1, vector.name)
            }
        }
    }

    /// Seeded random units: the invariant holds and every batch obeys the kernel's limits.
    func testRandomUnitsCutBackToTheirPackets() {
        let seed = TestSeed.value(default: 0x7155)
        var generator = SeededRandom(seed: seed)
        for _ in 0..<500 {
            let sizes = (0..<Int.random(in: 1...120, using: &generator)).map { _ in
                Bool.random(using: &generator) ? 1400 : Int.random(in: 13...1400, using: &generator)
            }
            let packets = Self.packets(sizes)
            var batches: [DatagramBatch] = []
            DatagramBatch.make(from: packets, allocator: ByteBufferAllocator(), into: &batches)
            XCTAssertEqual(Self.cut(batches), packets, "sizes \(sizes), \(TestSeed.describe(seed))")
            for batch in batches {
                XCTAssertLessThanOrEqual(batch.packetCount, DatagramBatch.maxSegments)
                XCTAssertLessThanOrEqual(batch.buffer.readableBytes, DatagramBatch.maxBytes)
            }
        }
    }

    /// Packets whose bytes say where they came from (index and offset).
    static func packets(_ sizes: [Int]) -> [ByteBuffer] {
        sizes.enumerated().map { index, size in
            var buffer = ByteBuffer()
            // Headroom in front, as the packetizer leaves for the interleaved header.
            buffer.writeBytes([0, 0, 0, 0])
            buffer.moveReaderIndex(forwardBy: 4)
            buffer.writeBytes((0..<size).map { UInt8(truncatingIfNeeded: index &* 31 &+ $0) })
            return buffer
        }
    }

    /// What the kernel sends for a batch: its buffer cut every `segmentSize` bytes.
    static func cut(_ batch: DatagramBatch) -> [ByteBuffer] {
        guard let size = batch.segmentSize else { return [batch.buffer] }
        var buffer = batch.buffer
        var out: [ByteBuffer] = []
        while buffer.readableBytes > 0 {
            out.append(buffer.readSlice(length: min(size, buffer.readableBytes))!)
        }
        return out
    }

    static func cut(_ batches: [DatagramBatch]) -> [ByteBuffer] { batches.flatMap { cut($0) } }
}
