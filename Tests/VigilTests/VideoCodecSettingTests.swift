import Encode
import Logging
import MediaCore
import Serve
import VigilKit
import XCTest

/// `VigilSettings.Video.codec` picks the encoder, the payload format, the SDP lines and the
/// coded size — what a per-stream `codec` key in a config file maps onto. Built by the real
/// composition root and shut down gracefully.
final class VideoCodecSettingTests: XCTestCase {
    func testEachCodecBuildsItsEncoderPayloadAndSize() async throws {
        let cases: [(VigilSettings.VideoCodec, encoding: String, payloadType: UInt8, fmtp: String?, format: H263PictureFormat?)] = [
            (.h264, "H264", 96, nil, nil),
            (.h263, "H263-1998", 96, "CUSTOM=640,480,1", .custom(width: 640, height: 480)),
            (.h263Profile2000, "H263-2000", 96, "profile=0;level=40", .cif),
            (.h263RFC2190, "H263", 34, "CIF=1", .cif),
        ]
        for (codec, encoding, payloadType, fmtp, format) in cases {
            var settings = VigilFixture.smallSettings()
            settings.video.codec = codec
            settings.video.width = 640
            settings.video.height = 480
            settings.video.bitrateKbps = 1000
            let fixture = try await VigilFixture(settings: settings)
            let vigil = fixture.vigil
            let track = vigil.hub.configuration.tracks[0]
            XCTAssertEqual(track.encodingName, encoding, "\(codec)")
            XCTAssertEqual(track.payloadType, payloadType, "\(codec)")
            XCTAssertEqual(track.codec, codec == .h264 ? MediaCodec.h264 : .h263)
            XCTAssertEqual(vigil.pipeline.videoEncoder!.codec, track.codec)
            if let fmtp { XCTAssertEqual(track.formatParameters, fmtp, "\(codec)") }
            XCTAssertEqual((vigil.pipeline.videoEncoder as? H263Encoder)?.format, format, "\(codec)")
            try await fixture.stop()
        }
    }

    func testCodecNamesAsTheCommandLineTakesThem() {
        XCTAssertEqual(VigilSettings.VideoCodec(name: "h264"), .h264)
        XCTAssertEqual(VigilSettings.VideoCodec(name: "h263"), .h263)
        XCTAssertEqual(VigilSettings.VideoCodec(name: "h263-1998"), .h263)
        XCTAssertEqual(VigilSettings.VideoCodec(name: "h263-2000"), .h263Profile2000)
        XCTAssertEqual(VigilSettings.VideoCodec(name: "h263-rfc2190"), .h263RFC2190)
        XCTAssertNil(VigilSettings.VideoCodec(name: "h265"))
        XCTAssertEqual(VigilSettings.Video().codec, .h264, "H.264 stays the default")
    }
}
