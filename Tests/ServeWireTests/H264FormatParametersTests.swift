import XCTest
@testable import ServeWire

final class H264FormatParametersTests: XCTestCase {
    func testProfileLevelIDFromX264BaselineSPS() {
        XCTAssertEqual(H264FormatParameters.profileLevelID(sps: X264Baseline.sps), "42c01e")
        XCTAssertEqual(H264FormatParameters.profileLevelID(sps: [0x67, 0x42]), "420010", "RFC 6184 default")
    }

    func testFmtpFromX264BaselineSPSAndPPS() {
        // sprop-parameter-sets checked against `base64` of the same bytes.
        XCTAssertEqual(
            H264FormatParameters.fmtp(sps: X264Baseline.sps, pps: X264Baseline.pps),
            "packetization-mode=1;profile-level-id=42c01e;sprop-parameter-sets=Z0LAHtkAoD2wEQAAAwABAAADADIPFi5I,aMuDyyA="
        )
        XCTAssertEqual(H264FormatParameters.fmtp(sps: [], pps: [], packetizationMode: 0), "packetization-mode=0")
        XCTAssertEqual(H264FormatParameters.rtpmap, "H264/90000")
    }

    func testParameterSetsRoundTrip() {
        let fmtp = H264FormatParameters.fmtp(sps: X264Baseline.sps, pps: X264Baseline.pps)
        XCTAssertEqual(H264FormatParameters.parameterSets(fromFmtp: fmtp), [X264Baseline.sps, X264Baseline.pps])
        XCTAssertNil(H264FormatParameters.parameterSets(fromFmtp: "packetization-mode=1"))
        XCTAssertNil(H264FormatParameters.parameterSets(fromFmtp: "sprop-parameter-sets=@@@"))
    }

    func testBase64AgainstRFC4648Vectors() {
        // RFC 4648 §10 test vectors.
        let vectors = [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="),
                       ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")]
        for (plain, encoded) in vectors {
            XCTAssertEqual(Base64.encode(Array(plain.utf8)), encoded)
            XCTAssertEqual(Base64.decode(encoded), Array(plain.utf8))
        }
    }
}
