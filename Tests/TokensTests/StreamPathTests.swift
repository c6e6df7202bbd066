import Tokens
import XCTest

final class StreamPathTests: XCTestCase {
    func testSlashesAtTheEndsAreIgnoredAndNothingElse() {
        let vectors: [(String, String)] = [
            ("door", "door"), ("/door", "door"), ("door/", "door"), ("//door//", "door"),
            ("/live/door", "live/door"), ("live//door", "live//door"), ("Door", "Door"), ("/", ""), ("", ""),
        ]
        for (path, normalized) in vectors {
            XCTAssertEqual(StreamPath.normalized(path), normalized, path)
        }
    }
}
