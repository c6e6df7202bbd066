import XCTest
@testable import Access

final class DigestAlgorithmTests: XCTestCase {
    // RFC 7616 §3.9.1: user Mufasa, password "Circle of Life", GET /dir/index.html, qop=auth.
    private let rfcNonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
    private let rfcCnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
    private let rfcRealm = "http-auth@example.org"

    func testRFC7616Section391SHA256() {
        let ha1 = DigestAlgorithm.sha256.ha1(username: "Mufasa", realm: rfcRealm, password: "Circle of Life")
        let response = DigestAlgorithm.sha256.response(
            ha1: ha1, nonce: rfcNonce, method: "GET", uri: "/dir/index.html",
            quality: .init(nonceCount: 1, cnonce: rfcCnonce)
        )
        XCTAssertEqual(response, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1")
    }

    func testRFC7616Section391MD5() {
        let ha1 = DigestAlgorithm.md5.ha1(username: "Mufasa", realm: rfcRealm, password: "Circle of Life")
        let response = DigestAlgorithm.md5.response(
            ha1: ha1, nonce: rfcNonce, method: "GET", uri: "/dir/index.html",
            quality: .init(nonceCount: 1, cnonce: rfcCnonce)
        )
        XCTAssertEqual(response, "8ca523f5e9506fed4657c9700eebdbec")
    }

    /// RFC 2069 §2.4's inputs (Mufasa, "CircleOfLife", realm testrealm@host.com), no qop.
    /// Expected value computed independently:
    ///
    ///     python3 -c 'import hashlib; m=lambda s: hashlib.md5(s.encode()).hexdigest();
    ///       a=m("Mufasa:testrealm@host.com:CircleOfLife"); b=m("GET:/dir/index.html");
    ///       print(m(a+":dcd98b7102dd2f0e8b11d0f600bfb0c093:"+b))'
    func testRFC2069StyleWithoutQop() {
        let ha1 = DigestAlgorithm.md5.ha1(username: "Mufasa", realm: "testrealm@host.com", password: "CircleOfLife")
        let response = DigestAlgorithm.md5.response(
            ha1: ha1, nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093", method: "GET", uri: "/dir/index.html", quality: nil
        )
        XCTAssertEqual(response, "1949323746fe6a43ef61f9606e7febea")
    }

    /// GStreamer-shaped RTSP request (RFC 2069 style: DESCRIBE, the rtsp:// URL as digest-uri).
    /// python3 hashlib: HA1 = md5("viewer:Vigil:door-bell 42"),
    /// response = md5(HA1 + ":AQAAAAAAAAPoc2VjcmV0bm9uY2U:" + md5("DESCRIBE:rtsp://192.0.2.10:8554/door")).
    func testRTSPDescribeWithoutQop() {
        let ha1 = DigestAlgorithm.md5.ha1(username: "viewer", realm: "Vigil", password: "door-bell 42")
        XCTAssertEqual(ha1, "49717242040afda30a813c7df3de8ea0")
        let response = DigestAlgorithm.md5.response(
            ha1: ha1, nonce: "AQAAAAAAAAPoc2VjcmV0bm9uY2U", method: "DESCRIBE", uri: "rtsp://192.0.2.10:8554/door", quality: nil
        )
        XCTAssertEqual(response, "3f4618d220d1ac19fe787b1ab9086e98")
    }

    /// ffmpeg-shaped RTSP request (MD5, qop=auth, nc=00000002, 16-hex cnonce), python3 hashlib:
    /// md5(HA1 + ":AQAAAAAAAAPoc2VjcmV0bm9uY2U:00000002:0a4f113b6c5e2d71:auth:"
    ///     + md5("SETUP:rtsp://192.0.2.10:8554/door/trackID=0")).
    func testRTSPSetupWithQop() {
        let ha1 = DigestAlgorithm.md5.ha1(username: "viewer", realm: "Vigil", password: "door-bell 42")
        let response = DigestAlgorithm.md5.response(
            ha1: ha1, nonce: "AQAAAAAAAAPoc2VjcmV0bm9uY2U", method: "SETUP", uri: "rtsp://192.0.2.10:8554/door/trackID=0",
            quality: .init(nonceCount: 2, cnonce: "0a4f113b6c5e2d71")
        )
        XCTAssertEqual(response, "ad228c059094b130191a40deb663f392")
    }

    func testNonceCountIsEightHexDigits() {
        XCTAssertEqual(DigestAlgorithm.QualityOfProtection(nonceCount: 1, cnonce: "c").nonceCountText, "00000001")
        XCTAssertEqual(DigestAlgorithm.QualityOfProtection(nonceCount: 0xABCDEF12, cnonce: "c").nonceCountText, "abcdef12")
    }

    func testAlgorithmTokensAreCaseInsensitive() {
        XCTAssertEqual(DigestAlgorithm(token: "md5"), .md5)
        XCTAssertEqual(DigestAlgorithm(token: "sha-256"), .sha256)
        XCTAssertEqual(DigestAlgorithm(token: "SHA-256"), .sha256)
        XCTAssertNil(DigestAlgorithm(token: "MD5-sess"))
        XCTAssertNil(DigestAlgorithm(token: "SHA-512-256"))
    }

    func testChallengeHeaderValue() {
        let challenge = DigestChallenge(
            realm: "Vigil \"cam\"", nonce: "n0nce", opaque: "op", algorithm: .sha256, stale: true
        )
        XCTAssertEqual(
            challenge.headerValue,
            #"Digest realm="Vigil \"cam\"", qop="auth", algorithm=SHA-256, nonce="n0nce", opaque="op", stale=true"#
        )
        XCTAssertEqual(BasicChallenge(realm: "Vigil").headerValue, #"Basic realm="Vigil", charset="UTF-8""#)
    }
}
