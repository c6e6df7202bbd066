import Tokens
import XCTest

final class UMASSecretTests: XCTestCase {
    func testAcceptsOnlyTheSecret() throws {
        let secret = try XCTUnwrap(UMASSecret("s3cret-Backend"))
        XCTAssertTrue(secret.accepts("s3cret-Backend"))
        for wrong in ["", "s3cret-backend", "s3cret-Backen", "s3cret-Backend ", "s3cret-Backend\0", "x"] {
            XCTAssertFalse(secret.accepts(wrong), wrong)
        }
    }

    func testEmptySecretIsNoSecret() {
        XCTAssertNil(UMASSecret(""))
    }
}
