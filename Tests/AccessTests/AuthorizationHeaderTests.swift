import XCTest
@testable import Access

final class AuthorizationHeaderTests: XCTestCase {
    private func digest(_ value: String, file: StaticString = #filePath, line: UInt = #line) -> DigestCredentials? {
        do {
            guard case .digest(let credentials) = try AuthorizationHeader.parse(value) else {
                XCTFail("not digest credentials", file: file, line: line)
                return nil
            }
            return credentials
        } catch {
            XCTFail("\(error)", file: file, line: line)
            return nil
        }
    }

    /// RFC 7616 §3.9.1, SHA-256, as printed: folded over lines with tabs.
    func testRFC7616Section391Header() {
        let value = "Digest username=\"Mufasa\",\r\n\trealm=\"http-auth@example.org\",\r\n\turi=\"/dir/index.html\",\r\n"
            + "\talgorithm=SHA-256,\r\n\tnonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\",\r\n\tnc=00000001,\r\n"
            + "\tcnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\",\r\n\tqop=auth,\r\n"
            + "\tresponse=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\",\r\n"
            + "\topaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\""
        guard let credentials = digest(value) else { return }
        XCTAssertEqual(
            credentials,
            DigestCredentials(
                username: "Mufasa", realm: "http-auth@example.org", nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
                uri: "/dir/index.html", response: "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
                algorithm: "SHA-256",
                quality: .init(nonceCountText: "00000001", cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop: "auth"),
                opaque: "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
            )
        )
        XCTAssertEqual(credentials.nonceCount, 1)
    }

    /// ffmpeg 5.1 libavformat/httpauth.c make_digest_auth: no spaces, algorithm unquoted and
    /// only when challenged with one, qop quoted, cnonce 16 hex digits, nc last.
    func testFFmpegHeader() {
        let value = #"Digest username="viewer",realm="Vigil",nonce="AQAAAAAAAAPoc2VjcmV0bm9uY2U",uri="rtsp://192.0.2.10:8554/door/trackID=0",response="ad228c059094b130191a40deb663f392",algorithm=MD5,opaque="b3BhcXVl",qop="auth",cnonce="0a4f113b6c5e2d71",nc=00000002"#
        guard let credentials = digest(value) else { return }
        XCTAssertEqual(credentials.username, "viewer")
        XCTAssertEqual(credentials.uri, "rtsp://192.0.2.10:8554/door/trackID=0")
        XCTAssertEqual(credentials.algorithm, "MD5")
        XCTAssertEqual(credentials.opaque, "b3BhcXVl")
        XCTAssertEqual(credentials.quality, .init(nonceCountText: "00000002", cnonce: "0a4f113b6c5e2d71", qop: "auth"))
        XCTAssertEqual(credentials.nonceCount, 2)
    }

    /// ffmpeg answering a challenge without qop: the RFC 2069 shape with algorithm.
    func testFFmpegHeaderWithoutQop() {
        let value = #"Digest username="viewer",realm="Vigil",nonce="n",uri="rtsp://cam/door",response="3f4618d220d1ac19fe787b1ab9086e98",algorithm=MD5"#
        guard let credentials = digest(value) else { return }
        XCTAssertNil(credentials.quality)
        XCTAssertNil(credentials.opaque)
    }

    /// GStreamer 1.22 gstrtspconnection.c add_auth_header: ", " separators, RFC 2069 style,
    /// no algorithm, opaque appended when the challenge had one.
    func testGStreamerHeader() {
        let value = #"Digest username="viewer", realm="Vigil", nonce="AQAAAAAAAAPoc2VjcmV0bm9uY2U", uri="rtsp://192.0.2.10:8554/door", response="3f4618d220d1ac19fe787b1ab9086e98", opaque="b3BhcXVl""#
        guard let credentials = digest(value) else { return }
        XCTAssertEqual(
            credentials,
            DigestCredentials(
                username: "viewer", realm: "Vigil", nonce: "AQAAAAAAAAPoc2VjcmV0bm9uY2U", uri: "rtsp://192.0.2.10:8554/door",
                response: "3f4618d220d1ac19fe787b1ab9086e98", opaque: "b3BhcXVl"
            )
        )
        XCTAssertNil(credentials.algorithm)
        XCTAssertNil(credentials.nonceCount)
    }

    func testNamesAndSchemeAreCaseInsensitive() {
        guard let credentials = digest(#"dIgEsT UserName="a", REALM="r", Nonce=n, URI="/", Response="x", QOP=auth, NC=0000000A, CNonce="c""#) else {
            return
        }
        XCTAssertEqual(credentials.username, "a")
        XCTAssertEqual(credentials.nonce, "n")
        XCTAssertEqual(credentials.quality?.nonceCountText, "0000000A")
        XCTAssertEqual(credentials.nonceCount, 10)
    }

    func testQuotedStringsKeepCommasAndUnescape() {
        guard let credentials = digest(#"Digest username="a\"b\\c", realm="one, two", nonce="x,y=z", uri="/p?q=1,2", response="r""#) else {
            return
        }
        XCTAssertEqual(credentials.username, #"a"b\c"#)
        XCTAssertEqual(credentials.realm, "one, two")
        XCTAssertEqual(credentials.nonce, "x,y=z")
        XCTAssertEqual(credentials.uri, "/p?q=1,2")
    }

    func testUnknownParametersAndEmptyElementsAreIgnored() {
        guard let credentials = digest(#"Digest ,, username="a" , foo=bar,baz="x, \"y\"",realm="r",,nonce="n",uri="/",response="r", auth-param-ext=1 ,"#) else {
            return
        }
        XCTAssertEqual(credentials.username, "a")
        XCTAssertEqual(credentials.response, "r")
    }

    func testUnicodeAndExtendedUsername() {
        XCTAssertEqual(digest(#"Digest username="jürgen", realm="r", nonce="n", uri="/", response="x""#)?.username, "jürgen")
        // RFC 7616 §3.9.2 style: username*=UTF-8''J%C3%A4s%C3%B8n%20Doe
        XCTAssertEqual(
            digest(#"Digest username*=UTF-8''J%C3%A4s%C3%B8n%20Doe, realm="r", nonce="n", uri="/", response="x""#)?.username,
            "Jäsøn Doe"
        )
    }

    func testStrayCountWithoutQopIsIgnored() {
        let credentials = digest(#"Digest username="a", realm="r", nonce="n", uri="/", response="x", nc=zz, cnonce="c""#)
        XCTAssertNil(credentials?.quality)
    }

    func testBasic() throws {
        // base64("viewer:door-bell 42")
        XCTAssertEqual(try AuthorizationHeader.parse("Basic dmlld2VyOmRvb3ItYmVsbCA0Mg=="), .basic(username: "viewer", password: "door-bell 42"))
        XCTAssertEqual(try AuthorizationHeader.parse("basic   dmlld2VyOmRvb3ItYmVsbCA0Mg  "), .basic(username: "viewer", password: "door-bell 42"))
        // base64("jürgen:pässwörd:with:colons"): the user-id ends at the first colon.
        XCTAssertEqual(
            try AuthorizationHeader.parse("Basic asO8cmdlbjpww6Rzc3fDtnJkOndpdGg6Y29sb25z"),
            .basic(username: "jürgen", password: "pässwörd:with:colons")
        )
    }

    func testBearer() throws {
        XCTAssertEqual(try AuthorizationHeader.parse("Bearer abc-DEF_123.~+/=="), .token("abc-DEF_123.~+/=="))
    }

    func testPresentedCredentialsFromHeader() {
        XCTAssertEqual(PresentedCredentials(authorization: nil), .none)
        XCTAssertEqual(PresentedCredentials(authorization: "Negotiate x"), .malformed(.unsupportedScheme("Negotiate")))
        XCTAssertFalse("\(PresentedCredentials.basic(username: "u", password: "hunter2"))".contains("hunter2"))
    }

    /// Every malformed shape is a named error, never a trap.
    func testMalformedValues() {
        let long = "Digest username=\"" + String(repeating: "a", count: 5000) + "\""
        let many = "Digest " + (0...AuthorizationHeader.maximumParameters).map { "p\($0)=1" }.joined(separator: ",")
        let cases: [(String, AuthorizationHeaderError)] = [
            ("", .empty),
            ("   ", .empty),
            (long, .tooLong(long.utf8.count)),
            ("=abc", .missingScheme),
            ("Negotiate abc", .unsupportedScheme("Negotiate")),
            ("Basic", .missingCredentials(scheme: "Basic")),
            ("Basic    ", .missingCredentials(scheme: "Basic")),
            ("Basic !!!", .invalidToken68(scheme: "Basic")),
            ("Basic abc def", .invalidToken68(scheme: "Basic")),
            ("Basic ab=c", .invalidToken68(scheme: "Basic")),
            ("Basic a", .invalidBase64),
            ("Basic bm9jb2xvbg==", .missingColon),  // "nocolon"
            ("Basic /zph", .invalidUTF8(field: "Basic credentials")),  // FF 3A 61
            ("Bearer", .missingCredentials(scheme: "Bearer")),
            ("Digest", .missingCredentials(scheme: "Digest")),
            ("Digest ,, ,", .missingCredentials(scheme: "Digest")),
            ("Digest,username=\"a\"", .expectedParameterName(offset: 6)),
            ("Digest username", .expectedEquals(parameter: "username")),
            ("Digest username=", .expectedValue(parameter: "username")),
            ("Digest username=,realm=r", .expectedValue(parameter: "username")),
            ("Digest username=\"a", .unterminatedQuotedString(parameter: "username")),
            ("Digest username=\"a\\", .unterminatedQuotedString(parameter: "username")),
            ("Digest username=\"a\" realm=\"b\"", .expectedComma(offset: 20)),
            ("Digest username=\"a\"x", .expectedComma(offset: 19)),
            ("Digest username=\"a\u{1}\"", .controlCharacter(offset: 18)),
            ("Digest username=a\u{0}", .controlCharacter(offset: 17)),
            ("Digest =a", .expectedParameterName(offset: 7)),
            ("Digest user@name=a", .expectedEquals(parameter: "user")),
            ("Digest username=a, USERNAME=b", .duplicateParameter("username")),
            (many, .tooManyParameters),
            ("Digest realm=r, nonce=n, uri=/, response=x", .missingParameter("username")),
            ("Digest username=a, nonce=n, uri=/, response=x", .missingParameter("realm")),
            ("Digest username=a, realm=r, uri=/, response=x", .missingParameter("nonce")),
            ("Digest username=a, realm=r, nonce=n, response=x", .missingParameter("uri")),
            ("Digest username=a, realm=r, nonce=n, uri=/", .missingParameter("response")),
            ("Digest username=a, realm=r, nonce=n, uri=/, response=x, qop=auth, cnonce=c", .missingParameter("nc")),
            ("Digest username=a, realm=r, nonce=n, uri=/, response=x, qop=auth, nc=00000001", .missingParameter("cnonce")),
            ("Digest username=a, realm=r, nonce=n, uri=/, response=x, qop=auth, nc=1, cnonce=c", .invalidParameter(name: "nc", value: "1")),
            ("Digest username=a, realm=r, nonce=n, uri=/, response=x, qop=auth, nc=0000000g, cnonce=c", .invalidParameter(name: "nc", value: "0000000g")),
            ("Digest username=a, username*=UTF-8''b, realm=r, nonce=n, uri=/, response=x", .conflictingParameters("username", "username*")),
            ("Digest username*=latin1''b, realm=r, nonce=n, uri=/, response=x", .invalidParameter(name: "username*", value: "latin1''b")),
            ("Digest username*=UTF-8''%C3, realm=r, nonce=n, uri=/, response=x", .invalidParameter(name: "username*", value: "UTF-8''%C3")),
            ("Digest username=a, realm=r, nonce=n, uri=/, response=x, userhash=maybe", .invalidParameter(name: "userhash", value: "maybe")),
        ]
        for (value, expected) in cases {
            XCTAssertThrowsError(try AuthorizationHeader.parse(value), value.debugDescription) { error in
                XCTAssertEqual(error as? AuthorizationHeaderError, expected, value.debugDescription)
                XCTAssertFalse("\(error)".isEmpty)
            }
        }
    }
}
