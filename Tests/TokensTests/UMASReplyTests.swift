import XCTest
@testable import Tokens

final class UMASReplyTests: XCTestCase {
    /// The three replies of the UMAS token API's documentation, with its own example tokens.
    let vectors: [(String, String, UMASFormat, String, [UInt8])] = [
        ("UMAS gettoken, default (text)", "39VvZGpnrmVcsSiZ", .text, "text/plain; charset=utf-8",
         Array("39VvZGpnrmVcsSiZ".utf8)),  // the bare token: no quotes, no newline
        ("UMAS gettoken, format=json", "xDDR4V07Iqyn3n0A", .json, "application/json",
         Array(#"{"Token":"xDDR4V07Iqyn3n0A"}"#.utf8)),  // no spaces, no newline
        ("UMAS gettoken, format=xml", "CiQY56Fy6X65ltXH", .xml, "application/xml; charset=utf-8",
         Array(#"<?xml version="1.0" encoding="utf-8"?>"#.utf8)  // declaration, lowercase utf-8
            + [0x0A]  // one LF
            + Array("<Token>CiQY56Fy6X65ltXH</Token>".utf8)),  // the element, no newline after
    ]

    func testRepliesAreByteExact() throws {
        for (name, text, format, contentType, body) in vectors {
            let reply = UMASReply.render(try XCTUnwrap(Token(text), name), format)
            XCTAssertEqual(Array(reply.body.utf8), body, name)
            XCTAssertEqual(reply.contentType, contentType, name)
        }
    }

    func testXMLReplyIsTwoLines() throws {
        let reply = UMASReply.render(try XCTUnwrap(Token("CiQY56Fy6X65ltXH")), .xml)
        XCTAssertEqual(reply.body.split(separator: "\n"), [#"<?xml version="1.0" encoding="utf-8"?>"#, "<Token>CiQY56Fy6X65ltXH</Token>"])
    }

    func testJSONReplyParses() throws {
        let reply = UMASReply.render(try XCTUnwrap(Token("xDDR4V07Iqyn3n0A")), .json)
        let object = try JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: String]
        XCTAssertEqual(object, ["Token": "xDDR4V07Iqyn3n0A"])
    }
}
