import Foundation
import Logging
import XCTest

@testable import Record

/// The cleaner against real files and a real index, with its wall clock driven by the test.
final class RetentionCleanerTests: XCTestCase {
    private var directory: URL!
    private var index: RecordingIndex!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-retention-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        index = try RecordingIndex(path: directory.appendingPathComponent("index.sqlite").path)
    }

    override func tearDownWithError() throws {
        index = nil
        try? FileManager.default.removeItem(at: directory)
    }

    static let minute: Int64 = 60_000_000_000

    /// Ten one-minute segments of 1000 bytes each, the first starting at minute 0.
    private func makeSegments(count: Int = 10) throws -> [String] {
        try (0..<count).map { minute in
            let file = directory.appendingPathComponent("segment\(minute).mp4").path
            FileManager.default.createFile(atPath: file, contents: Data(count: 1000))
            try index.add(stream: "live", file: file, start: Int64(minute) * Self.minute, duration: Self.minute, bytes: 1000, complete: true)
            return file
        }
    }

    private func cleaner(_ policy: RetentionPolicy, now: Int64, leases: SegmentLeases = SegmentLeases()) -> RetentionCleaner {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return RetentionCleaner(policies: [policy], index: index, leases: leases, logger: logger, wallClock: { now })
    }

    private func remaining() throws -> [String] { try index.segments(stream: "live").map(\.file) }

    func testKeepDeletesWhatEndedBeforeTheHorizonOldestFirst() throws {
        let files = try makeSegments()
        // At minute 12 with keep = 5 min, segments ending before minute 7 go: 0…5 end at 1…6.
        let report = cleaner(RetentionPolicy(stream: "live", directory: directory.path, keep: 5 * Self.minute), now: 12 * Self.minute).sweep()
        XCTAssertEqual(report.deleted[.age], 6)
        XCTAssertEqual(report.files, Array(files[0..<6]))
        XCTAssertEqual(try remaining(), Array(files[6...]))
        for file in files[0..<6] { XCTAssertFalse(FileManager.default.fileExists(atPath: file)) }
        for file in files[6...] { XCTAssertTrue(FileManager.default.fileExists(atPath: file)) }
    }

    func testMaxSizeDeletesTheOldestUntilTheStreamFits() throws {
        let files = try makeSegments()
        let report = cleaner(RetentionPolicy(stream: "live", directory: directory.path, maxSize: 3500), now: 0).sweep()
        XCTAssertEqual(report.deleted[.size], 7, "10 000 bytes down to at most 3 500: the 7 oldest go")
        XCTAssertEqual(report.files, Array(files[0..<7]))
        XCTAssertEqual(try remaining(), Array(files[7...]))
        XCTAssertEqual(try index.totalBytes(stream: "live"), 3000)
    }

    func testSegmentsInUseAreNeverDeleted() throws {
        let files = try makeSegments()
        let leases = SegmentLeases()
        leases.hold(files[0])  // a clip being downloaded
        leases.hold(files[9])  // the segment being written
        let report = cleaner(RetentionPolicy(stream: "live", directory: directory.path, maxSize: 1), now: 0, leases: leases).sweep()
        XCTAssertEqual(report.files, Array(files[1..<9]))
        XCTAssertEqual(try remaining(), [files[0], files[9]])
        leases.release(files[0])
        let later = cleaner(RetentionPolicy(stream: "live", directory: directory.path, maxSize: 1), now: 0, leases: leases).sweep()
        XCTAssertEqual(later.files, [files[0]], "released, the oldest goes on the next sweep")
    }

    func testALeaseHoldsItsFilesUntilReleasedOrGone() {
        let leases = SegmentLeases()
        var lease: SegmentLeases.Lease? = leases.lease(["a", "b"])
        XCTAssertTrue(leases.isHeld("a") && leases.isHeld("b"))
        lease?.release()
        lease?.release()
        XCTAssertFalse(leases.isHeld("a"), "released once, however often asked")
        leases.hold("a")
        lease = leases.lease(["a"])
        lease = nil
        XCTAssertTrue(leases.isHeld("a"), "the other holder still holds it")
        leases.release("a")
        XCTAssertFalse(leases.isHeld("a"))
        _ = lease
    }

    func testMinFreeThatCannotBeMetDeletesEverythingDeletableAndNothingElse() throws {
        let files = try makeSegments(count: 3)
        let leases = SegmentLeases()
        leases.hold(files[2])
        // 100 % free can never hold: everything not in use goes, and the sweep ends.
        let report = cleaner(RetentionPolicy(stream: "live", directory: directory.path, minFree: .fraction(1)), now: 0, leases: leases).sweep()
        XCTAssertEqual(report.deleted[.space], 2)
        XCTAssertEqual(try remaining(), [files[2]])
    }

    func testOtherStreamsAreLeftAlone() throws {
        _ = try makeSegments(count: 2)
        let other = directory.appendingPathComponent("other.mp4").path
        FileManager.default.createFile(atPath: other, contents: Data(count: 10))
        try index.add(stream: "door", file: other, start: 0, duration: Self.minute, bytes: 10, complete: true)
        _ = cleaner(RetentionPolicy(stream: "live", directory: directory.path, maxSize: 1), now: 0).sweep()
        XCTAssertEqual(try index.segments(stream: "door").map(\.file), [other])
        XCTAssertTrue(FileManager.default.fileExists(atPath: other))
    }
}
