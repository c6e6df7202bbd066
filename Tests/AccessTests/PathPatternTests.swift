import XCTest
@testable import Access

final class PathPatternTests: XCTestCase {
    func testForms() throws {
        let door = try PathPattern("door")
        XCTAssertTrue(door.matches("door"))
        XCTAssertTrue(door.matches("/door"))
        XCTAssertFalse(door.matches("door2"))
        XCTAssertFalse(door.matches("doo"))

        let all = try PathPattern("*")
        XCTAssertEqual(all, .any)
        XCTAssertTrue(all.matches(""))
        XCTAssertTrue(all.matches("anything/at/all"))

        let garden = try PathPattern("garden/*")
        XCTAssertTrue(garden.matches("garden/east"))
        XCTAssertTrue(garden.matches("garden/"))
        XCTAssertFalse(garden.matches("garden"))
        XCTAssertFalse(garden.matches("gardens/east"))

        let cams = try PathPattern("/cam*")
        XCTAssertEqual(cams.description, "cam*")
        XCTAssertTrue(cams.matches("cam2"))
        XCTAssertFalse(cams.matches("door"))
    }

    func testRefusesAmbiguousPatterns() {
        XCTAssertThrowsError(try PathPattern("")) { XCTAssertEqual($0 as? PathPatternError, .empty) }
        XCTAssertThrowsError(try PathPattern("/")) { XCTAssertEqual($0 as? PathPatternError, .empty) }
        XCTAssertThrowsError(try PathPattern("*door")) { XCTAssertEqual($0 as? PathPatternError, .misplacedWildcard("*door")) }
        XCTAssertThrowsError(try PathPattern("a*b")) { XCTAssertEqual($0 as? PathPatternError, .misplacedWildcard("a*b")) }
        XCTAssertThrowsError(try PathPattern("a**")) { XCTAssertEqual($0 as? PathPatternError, .misplacedWildcard("a**")) }
    }
}
