import XCTest

@testable import Capture

final class FormatSelectionTests: XCTestCase {
    func format(_ pixel: CameraPixelFormat, emulated: Bool = false, _ modes: [(Int, Int, [Double])]) -> CameraFormat {
        CameraFormat(pixelFormat: pixel, description: pixel.description, isEmulated: emulated, modes: modes.map { CameraMode(width: $0.0, height: $0.1, frameRates: $0.2) })
    }

    /// vivid's webcam as it enumerates: YUYV and NV12 among others, 320x180…1280x720.
    var vivid: [CameraFormat] {
        [
            format(.yuyv, [(320, 180, [60, 30, 25]), (640, 360, [60, 30, 25]), (1280, 720, [30, 25])]),
            format(CameraPixelFormat("UYVY"), [(640, 360, [30])]),
            format(.nv12, [(640, 360, [30]), (640, 480, [30])]),
            format(.yuv420, emulated: true, [(640, 360, [30])]),
        ]
    }

    func testExactModeInThePreferredFormat() throws {
        let chosen = try XCTUnwrap(FormatSelection.choose(from: vivid, request: CameraRequest(width: 640, height: 360, frameRate: 30)))
        XCTAssertEqual(chosen, CameraSelection(pixelFormat: .yuyv, width: 640, height: 360, frameRate: 30, isExact: true))
        XCTAssertEqual(chosen.rawFormat, .yuyv)
    }

    func testExactSizeInALaterFormatBeatsANearSizeInAnEarlierOne() throws {
        let chosen = try XCTUnwrap(FormatSelection.choose(from: vivid, request: CameraRequest(width: 640, height: 480, frameRate: 30)))
        XCTAssertEqual(chosen, CameraSelection(pixelFormat: .nv12, width: 640, height: 480, frameRate: 30, isExact: true))
    }

    func testNearestRateWhenTheSizeExists() throws {
        let chosen = try XCTUnwrap(FormatSelection.choose(from: vivid, request: CameraRequest(width: 1280, height: 720, frameRate: 60)))
        XCTAssertEqual(chosen, CameraSelection(pixelFormat: .yuyv, width: 1280, height: 720, frameRate: 30, isExact: false))
    }

    func testNearestSizeWhenNothingMatches() throws {
        let chosen = try XCTUnwrap(FormatSelection.choose(from: vivid, request: CameraRequest(width: 1920, height: 1080, frameRate: 30)))
        XCTAssertEqual(chosen, CameraSelection(pixelFormat: .yuyv, width: 1280, height: 720, frameRate: 30, isExact: false))
        let small = try XCTUnwrap(FormatSelection.choose(from: vivid, request: CameraRequest(width: 352, height: 288, frameRate: 25)))
        XCTAssertEqual(small.width, 320)
        XCTAssertEqual(small.height, 180)
        XCTAssertEqual(small.frameRate, 25)
    }

    /// An MJPEG-only webcam goes through libv4l2's emulated YU12 (decoded in software).
    func testMJPEGOnlyCameraUsesLibv4l2Conversion() throws {
        let mjpegCamera = [
            format(.mjpeg, [(1280, 720, [30]), (640, 480, [30])]),
            format(.yuv420, emulated: true, [(1280, 720, [30]), (640, 480, [30])]),
        ]
        let chosen = try XCTUnwrap(FormatSelection.choose(from: mjpegCamera, request: CameraRequest(width: 640, height: 480, frameRate: 30)))
        XCTAssertEqual(chosen.pixelFormat, .yuv420)
        XCTAssertEqual(chosen.rawFormat, .i420)
        XCTAssertTrue(chosen.isExact)
    }

    /// A native raw format is preferred over libv4l2's converted one of the same name.
    func testNativeBeforeEmulated() throws {
        let formats = [format(.yuv420, emulated: true, [(640, 480, [30])]), format(.yuyv, [(640, 480, [30])])]
        XCTAssertEqual(FormatSelection.choose(from: formats, request: CameraRequest(width: 640, height: 480, frameRate: 30))?.pixelFormat, .yuyv)
    }

    func testNoUsableFormat() {
        let bayer = [format(CameraPixelFormat("BA81"), [(640, 480, [30])]), format(CameraPixelFormat("H264"), [(640, 480, [30])])]
        XCTAssertNil(FormatSelection.choose(from: bayer, request: CameraRequest(width: 640, height: 480, frameRate: 30)))
        XCTAssertNil(FormatSelection.choose(from: [], request: CameraRequest(width: 640, height: 480, frameRate: 30)))
    }

    func testFourCCNames() {
        XCTAssertEqual(CameraPixelFormat.yuyv.fourcc, 0x5659_5559)
        XCTAssertEqual(CameraPixelFormat.mjpeg.description, "MJPG")
        XCTAssertEqual(CameraPixelFormat("YU12").description, "YU12")
    }
}

final class TimestampMappingTests: XCTestCase {
    let dequeued = MediaInstantFixture.at(9_000_000_000)

    func testMonotonicDriverStampIsTheCaptureInstant() {
        let (instant, source) = TimestampMapping.instant(flags: 0x2000 | 0x1, seconds: 8, microseconds: 123_456, dequeuedAt: dequeued)
        XCTAssertEqual(instant.nanoseconds, 8_123_456_000)
        XCTAssertEqual(source, .driver)
    }

    func testUnknownOrCopiedStampsFallBackToTheDequeueTime() {
        for flags: UInt32 in [0x0000, 0x4000] {
            let (instant, source) = TimestampMapping.instant(flags: flags, seconds: 8, microseconds: 1, dequeuedAt: dequeued)
            XCTAssertEqual(instant, dequeued)
            XCTAssertEqual(source, .dequeue)
        }
        let (zero, source) = TimestampMapping.instant(flags: 0x2000, seconds: 0, microseconds: 0, dequeuedAt: dequeued)
        XCTAssertEqual(zero, dequeued, "a zero stamp is no stamp")
        XCTAssertEqual(source, .dequeue)
    }

    func testDriverSequenceGapsCountDroppedPictures() {
        XCTAssertEqual(TimestampMapping.dropped(previous: nil, current: 5), 0)
        XCTAssertEqual(TimestampMapping.dropped(previous: 5, current: 6), 0)
        XCTAssertEqual(TimestampMapping.dropped(previous: 5, current: 9), 3)
        XCTAssertEqual(TimestampMapping.dropped(previous: UInt32.max, current: 1), 1, "wraps")
        XCTAssertEqual(TimestampMapping.dropped(previous: 9, current: 5), 0, "a restart is not a drop")
    }

    /// ALSA: the first sample of a period read with `avail` frames still waiting behind it
    /// was captured (avail + frames) / rate before the stamp.
    func testALSATimestampArithmetic() {
        let stamp = MediaInstantFixture.at(5_000_000_000)
        XCTAssertEqual(ALSATimestamp.firstSample(stamp: stamp, available: 0, frames: 160, sampleRate: 8000).nanoseconds, 4_980_000_000)
        XCTAssertEqual(ALSATimestamp.firstSample(stamp: stamp, available: 80, frames: 160, sampleRate: 8000).nanoseconds, 4_970_000_000)
        XCTAssertEqual(ALSATimestamp.firstSample(stamp: stamp, available: 0, frames: 960, sampleRate: 48000).nanoseconds, 4_980_000_000)
    }
}

final class DeviceLossStateMachineTests: XCTestCase {
    func at(_ ms: Int64) -> MediaInstant { MediaInstantFixture.at(ms * 1_000_000) }

    func testLossIsReportedOnceAndRecoveryOnce() {
        var machine = DeviceLossStateMachine()
        XCTAssertTrue(machine.shouldAttempt(at: at(0)))
        XCTAssertEqual(machine.opened(at: at(0)), [], "a first open is no recovery")
        XCTAssertTrue(machine.isStreaming)
        XCTAssertFalse(machine.shouldAttempt(at: at(10)))

        XCTAssertEqual(machine.failed(at: at(1000), reason: "ENODEV"), [.reportLost("ENODEV")])
        XCTAssertFalse(machine.isStreaming)
        // Retries that fail again say nothing, however many.
        var now: Int64 = 1000
        var waits: [Int64] = []
        for _ in 0..<8 {
            var next = now
            while !machine.shouldAttempt(at: at(next)) { next += 10 }
            waits.append(next - now)
            now = next
            XCTAssertEqual(machine.failed(at: at(now), reason: "ENODEV"), [])
        }
        XCTAssertEqual(waits, [250, 500, 1000, 2000, 4000, 5000, 5000, 5000], "backoff grows, then settles at 5 s")
        XCTAssertEqual(machine.opened(at: at(now + 5000)), [.reportRecovered(after: MediaDuration(nanoseconds: (now + 5000 - 1000) * 1_000_000))])
        XCTAssertTrue(machine.isStreaming)
        // A new loss is a new condition: reported again.
        XCTAssertEqual(machine.failed(at: at(now + 6000), reason: "EIO"), [.reportLost("EIO")])
    }

    func testAbsentAtStartIsReportedOnce() {
        var machine = DeviceLossStateMachine()
        XCTAssertEqual(machine.failed(at: at(0), reason: "no such camera"), [.reportLost("no such camera")])
        XCTAssertEqual(machine.failed(at: at(300), reason: "no such camera"), [])
        XCTAssertEqual(machine.opened(at: at(1000)).count, 1)
    }
}

final class PlaceholderPictureTests: XCTestCase {
    func testDarkWithBrightLettersAndAMovingBar() {
        let placeholder = PlaceholderPicture(width: 640, height: 360)
        let a = placeholder.frame(index: 0, instant: MediaInstantFixture.at(1))
        let b = placeholder.frame(index: 5, instant: MediaInstantFixture.at(2))
        XCTAssertEqual(a.bytes.count, 640 * 360 * 3 / 2)
        XCTAssertEqual(a.format, .i420)
        XCTAssertNotEqual(a.bytes, b.bytes, "the bar moves")
        let luma = a.bytes[0..<(640 * 360)]
        let bright = luma.filter { $0 == PlaceholderPicture.textLuma }.count
        XCTAssertGreaterThan(bright, 640 * 360 / 50, "the letters cover a visible part of the picture")
        let mean = Double(luma.reduce(0) { $0 + Int($1) }) / Double(luma.count)
        XCTAssertLessThan(mean, 90)
        XCTAssertEqual(b.instant, MediaInstantFixture.at(2))
    }
}

import MediaCore

enum MediaInstantFixture {
    static func at(_ nanoseconds: Int64) -> MediaInstant { MediaInstant(nanoseconds: nanoseconds) }
}

final class AudioTimelineTests: XCTestCase {
    func testJitterIsSmoothedAndDiscontinuitiesReanchor() {
        var timeline = AudioTimeline()
        let start: Int64 = 1_000_000_000
        // 20 ms periods (160 frames at 8 kHz) stamped with ±0.4 ms of jitter.
        let jitter: [Int64] = [0, 400_000, -300_000, 200_000, -400_000]
        var placed: [Int64] = []
        for (k, j) in jitter.enumerated() {
            let measured = MediaInstant(nanoseconds: start + Int64(k) * 20_000_000 + j)
            placed.append(timeline.place(measured: measured, frames: 160, sampleRate: 8000).nanoseconds)
        }
        XCTAssertEqual(placed, (0..<5).map { start + Int64($0) * 20_000_000 }, "contiguous: each period starts where the last ended")
        // A 50 ms jump (an overrun lost samples): the timeline follows the measurement.
        let after = MediaInstant(nanoseconds: start + 5 * 20_000_000 + 50_000_000)
        XCTAssertEqual(timeline.place(measured: after, frames: 160, sampleRate: 8000), after)
        XCTAssertEqual(timeline.place(measured: after + .milliseconds(20) + .microseconds(100), frames: 160, sampleRate: 8000), after + .milliseconds(20))
        // Stamps 60 ms behind (a fast sample clock): the timeline slews back 2.5 ms (an eighth
        // of a period) per period, so times still only increase, until it has caught up.
        var previous = after + .milliseconds(20)
        var behind = MediaDuration.milliseconds(60)
        for k in 2..<30 {
            let nominal = after + MediaDuration(nanoseconds: Int64(k) * 20_000_000)
            let placed = timeline.place(measured: nominal - behind, frames: 160, sampleRate: 8000)
            XCTAssertGreaterThan(placed, previous, "period \(k) starts after the one before")
            XCTAssertGreaterThanOrEqual((placed - previous).nanoseconds, 17_500_000)
            previous = placed
            behind = MediaDuration(nanoseconds: max(0, behind.nanoseconds - 1_000_000))
        }
        XCTAssertLessThanOrEqual(abs((previous - (after + .milliseconds(580) - behind)).nanoseconds), AudioTimeline.tolerance.nanoseconds, "caught up")
        // A whole clock step back re-anchors.
        let stepped = after - .seconds(5)
        XCTAssertEqual(timeline.place(measured: stepped, frames: 160, sampleRate: 8000), stepped)
    }
}
