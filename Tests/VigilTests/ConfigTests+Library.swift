import Foundation
import XCTest

@testable import VigilKit

/// `[library]`, `[playback]` and `source = "file"`: read as written; errors name the key
/// and the line.
final class ConfigLibraryTests: XCTestCase {
    func testLibraryPlaybackAndAFileStreamReadAsWritten() throws {
        let settings = try VigilConfigFile.parse("""
            [library]
            paths = ["/srv/media", "/mnt/usb"]
            default_fps = 12.5
            [library.fps]
            "door/night.263" = 10
            [playback]
            max_viewers = 64
            [[stream]]
            path = "lobby"
            [stream.video]
            source = "file"
            file = "promo.mp4"
            loop = false
            """)
        XCTAssertEqual(settings.library.paths, ["/srv/media", "/mnt/usb"])
        XCTAssertEqual(settings.library.defaultFrameRate, 12.5)
        XCTAssertEqual(settings.library.frameRates, ["door/night.263": 10])
        XCTAssertEqual(settings.rtsp.maxFileViewers, 64)
        XCTAssertEqual(settings.streams[0].videoSource, .file(name: "promo.mp4", loop: false))
        let looped = try VigilConfigFile.parse("[library]\npaths = [\"/m\"]\n[[stream]]\n[stream.video]\nsource = \"file\"\nfile = \"a.264\"")
        XCTAssertEqual(looped.streams[0].videoSource, .file(name: "a.264", loop: true), "loop by default")
        XCTAssertEqual(try VigilConfigFile.parse("").library.paths, [], "no library unless configured")
    }

    func testErrorsNameTheKeyAndTheLine() {
        let cases: [(String, String, Int, String)] = [
            ("[library]\ndefault_fps = 0", "library.default_fps", 2, "must be 1 to 240 pictures per second, got 0.0"),
            ("[library]\ndefault_fps = \"fast\"", "library.default_fps", 2, "must be pictures per second (1 to 240, e.g. 25 or 29.97), got a string"),
            ("[library]\n[library.fps]\n\"a.263\" = 500", "library.fps.a.263", 3, "must be 1 to 240 pictures per second, got 500.0"),
            ("[library]\npath = \"/srv\"", "library.path", 2, "unknown key; allowed in [library]: paths, default_fps, fps"),
            ("[playback]\nmax_viewers = 0", "playback.max_viewers", 2, "must be 1...10000, got 0"),
            ("[[stream]]\n[stream.video]\nsource = \"file\"", "stream.video.file", 3,
             "is required with source = \"file\" (a file of the [library], by its name there)"),
            ("[[stream]]\n[stream.video]\nsource = \"file\"\nfile = \"a.mp4\"", "stream.video.file", 4,
             "\"a.mp4\" is a [library] file, but [library] has no paths"),
        ]
        for (text, key, line, message) in cases {
            XCTAssertThrowsError(try VigilConfigFile.parse(text), text) { error in
                guard let error = error as? ConfigError else { return XCTFail("\(text): \(error)") }
                XCTAssertEqual(error.problems, [ConfigProblem(line: line, key: key, message: message)], text)
            }
        }
        XCTAssertThrowsError(try VigilConfigFile.parse(
            "[library]\npaths = [\"/m\"]\n[[stream]]\n[stream.video]\nsource = \"file\"\nfile = \"a.mp4\"\n[stream.record]\nenabled = true")) { error in
            XCTAssertEqual((error as? ConfigError)?.problems.map(\.key), ["stream.record.enabled"])
            XCTAssertEqual((error as? ConfigError)?.problems.first?.line, 8)
        }
    }
}
