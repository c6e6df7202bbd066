import Foundation
import XCTest

/// `Scripts/bench --smoke` end to end, so the benchmark cannot rot: every scenario runs for
/// Vigil and the GStreamer anchor for a few seconds and lands in the report. Performance is
/// not asserted here — numbers from a smoke run on a shared CI machine mean nothing; the full
/// run (`Scripts/bench --out BENCHMARKS.md`) reports them against the targets.
final class BenchSmokeTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The section of the report each scenario writes, by the row label it must contain.
    static let scenarioRows = [
        "1. Fan-out", "1b. Viewer cost", "2. Latency", "3. Join", "4. Lip sync", "5. Footprint", "6. Encode path", "8. Recording",
        "9. File viewers", "10. Snapshots", "11. HLS", "12. WebRTC",
    ]

    func testSmokeRunWritesEveryScenario() throws {
        // `swift test` holds the build directory, so the bench cannot build its release
        // binary here: it gets the debug one this test run has just built.
        let binary = try TestEnvironment.vigilBinary()
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-bench-smoke-\(UUID().uuidString).md")
        defer { try? FileManager.default.removeItem(at: out) }

        let result = try runProcess(
            Self.root.appendingPathComponent("Scripts/bench").path,
            ["--smoke", "--perf", "--vigil", binary.path, "--out", out.path], timeout: 420)
        XCTAssertEqual(result.status, 0, "Scripts/bench --smoke failed:\n\(result.stderr.suffix(3000))")

        let report = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        XCTAssertTrue(report.contains("Smoke run"), "report:\n\(report)")
        for row in Self.scenarioRows {
            XCTAssertTrue(report.contains("| \(row) |"), "no \(row) row in the report:\n\(report)")
        }
        XCTAssertTrue(report.contains("## H.263 (issue 5)"), "no H.263 section")
        // --perf profiled both servers: the breakdown table has a column for each, and a
        // sampled CPU time.
        XCTAssertTrue(report.contains("| Category | vigil | anchor |"), "no perf breakdown:\n\(report)")
        let sampled = report.split(separator: "\n").first { $0.hasPrefix("| CPU seconds sampled |") }
        XCTAssertNotNil(sampled, "no CPU seconds in the perf breakdown")
        XCTAssertFalse(sampled?.contains("n/a") ?? true, "a server was not profiled: \(sampled ?? "")")
        // Every scenario measured something for both servers (no "n/a" in the headline cells).
        for line in report.split(separator: "\n") where line.hasPrefix("| 2. Latency | picture in → decoded at viewer, p50")
            || line.hasPrefix("| 3. Join | PLAY → first packet, median")
        {
            XCTAssertFalse(line.contains("n/a"), "nothing measured: \(line)")
        }
    }
}
