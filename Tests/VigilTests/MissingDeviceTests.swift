import Foundation
import Capture
import VigilKit
import XCTest

/// A camera and microphone that are not there (unplugged before start): the stream still
/// starts, viewers get the NO SIGNAL placeholder and silence, and nothing crashes. (The
/// unplug/replug of a real driver is shown by the QEMU harness, Scripts/vm/capture-test.)
final class MissingDeviceTests: XCTestCase {
    func testAbsentCameraAndMicrophoneServeThePlaceholderAndSilence() async throws {
        var settings = VigilFixture.smallSettings()
        settings.videoSource = .camera(path: "/dev/video-vigil-test-missing")
        settings.audioSource = .microphone(name: "hw:CARD=VigilTestMissing,DEV=0")
        let fixture = try await VigilFixture(settings: settings)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-missing-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let videoPath = directory.appendingPathComponent("video.gray").path
        let audioPath = directory.appendingPathComponent("audio.s16").path
        let result = try runProcess("ffmpeg", [
            "-nostdin", "-v", "error", "-rtsp_transport", "tcp", "-t", "2.5", "-i", fixture.url,
            "-map", "0:v:0", "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "gray", videoPath,
            "-map", "0:a:0", "-f", "s16le", audioPath,
        ], timeout: 30)
        XCTAssertEqual(fixture.vigil.camera?.isStreaming, false)
        XCTAssertGreaterThan(fixture.vigil.camera?.placeholderFrames ?? 0, 30)
        try await fixture.stop()
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "")

        let size = 320 * 240
        let video = try Data(contentsOf: URL(fileURLWithPath: videoPath))
        let frames = video.count / size
        XCTAssertGreaterThanOrEqual(frames, 40, "placeholder pictures at the stream's rate")
        video.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            for f in [0, frames / 2, frames - 1] {
                let picture = bytes[(f * size)..<((f + 1) * size)]
                let mean = Double(picture.reduce(0) { $0 + Int($1) }) / Double(size)
                let bright = picture.filter { $0 > 170 }.count
                XCTAssertLessThan(mean, 90, "picture \(f) is the dark placeholder")
                XCTAssertGreaterThan(bright, size / 60, "picture \(f) shows the NO SIGNAL letters")
            }
        }
        let audio = try Data(contentsOf: URL(fileURLWithPath: audioPath))
        XCTAssertGreaterThanOrEqual(audio.count, 16_000, "a second of silence keeps the audio track going")
        let peak = audio.withUnsafeBytes { $0.bindMemory(to: Int16.self).map { abs(Int($0)) }.max() ?? 0 }
        XCTAssertLessThan(peak, 200, "silence")
    }
}

/// A camera path that is no camera is a configuration mistake: refused at once, clearly.
final class WrongDeviceTests: XCTestCase {
    func testANodeThatIsNoV4L2DeviceIsRefusedAtStart() throws {
        var settings = VigilFixture.smallSettings()
        settings.videoSource = .camera(path: "/dev/null")
        XCTAssertThrowsError(try buildVigil(settings: settings, logger: VigilFixture.testLogger())) { error in
            XCTAssertEqual(error as? CameraError, .notACaptureDevice(path: "/dev/null", card: "not a V4L2 device"))
            XCTAssertTrue("\(error)".contains("/dev/null"), "\(error)")
        }
    }
}
