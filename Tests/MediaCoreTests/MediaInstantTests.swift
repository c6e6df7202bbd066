import Foundation
import XCTest

@testable import MediaCore

final class MediaInstantTests: XCTestCase {
    func testArithmetic() {
        let a = MediaInstant(nanoseconds: 1_000)
        XCTAssertEqual(a + .microseconds(2), MediaInstant(nanoseconds: 3_000))
        XCTAssertEqual(a - .microseconds(1), MediaInstant(nanoseconds: 0))
        XCTAssertEqual(MediaInstant(nanoseconds: 5_000) - a, MediaDuration(nanoseconds: 4_000))
        XCTAssertEqual(MediaDuration.seconds(1.5).nanoseconds, 1_500_000_000)
        XCTAssertEqual(MediaDuration.milliseconds(20) * 3, .milliseconds(60))
        XCTAssertLessThan(a, a + .milliseconds(1))
    }

    func testClockIsMonotonicAndSleepWaitsUntilTheInstant() {
        let start = MediaClock.now()
        let target = start + .milliseconds(30)
        MediaClock.sleep(until: target)
        let end = MediaClock.now()
        XCTAssertGreaterThanOrEqual(end, target)
        XCTAssertLessThan((end - target).seconds, 0.05)
    }

    /// The anchor maps media instants to wall-clock time by their distance from it.
    func testWallClockAnchor() {
        let anchor = WallClockAnchor(instant: MediaInstant(nanoseconds: 10_000_000_000), wallClockNanoseconds: 1_700_000_000_000_000_000)
        XCTAssertEqual(anchor.wallClockNanoseconds(at: MediaInstant(nanoseconds: 10_500_000_000)), 1_700_000_000_500_000_000)
        XCTAssertEqual(anchor.wallClockNanoseconds(at: MediaInstant(nanoseconds: 9_000_000_000)), 1_699_999_999_000_000_000)
        let now = WallClockAnchor.now()
        XCTAssertEqual(Double(now.wallClockNanoseconds) / 1e9, Date().timeIntervalSince1970, accuracy: 1)
    }

    func testFrameSizesAndChunkDurations() {
        XCTAssertEqual(PixelFormat.i420.frameSize(width: 320, height: 240), 115_200)
        XCTAssertEqual(PixelFormat.nv12.frameSize(width: 320, height: 240), 115_200)
        XCTAssertEqual(PixelFormat.yuyv.frameSize(width: 320, height: 240), 153_600)
        XCTAssertEqual(PixelFormat.i420.frameSize(width: 3, height: 3), 9 + 2 * 4, "odd sizes round chroma up")
        let chunk = PCMChunk(samples: [Int16](repeating: 0, count: 320), sampleRate: 8000, channels: 2, instant: MediaInstant(nanoseconds: 0))
        XCTAssertEqual(chunk.frameCount, 160)
        XCTAssertEqual(chunk.duration, .milliseconds(20))
    }
}
