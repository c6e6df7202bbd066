import XCTest

@testable import Serve

final class RTSPSessionStateMachineTests: XCTestCase {
    typealias Machine = RTSPSessionStateMachine

    /// Every (state, event) pair of RFC 2326 Appendix A.2, with the state reached or nil for 455.
    func testTransitionTableOfRFC2326AppendixA2() {
        let table: [(Machine.State, Machine.Event, Bool, Machine.State?)] = [
            (.initial, .setup, true, .ready),
            (.initial, .play, false, nil),
            (.initial, .pause, false, nil),
            (.initial, .teardown, false, .initial),
            (.ready, .setup, true, .ready),
            (.ready, .setup, false, .ready),
            (.ready, .play, false, .playing),
            (.ready, .pause, false, nil),
            (.ready, .teardown, false, .initial),
            (.playing, .play, false, .playing),
            (.playing, .pause, false, .ready),
            (.playing, .teardown, false, .initial),
            (.playing, .setup, false, .playing),
            (.playing, .setup, true, nil),
        ]
        for (start, event, addsTrack, expected) in table {
            var machine = Self.machine(in: start)
            let result = machine.apply(event, addsTrack: addsTrack)
            switch (result, expected) {
            case (.success(let state), let expected?):
                XCTAssertEqual(state, expected, "\(start) + \(event)")
                XCTAssertEqual(machine.state, expected)
            case (.failure(let error), nil):
                XCTAssertEqual(error.status.code, 455, "\(start) + \(event)")
                XCTAssertEqual(machine.state, start, "a refused event leaves the state alone")
            default:
                XCTFail("\(start) + \(event) (adds track: \(addsTrack)) gave \(result), expected \(String(describing: expected))")
            }
        }
    }

    private static func machine(in state: Machine.State) -> Machine {
        var machine = Machine()
        switch state {
        case .initial: break
        case .ready: _ = machine.apply(.setup, addsTrack: true)
        case .playing:
            _ = machine.apply(.setup, addsTrack: true)
            _ = machine.apply(.play)
        }
        XCTAssertEqual(machine.state, state)
        return machine
    }
}

final class RequestTargetTests: XCTestCase {
    func testAbsoluteAndRelativeURIs() throws {
        let cases: [(String, [String], String?, String?)] = [
            ("rtsp://127.0.0.1:8554/live", ["live"], nil, "rtsp://127.0.0.1:8554"),
            ("rtsp://127.0.0.1:8554/live/", ["live"], nil, "rtsp://127.0.0.1:8554"),
            ("rtsp://cam.local/live/trackID=1", ["live", "trackID=1"], nil, "rtsp://cam.local"),
            ("rtsp://[::1]:8554/live?token=abc", ["live"], "token=abc", "rtsp://[::1]:8554"),
            ("RTSP://host/a/b", ["a", "b"], nil, "RTSP://host"),
            ("/live", ["live"], nil, nil),
            ("*", [], nil, nil),
        ]
        for (uri, segments, query, origin) in cases {
            let target = try XCTUnwrap(RequestTarget(uri), uri)
            XCTAssertEqual(target.segments, segments, uri)
            XCTAssertEqual(target.query, query, uri)
            XCTAssertEqual(target.origin, origin, uri)
        }
        XCTAssertEqual(RequestTarget("rtsp://h:1/live")?.base(forStreamPath: "live"), "rtsp://h:1/live/")
    }

    func testMalformedURIsAreRejected() {
        for uri in ["http://host/live", "live", "", "rtsp://", "rtsp:///live"] {
            XCTAssertNil(RequestTarget(uri), uri)
        }
    }
}
