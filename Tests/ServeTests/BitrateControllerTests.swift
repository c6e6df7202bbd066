import XCTest

@testable import Serve

final class BitrateControllerTests: XCTestCase {
    func makeController(start: Int = 2000) -> BitrateController {
        BitrateController(configuration: .init(minimumKbps: 200, maximumKbps: 4000), startKbps: start)
    }

    /// A recorded sequence: one viewer behind a ~1 Mbit/s bottleneck reporting 30 % loss
    /// each second at 2 Mbit/s, then less as the rate comes down.
    func testALossyPathBringsTheRateDownAndHysteresisSpacesTheChanges() {
        var controller = makeController()
        var decisions: [(Double, Int)] = []
        var rate = controller.currentKbps
        var losses: [Double] = []
        for second in 0..<30 {
            // What the bottleneck does to the rate sent: loss = excess / rate.
            let loss = max(0, Double(rate - 1000) / Double(rate))
            controller.observe(viewer: "A", fractionLost: loss, jitterSeconds: 0.01, now: Double(second))
            losses.append(loss)
            if let decision = controller.decide(now: Double(second)) {
                decisions.append((Double(second), decision.kbps))
                rate = decision.kbps
            }
        }
        XCTAssertFalse(decisions.isEmpty)
        XCTAssertLessThanOrEqual(rate, 1000, "converged below the bottleneck")
        XCTAssertGreaterThan(rate, 600, "without collapsing")
        for (a, b) in zip(decisions, decisions.dropFirst()) {
            XCTAssertGreaterThanOrEqual(b.0 - a.0, 2, "two seconds between changes")
        }
        XCTAssertLessThanOrEqual(decisions.first?.0 ?? 99, 1, "the first cut comes at once")
        XCTAssertLessThanOrEqual(decisions.first(where: { $0.1 <= 1000 })?.0 ?? 99, 10, "below the bottleneck within 10 s")
        XCTAssertEqual(losses.suffix(15).max() ?? 1, 0, accuracy: 0.01, "and loss stays under 1 % once settled")
    }

    /// Reports lag: each one counts the loss of the second before it, so the first report
    /// after a cut still shows the old rate's loss. Charged to the new rate it would cut again
    /// far below the bottleneck (what a 1 Mbit/s link did before: 2000 → 1061 → 590 → 529).
    func testAReportThatLagsACutDoesNotCutAgainBelowTheBottleneck() {
        var controller = makeController()
        var rateLastSecond = controller.currentKbps
        var rate = controller.currentKbps
        var decisions: [Int] = []
        for second in 0..<30 {
            let loss = max(0, Double(rateLastSecond - 1000) / Double(rateLastSecond))
            controller.observe(viewer: "A", fractionLost: loss, jitterSeconds: 0.01, now: Double(second))
            rateLastSecond = rate
            if let decision = controller.decide(now: Double(second)) {
                decisions.append(decision.kbps)
                rate = decision.kbps
            }
        }
        XCTAssertLessThanOrEqual(rate, 1000, "\(decisions)")
        XCTAssertGreaterThanOrEqual(decisions.min() ?? 0, 850, "never far below the bottleneck: \(decisions)")
    }

    /// With the `lowest` policy the worst viewer sets the rate and nobody gets key frames only.
    func testLowestPolicyFollowsTheWorstViewer() {
        var configuration = BitrateController.Configuration(minimumKbps: 200, maximumKbps: 4000)
        configuration.policy = .lowest
        var controller = BitrateController(configuration: configuration, startKbps: 2000)
        for second in 0..<10 {
            controller.observe(viewer: "good", fractionLost: 0, jitterSeconds: 0.002, now: Double(second))
            controller.observe(viewer: "bad", fractionLost: 0.5, jitterSeconds: 0.2, now: Double(second))
            _ = controller.decide(now: Double(second))
        }
        XCTAssertLessThanOrEqual(controller.currentKbps, 1000)
        XCTAssertEqual(controller.keyFramesOnly, [])
    }

    func testOneBadViewerDoesNotStarveTheOthers() {
        var controller = makeController()
        for second in 0..<10 {
            controller.observe(viewer: "good1", fractionLost: 0, jitterSeconds: 0.002)
            controller.observe(viewer: "good2", fractionLost: 0.01, jitterSeconds: 0.003)
            controller.observe(viewer: "bad", fractionLost: 0.5, jitterSeconds: 0.2)
            _ = controller.decide(now: Double(second))
        }
        XCTAssertGreaterThanOrEqual(controller.currentKbps, 2000, "follows the median viewer, not the worst")
        XCTAssertEqual(controller.keyFramesOnly, ["bad"], "the bad viewer falls back to key frames only")
    }

    func testCleanPathsProbeUpToTheMaximumAndNoFurther() {
        var controller = makeController(start: 1000)
        for second in 0..<60 {
            controller.observe(viewer: "A", fractionLost: 0, jitterSeconds: 0.002)
            _ = controller.decide(now: Double(second))
        }
        XCTAssertEqual(controller.currentKbps, 4000)
    }

    func testGrowingJitterHoldsTheRate() {
        var controller = makeController()
        controller.observe(viewer: "A", fractionLost: 0, jitterSeconds: 0.01)
        XCTAssertEqual(controller.decide(now: 0)?.kbps, 2160, "a clean report probes 8 % up")
        controller.observe(viewer: "A", fractionLost: 0, jitterSeconds: 0.05)
        XCTAssertNil(controller.decide(now: 10), "queues are building: no increase")
        controller.observe(viewer: "A", fractionLost: 0.01, jitterSeconds: 0.05)
        XCTAssertEqual(controller.decide(now: 20)?.kbps, 2332, "under 2 % loss with steady jitter: probing goes on")
        XCTAssertNil(makeController().target, "no viewers, no target")
    }
}
