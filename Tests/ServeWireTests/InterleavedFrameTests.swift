import NIOCore
import XCTest
@testable import ServeWire

final class InterleavedFrameTests: XCTestCase {
    func testWriteHeaderAndFrame() {
        var buffer = ByteBuffer()
        InterleavedFrame.writeHeader(channel: 1, length: 0x0123, into: &buffer)
        XCTAssertEqual(buffer.bytes, [
            0x24,  // '$'
            0x01,  // channel 1 (RTCP of the first stream)
            0x01, 0x23,  // length 291
        ])
        var frame = ByteBuffer()
        InterleavedFrame(channel: 2, payload: ByteBuffer(bytes: [9, 8])).write(into: &frame)
        XCTAssertEqual(frame.bytes, [0x24, 0x02, 0x00, 0x02, 9, 8])
    }

    func testPrependHeaderUsesHeadroom() {
        var packet = ByteBuffer()
        packet.writeBytes([0, 0, 0, 0, 0xAA, 0xBB])
        packet.moveReaderIndex(forwardBy: 4)
        XCTAssertTrue(InterleavedFrame.prependHeader(channel: 3, to: &packet))
        XCTAssertEqual(packet.bytes, [0x24, 0x03, 0x00, 0x02, 0xAA, 0xBB])
    }
}
