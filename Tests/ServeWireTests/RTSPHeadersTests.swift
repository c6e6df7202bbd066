import XCTest
@testable import ServeWire

final class RTSPHeadersTests: XCTestCase {
    func testOrderCaseAndReplace() {
        var headers: RTSPHeaders = ["CSeq": "1", "Public": "OPTIONS"]
        headers.add(name: "public", value: "PLAY")
        XCTAssertEqual(headers["PUBLIC"], "OPTIONS")
        XCTAssertEqual(headers.values(name: "Public"), ["OPTIONS", "PLAY"])
        headers.replaceOrAdd(name: "Public", value: "DESCRIBE")
        XCTAssertEqual(headers.map { "\($0.name)=\($0.value)" }, ["CSeq=1", "Public=DESCRIBE"])
        headers.replaceOrAdd(name: "Session", value: "abc")
        XCTAssertEqual(headers.count, 3)
        headers.remove(name: "cseq")
        XCTAssertNil(headers["CSeq"])
        XCTAssertFalse(headers.contains(name: "CSeq"))
    }
}
