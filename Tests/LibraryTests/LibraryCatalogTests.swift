import Foundation
import TestSeeds
import XCTest
@testable import Library

/// Names a client may send for `vod/NAME`: only files inside the library resolve, whatever
/// the spelling — traversal, encodings, NUL bytes, links, over-long names.
final class LibraryCatalogTests: XCTestCase {
    var root: URL!
    var outside: URL!

    override func setUpWithError() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-catalog-\(UUID().uuidString.prefix(8))")
        root = base.appendingPathComponent("media")
        outside = base.appendingPathComponent("secret")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("door"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        for name in ["clip.264", "door/night.263", "door/day.mp4", ".hidden.264", "notes.txt"] {
            try Data([0, 0, 0, 1]).write(to: root.appendingPathComponent(name))
        }
        try Data("secret".utf8).write(to: outside.appendingPathComponent("passwd.264"))
        try FileManager.default.createSymbolicLink(
            atPath: root.appendingPathComponent("escape.264").path, withDestinationPath: outside.appendingPathComponent("passwd.264").path)
        try FileManager.default.createSymbolicLink(
            atPath: root.appendingPathComponent("linked").path, withDestinationPath: outside.path)
        try FileManager.default.createSymbolicLink(
            atPath: root.appendingPathComponent("inside.264").path, withDestinationPath: root.appendingPathComponent("clip.264").path)
        addTeardownBlock { [base] in try? FileManager.default.removeItem(at: base) }
    }

    var catalog: LibraryCatalog { LibraryCatalog(roots: [root.path]) }

    /// The suite's traversal corpus: each must be refused or not found, never resolved.
    static let hostile = [
        "../secret/passwd.264", "../../../../etc/passwd", "..%2fsecret%2fpasswd.264", "%2e%2e/secret/passwd.264",
        "%2E%2E%2Fsecret%2Fpasswd.264", "door/../../secret/passwd.264", "door/%2e%2e/%2e%2e/secret/passwd.264",
        "/etc/passwd", "//etc/passwd.264", "door//night.263", "./clip.264", "door/./night.263", ".hidden.264",
        "clip.264%00.txt", "clip%00.264", "clip.264\u{0}", "door\\..\\..\\secret\\passwd.264", "escape.264",
        "linked/passwd.264", "notes.txt", "clip", "clip.264/", "%zz.264", "%c0%ae%c0%ae/secret/passwd.264",
        String(repeating: "a", count: 256) + ".264", String(repeating: "a/", count: 600) + "b.264", "door/\u{7F}.263", "",
        "....//secret/passwd.264", "..;/secret/passwd.264", "clip.264?x=..", "door/night.263/..",
    ]

    func testTheLibraryServesItsFilesAndNothingElse() throws {
        XCTAssertEqual(try catalog.resolve("clip.264").kind, .h264)
        XCTAssertEqual(try catalog.resolve("door/night.263").kind, .h263)
        XCTAssertEqual(try catalog.resolve("door/day.mp4").kind, .mp4)
        XCTAssertEqual(try catalog.resolve("door%2Fday.mp4").name, "door/day.mp4", "percent-encoded once, decoded once")
        XCTAssertEqual(try catalog.resolve("inside.264").kind, .h264, "a link that stays inside is a file of the library")
        for name in Self.hostile {
            XCTAssertThrowsError(try catalog.resolve(name), "\(name.debugDescription.prefix(80)) must not resolve") { error in
                guard let error = error as? LibraryError else { return XCTFail("\(error)") }
                switch error {
                case .refused, .notFound: break
                case .unreadable: XCTFail("\(name): refused before it is read")
                }
            }
        }
    }

    /// Random names from the characters traversal is made of: whatever resolves lies inside
    /// the library's own resolved folder.
    func testRandomNamesNeverLeaveTheLibrary() throws {
        let seed = TestSeed.value(default: 0x11B0_0002)
        var random = SeededRandom(seed: seed)
        let pieces = ["..", ".", "/", "%2e", "%2f", "%2E%2E", "%00", "\\", "door", "clip", "night", "escape", "linked", "passwd",
                      "secret", ".264", ".263", ".mp4", "%", "a", "\u{0}", "//"]
        let realRoot = try XCTUnwrap(LibraryCatalog.realPath(root.path))
        var resolved = 0
        for round in 0..<20_000 {
            let name = (0..<Int.random(in: 1...8, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
            if let (_, path, _) = try? catalog.resolve(name) {
                resolved += 1
                XCTAssertTrue(path.hasPrefix(realRoot + "/"), "round \(round): \(name.debugDescription) → \(path); \(TestSeed.describe(seed))")
                XCTAssertFalse(path.contains("secret"), "round \(round): \(name.debugDescription); \(TestSeed.describe(seed))")
            }
        }
        XCTAssertGreaterThan(resolved, 0, "some random names are real files (the check is not refusing everything)")
    }
}
