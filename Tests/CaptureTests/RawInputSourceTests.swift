import Foundation
import MediaCore
import XCTest

@testable import Capture

final class RawInputSourceTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-raw-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Pictures numbered in their first byte, so order and looping can be seen.
    func pictures(_ count: Int, format: PixelFormat, width: Int, height: Int) -> [UInt8] {
        let size = format.frameSize(width: width, height: height)
        return (0..<count).flatMap { [UInt8](repeating: UInt8($0), count: size) }
    }

    func testRegularFileIsPacedByTheFrameRateAndLoops() throws {
        for format in [PixelFormat.i420, .yuyv] {
            let path = directory.appendingPathComponent("in.\(format.rawValue)").path
            try Data(pictures(10, format: format, width: 160, height: 120)).write(to: URL(fileURLWithPath: path))
            let queue = BoundedQueue<RawFrame>(capacity: 100)
            let epoch = MediaClock.now()
            let source = try RawVideoInputSource(
                settings: RawVideoInputSettings(path: path, format: format, width: 160, height: 120, frameRate: 50),
                epoch: epoch, output: queue)
            XCTAssertFalse(source.isFIFO)
            source.start()
            Thread.sleep(forTimeInterval: 0.29)
            source.stop()
            var frames: [RawFrame] = []
            while let frame = queue.pop(timeout: 0) { frames.append(frame) }
            XCTAssertGreaterThanOrEqual(frames.count, 12, "\(format): more than the file holds, so it looped")
            for (n, frame) in frames.enumerated() {
                XCTAssertEqual(frame.bytes[0], UInt8(n % 10), "\(format) picture \(n)")
                XCTAssertEqual(frame.bytes.count, format.frameSize(width: 160, height: 120))
                XCTAssertEqual(frame.instant.nanoseconds, epoch.nanoseconds + Int64(n) * 20_000_000)
                XCTAssertEqual(frame.format, format)
            }
        }
    }

    func testFIFOIsPacedByArrivalAndStopsPromptlyWhenIdle() throws {
        let path = directory.appendingPathComponent("video.fifo").path
        XCTAssertEqual(mkfifo(path, 0o600), 0)
        let queue = BoundedQueue<RawFrame>(capacity: 100)
        let source = try RawVideoInputSource(
            settings: RawVideoInputSettings(path: path, format: .i420, width: 16, height: 16, frameRate: 25),
            epoch: MediaClock.now(), output: queue)
        XCTAssertTrue(source.isFIFO)
        source.start()
        let size = PixelFormat.i420.frameSize(width: 16, height: 16)
        let writer = FileHandle(forWritingAtPath: path)!
        var sentAt: [MediaInstant] = []
        for n in 0..<3 {
            // Half a picture, a pause, then the rest: the picture is stamped when it completes.
            writer.write(Data(repeating: UInt8(n), count: size / 2))
            Thread.sleep(forTimeInterval: 0.05)
            sentAt.append(MediaClock.now())
            writer.write(Data(repeating: UInt8(n), count: size - size / 2))
            Thread.sleep(forTimeInterval: 0.05)
        }
        var frames: [RawFrame] = []
        while frames.count < 3, let frame = queue.pop(timeout: 1) { frames.append(frame) }
        XCTAssertEqual(frames.map { $0.bytes[0] }, [0, 1, 2])
        for (frame, sent) in zip(frames, sentAt) {
            XCTAssertGreaterThanOrEqual(frame.instant, sent, "stamped on arrival of the last byte")
            XCTAssertLessThan((frame.instant - sent).seconds, 0.04)
        }
        // The writer stays open but silent: stop still returns at once.
        let began = MediaClock.now()
        source.stop()
        XCTAssertLessThan((MediaClock.now() - began).seconds, 0.5)
        writer.closeFile()
    }

    func testAudioFileChunksCarryExactInstants() throws {
        let path = directory.appendingPathComponent("audio.s16").path
        let samples = (0..<800).map { Int16($0) }
        try Data(samples.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }).write(to: URL(fileURLWithPath: path))
        let queue = BoundedQueue<PCMChunk>(capacity: 100)
        let epoch = MediaClock.now() - .seconds(1)  // in the past: no pacing waits
        let source = try RawAudioInputSource(settings: RawAudioInputSettings(path: path, loop: false), epoch: epoch, output: queue)
        source.start()
        var chunks: [PCMChunk] = []
        while chunks.count < 5, let chunk = queue.pop(timeout: 1) { chunks.append(chunk) }
        source.stop()
        XCTAssertEqual(chunks.count, 5, "800 samples in 160-sample chunks")
        for (k, chunk) in chunks.enumerated() {
            XCTAssertEqual(chunk.samples.first, Int16(k * 160))
            XCTAssertEqual(chunk.instant.nanoseconds, epoch.nanoseconds + Int64(k) * 20_000_000)
        }
    }

    func testMissingAndTooSmallFilesAreRefusedWithTheReason() throws {
        let missing = directory.appendingPathComponent("nothing").path
        XCTAssertThrowsError(try RawVideoInputSource(
            settings: RawVideoInputSettings(path: missing, format: .i420, width: 16, height: 16, frameRate: 25),
            epoch: MediaClock.now(), output: BoundedQueue(capacity: 1))
        ) { error in
            XCTAssertEqual(error as? CaptureError, .cannotOpen(path: missing, errno: ENOENT))
            XCTAssertTrue("\(error)".contains("No such file"), "\(error)")
        }
        let tiny = directory.appendingPathComponent("tiny").path
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: tiny))
        XCTAssertThrowsError(try RawVideoInputSource(
            settings: RawVideoInputSettings(path: tiny, format: .i420, width: 16, height: 16, frameRate: 25),
            epoch: MediaClock.now(), output: BoundedQueue(capacity: 1)))
    }
}
