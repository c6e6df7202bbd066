import Access
import Foundation
import Logging
import VigilKit
import XCTest

/// The config file: what it decodes to, and every problem it can have — each named by key and
/// line with what is allowed, all reported at once.
final class ConfigTests: XCTestCase {
    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    func testEmptyFileIsTheSyntheticDefault() throws {
        for text in ["", "\n\n", "# only a comment\n   \n"] {
            let settings = try VigilConfigFile.parse(text)
            XCTAssertEqual(settings, VigilConfigFile.defaults)
        }
        let defaults = VigilConfigFile.defaults
        XCTAssertEqual(defaults.streams.map(\.path), ["live"])
        XCTAssertEqual(defaults.videoSource, .synthetic)
        XCTAssertEqual(defaults.audioSource, .synthetic)
        XCTAssertEqual(defaults.rtsp.port, 8554)
        XCTAssertEqual(defaults.http, .init(enabled: true, host: "127.0.0.1", port: 8080))
        XCTAssertEqual(defaults.logLevel, .info)
    }

    func testMissingFileIsTheDefaultOnlyAtTheDefaultPath() throws {
        let missing = "/nonexistent/vigil-\(UInt32.random(in: 0...UInt32.max)).toml"
        XCTAssertEqual(try VigilConfigFile.load(path: missing, missingIsDefault: true), VigilConfigFile.defaults)
        XCTAssertThrowsError(try VigilConfigFile.load(path: missing, missingIsDefault: false)) { error in
            XCTAssertEqual((error as? ConfigError)?.problems.first?.message, "no such file")
        }
    }

    /// The shipped example is complete (every key the decoder knows appears in it, set or
    /// commented) and, as shipped, means exactly the defaults.
    func testShippedExampleIsValidCompleteAndTheDefaults() throws {
        let path = Self.root.appendingPathComponent("Systemd/vigil.toml").path
        let settings = try VigilConfigFile.load(path: path, missingIsDefault: false)
        XCTAssertEqual(settings, VigilConfigFile.defaults)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let keys = [
            "[rtsp]", "host", "port", "udp_port_base", "mtu", "session_timeout", "max_sessions", "multicast",
            "multicast_group", "multicast_port", "multicast_ttl", "request_timeout", "max_connections", "max_connections_per_address", "tcp_audio_hold_ms", "[http]", "enabled", "mjpeg_fps", "jpeg_quality", "cors_origin", "hls", "hls_part", "hls_segment", "hls_idle",
            "session_idle", "session_lifetime", "tls_certificate", "tls_key",
            "[webrtc]", "addresses", "ice_servers", "turn_username", "turn_password", "max_peers", "[log]", "level", "[[stream]]", "path",
            "[stream.video]", "source", "device", "file", "format", "loop", "pattern", "width", "height", "fps", "codec",
            "bitrate", "preset", "tune", "profile", "keyint", "threads", "adaptive_bitrate", "adaptive_policy", "min_bitrate", "rtcp_profile", "retransmission",
            "[stream.audio]", "sample_rate",
            "[stream.record]", "segment", "part", "keep", "min_free", "max_size", "audio",
            "[access]", "realm", "anonymous", "basic", "token_secret", "token_max_duration", "token_max_uses", "state_directory",
            "[[user]]", "name", "password", "permissions", "ips",
        ]
        let lines = text.split(separator: "\n").map { $0.hasPrefix("#") ? String($0.dropFirst()) : String($0) }
        for key in keys {
            let documented = key.hasPrefix("[") ? lines.contains(key) : lines.contains { $0.hasPrefix("\(key) = ") }
            XCTAssertTrue(documented, "\(key) is in the example")
        }
        // The commented second stream is valid too, once uncommented.
        let example = try XCTUnwrap(text.range(of: "# A second stream"))
        let second = text[example.upperBound...].split(separator: "\n").dropFirst()
            .map { $0.hasPrefix("#") ? String($0.dropFirst()) : String($0) }.joined(separator: "\n")
        let two = try VigilConfigFile.parse(text + "\n" + second)
        XCTAssertEqual(two.streams.map(\.path), ["live", "door"])
        XCTAssertEqual(two.streams[1].videoSource, .camera(path: "/dev/video0"))
        XCTAssertEqual(two.streams[1].audioSource, .microphone(name: "plughw:CARD=U0x46d0x825"))
    }

    func testFullFileDecodes() throws {
        let text = """
            [rtsp]
            host = "127.0.0.1"
            port = 9554
            udp_port_base = 7000
            mtu = 1200
            session_timeout = 30
            max_sessions = 10
            multicast = false
            multicast_ttl = 4
            tcp_audio_hold_ms = 0

            [http]
            enabled = true
            host = "0.0.0.0"
            port = 0
            mjpeg_fps = 10
            jpeg_quality = 60
            max_connections = 64
            cors_origin = "https://nvr.example:8443"
            hls = true
            hls_part = "300ms"
            hls_segment = "2s"
            hls_idle = "1m"

            # Off loopback the API needs someone granted "api".
            [access]
            anonymous = ["read", "api"]

            [log]
            level = "debug"

            [[stream]]
            path = "door/front"   # a comment after a value
            [stream.video]
            source = "camera"
            device = "/dev/video2"
            width = 640
            height = 480
            fps = 15
            codec = "h263-rfc2190"
            bitrate = 800
            preset = "veryfast"
            tune = "film"
            profile = "main"
            keyint = 30
            threads = 2
            adaptive_bitrate = false
            adaptive_policy = "lowest"
            min_bitrate = 200
            rtcp_profile = "avpf"
            retransmission = "rtx"
            [stream.audio]
            source = "microphone"
            device = 'plughw:CARD=U0x46d0x825'
            codec = "pcma"
            sample_rate = 16000

            [[stream]]
            path = "raw"
            [stream.video]
            source = "raw"
            file = "/run/v.yuv"
            format = "yuyv"
            loop = false
            width = 320
            height = 240
            fps = 10
            [stream.audio]
            enabled = false
            """
        let settings = try VigilConfigFile.parse(text)
        XCTAssertEqual(settings.rtsp.host, "127.0.0.1")
        XCTAssertEqual(settings.rtsp.port, 9554)
        XCTAssertEqual(settings.rtsp.udpPortBase, 7000)
        XCTAssertEqual(settings.mtu, 1200)
        XCTAssertEqual(settings.rtsp.sessionTimeout, .seconds(30))
        XCTAssertEqual(settings.rtsp.maxSessions, 10)
        XCTAssertNil(settings.rtsp.multicastGroupBase)
        XCTAssertEqual(settings.rtsp.multicastTTL, 4)
        XCTAssertEqual(settings.rtsp.interleavedAudioHold, .zero)
        var http = VigilSettings.HTTP(enabled: true, host: "0.0.0.0", port: 0)
        http.mjpegFrameRate = 10
        http.jpegQuality = 60
        http.maxConnections = 64
        http.corsOrigin = "https://nvr.example:8443"
        http.hls.partTarget = .milliseconds(300)
        http.hls.segmentDuration = .seconds(2)
        http.hls.idleTimeout = .seconds(60)
        XCTAssertEqual(settings.http, http)
        XCTAssertEqual(settings.access.anonymousGrants, [Grant(.read, path: .any), Grant(.api, path: .any)])
        XCTAssertEqual(settings.logLevel, .debug)
        XCTAssertEqual(settings.streams.count, 2)
        let door = settings.streams[0]
        XCTAssertEqual(door.path, "door/front")
        XCTAssertEqual(door.videoSource, .camera(path: "/dev/video2"))
        XCTAssertEqual(door.audioSource, .microphone(name: "plughw:CARD=U0x46d0x825"))
        XCTAssertEqual(door.video.width, 640)
        XCTAssertEqual(door.video.height, 480)
        XCTAssertEqual(door.video.frameRate, 15)
        XCTAssertEqual(door.video.bitrateKbps, 800)
        XCTAssertEqual(door.video.preset, "veryfast")
        XCTAssertEqual(door.video.tune, "film")
        XCTAssertEqual(door.video.profile, "main")
        XCTAssertEqual(door.video.keyFrameInterval, 30)
        XCTAssertEqual(door.video.threads, 2)
        XCTAssertFalse(door.video.adaptiveBitrate)
        XCTAssertEqual(door.video.codec, .h263RFC2190)
        XCTAssertEqual(door.video.adaptivePolicy, .lowest)
        XCTAssertEqual(door.video.minimumBitrateKbps, 200)
        XCTAssertEqual(door.video.rtcpProfile, .avpf)
        XCTAssertEqual(door.video.retransmission, .rtx)
        XCTAssertEqual(door.audio.codec, .pcma)
        XCTAssertEqual(door.audio.sampleRate, 16000)
        let raw = settings.streams[1]
        guard case .rawInput(let input) = raw.videoSource else { return XCTFail("raw video source") }
        XCTAssertEqual(input.path, "/run/v.yuv")
        XCTAssertEqual(input.format, .yuyv)
        XCTAssertEqual(input.width, 320)
        XCTAssertEqual(input.height, 240)
        XCTAssertEqual(input.frameRate, 10)
        XCTAssertFalse(input.loop)
        XCTAssertFalse(raw.audio.enabled)
    }

    /// Table-driven: each file holds one mistake; the problem names the key and the line and
    /// says what is allowed.
    /// `[webrtc]` read whole; TURN credentials go to the turn: servers only, in the WHEP
    /// `Link` form of draft-ietf-wish-whep §4.6.
    func testWebRTCTableIsRead() throws {
        let settings = try VigilConfigFile.parse("""
            [webrtc]
            port = 9000
            addresses = ["203.0.113.7", "2001:db8::7"]
            ice_servers = ["stun:stun.example.net:3478", "turn:turn.example.net:3478?transport=udp"]
            turn_username = "vigil"
            turn_password = "pa\\"ss"
            max_peers = 3
            """, path: "test.toml")
        XCTAssertEqual(settings.webRTC.port, 9000)
        XCTAssertEqual(settings.webRTC.addresses, ["203.0.113.7", "2001:db8::7"])
        XCTAssertEqual(settings.webRTC.maxPeers, 3)
        XCTAssertEqual(settings.webRTC.iceServers.map(\.linkHeader), [
            "<stun:stun.example.net:3478>; rel=\"ice-server\"",
            "<turn:turn.example.net:3478?transport=udp>; rel=\"ice-server\"; username=\"vigil\"; credential=\"pa\\\"ss\"; credential-type=\"password\"",
        ])
        XCTAssertEqual(VigilConfigFile.defaults.webRTC.port, 8189)
    }

    func testEachProblemNamesKeyLineAndWhatIsAllowed() throws {
        let cases: [(name: String, text: String, line: Int?, key: String, message: String)] = [
            ("unknown top-level key", "colour = 1", 1, "colour", "unknown key; allowed at the top level: [rtsp], [http], [webrtc], [log], [access], [[user]], [[stream]]"),
            ("unknown table", "[video]\nfps = 3", 1, "video", "unknown key; allowed at the top level: [rtsp], [http], [webrtc], [log], [access], [[user]], [[stream]]"),
            ("unknown key in rtsp", "[rtsp]\nprot = 1", 2, "rtsp.prot",
             "unknown key; allowed in [rtsp]: host, port, udp_port_base, mtu, session_timeout, max_sessions, request_timeout, max_connections, max_connections_per_address, multicast, multicast_group, multicast_port, multicast_ttl, tcp_audio_hold_ms"),
            ("wrong type", "[rtsp]\nport = \"8554\"", 2, "rtsp.port", "must be an integer in 0...65535, got a string"),
            ("out of range", "[rtsp]\n\nport = 70000", 3, "rtsp.port", "must be 0...65535, got 70000"),
            ("audio hold out of range", "[rtsp]\ntcp_audio_hold_ms = 500", 2, "rtsp.tcp_audio_hold_ms", "must be 0...200, got 500"),
            ("bad host", "[rtsp]\nhost = \"example.com\"", 2, "rtsp.host",
             "must be an IP address to listen on (\"0.0.0.0\" for all, \"127.0.0.1\" for this box only), got \"example.com\""),
            ("odd multicast port", "[rtsp]\nmulticast_port = 5005", 2, "rtsp.multicast_port", "must be even (RTP on it, RTCP on the next), got 5005"),
            ("not multicast", "[rtsp]\nmulticast_group = \"10.0.0.1\"", 2, "rtsp.multicast_group",
             "must be an IPv4 multicast address (224.0.0.0–239.255.255.255), got \"10.0.0.1\""),
            ("boolean expected", "[http]\nenabled = 1", 2, "http.enabled", "must be true or false, got an integer"),
            ("mjpeg rate", "[http]\n\nmjpeg_fps = 0", 3, "http.mjpeg_fps", "must be 1...30, got 0"),
            ("jpeg quality", "[http]\njpeg_quality = 101", 2, "http.jpeg_quality", "must be 1...100, got 101"),
            ("cors origin with a path", "[http]\ncors_origin = \"https://nvr.example/page\"", 2, "http.cors_origin",
             "must be \"*\" or an origin such as \"https://nvr.example:8443\" (scheme://host[:port], no path), got \"https://nvr.example/page\""),
            ("http connections", "[http]\nmax_connections = \"many\"", 2, "http.max_connections", "must be an integer in 1...10000, got a string"),
            ("hls part", "[http]\nhls_part = \"50ms\"", 2, "http.hls_part", "must be 100ms to 2s, got \"50ms\""),
            ("hls part over segment", "[http]\nhls_segment = \"1s\"\nhls_part = \"1500ms\"", 3, "http.hls_part", "must not be longer than hls_segment (1s)"),
            ("hls idle", "[http]\n\nhls_idle = \"soon\"", 3, "http.hls_idle",
             "must be a duration like \"30s\" (a number and one of ms, s, m, h, d, w), got \"soon\""),
            ("hls switch", "[http]\nhls = \"yes\"", 2, "http.hls", "must be true or false, got a string"),
            ("webrtc port", "[webrtc]\nport = 70000", 2, "webrtc.port", "must be 0...65535, got 70000"),
            ("webrtc address", "[webrtc]\naddresses = [\n  \"203.0.113.7\",\n  \"box.example\",\n]", 4, "webrtc.addresses",
             "each must be an IP address the viewers can reach (a host candidate), got \"box.example\""),
            ("ice server", "[webrtc]\nice_servers = [\"http://stun.example\"]", 2, "webrtc.ice_servers",
             "each must be a stun:, stuns:, turn: or turns: URL (RFC 7064, RFC 7065), got \"http://stun.example\""),
            ("turn password alone", "[webrtc]\n\nturn_password = \"x\"", 3, "webrtc.turn_password", "turn_username and turn_password go together"),
            ("webrtc peers", "[webrtc]\nmax_peers = 0", 2, "webrtc.max_peers", "must be 1...10000, got 0"),
            ("unknown webrtc key", "[webrtc]\nstun = 1", 2, "webrtc.stun",
             "unknown key; allowed in [webrtc]: enabled, host, port, max_peers, addresses, ice_servers, turn_username, turn_password"),
            ("log level", "[log]\nlevel = \"verbose\"", 2, "log.level",
             "must be one of \"trace\", \"debug\", \"info\", \"notice\", \"warning\", \"error\", \"critical\", got \"verbose\""),
            ("odd width", "[[stream]]\n[stream.video]\nwidth = 641", 3, "stream.video.width", "must be even (4:2:0 pictures), got 641"),
            ("fps", "[[stream]]\n[stream.video]\nfps = 0", 3, "stream.video.fps", "must be 1...120, got 0"),
            ("source", "[[stream]]\n[stream.video]\nsource = \"webcam\"", 3, "stream.video.source",
             "must be one of \"synthetic\", \"camera\", \"raw\", \"file\", got \"webcam\""),
            ("codec other", "[[stream]]\n[stream.video]\ncodec = \"vp8\"", 3, "stream.video.codec",
             "must be one of \"h264\", \"h263\" (= \"h263-1998\"), \"h263-2000\", \"h263-rfc2190\", got \"vp8\""),
            ("adaptive policy", "[[stream]]\n[stream.video]\nadaptive_policy = \"best\"", 3, "stream.video.adaptive_policy",
             "must be one of \"median\", \"lowest\", got \"best\""),
            ("preset", "[[stream]]\n[stream.video]\npreset = \"quick\"", 3, "stream.video.preset",
             "must be one of \"ultrafast\", \"superfast\", \"veryfast\", \"faster\", \"fast\", \"medium\", \"slow\", \"slower\", \"veryslow\", \"placebo\", got \"quick\""),
            ("min over max", "[[stream]]\n[stream.video]\nbitrate = 500\nmin_bitrate = 900", 4, "stream.video.min_bitrate",
             "must not exceed bitrate (500), got 900"),
            ("device without camera", "[[stream]]\n[stream.video]\ndevice = \"/dev/video0\"", 3, "stream.video.device",
             "is only used with source = \"camera\" (this table has source = \"synthetic\")"),
            ("raw without file", "[[stream]]\n[stream.video]\nsource = \"raw\"", 3, "stream.video.file",
             "is required with source = \"raw\" (a file or FIFO of raw pictures)"),
            ("retransmission", "[[stream]]\n[stream.video]\nretransmission = \"fec\"", 3, "stream.video.retransmission",
             "must be one of \"off\", \"resend\", \"rtx\", got \"fec\""),
            ("audio codec", "[[stream]]\n[stream.audio]\ncodec = \"aac\"", 3, "stream.audio.codec", "must be one of \"pcmu\", \"pcma\", \"opus\", got \"aac\""),
            ("opus rate", "[[stream]]\n[stream.audio]\ncodec = \"opus\"\nsample_rate = 44100", 4, "stream.audio.sample_rate",
             "Opus takes 8000, 12000, 16000, 24000, 48000 Hz, got 44100"),
            ("sample rate", "[[stream]]\n[stream.audio]\nsample_rate = 4000", 3, "stream.audio.sample_rate", "must be 8000...48000, got 4000"),
            ("unknown audio key", "[[stream]]\n[stream.audio]\nvolume = 3", 3, "stream.audio.volume",
             "unknown key; allowed in [stream.audio]: enabled, source, codec, sample_rate, device, file, loop"),
            ("bad path", "[[stream]]\npath = \"a b\"", 2, "stream.path",
             "must be one or more segments of letters, digits, - . _ ~ separated by / (rtsp://host:port/PATH), got \"a b\""),
            ("duplicate path", "[[stream]]\npath = \"a\"\n[[stream]]\npath = \"a\"", 4, "stream.path", "\"a\" is already the path of the stream at line 2"),
            ("path required", "[[stream]]\npath = \"a\"\n[[stream]]\n[stream.video]\nfps = 5", 3, "stream.path",
             "is required when there are several streams (each needs its own rtsp://host:port/PATH)"),
            ("stream not an array", "[stream]\npath = \"a\"", 1, "stream", "streams are an array of tables: write [[stream]], not [stream]"),
            ("table as value", "rtsp = 5", 1, "rtsp", "must be a [rtsp] table, not a value"),
            ("array for a value", "[log]\nlevel = [\"info\"]", 2, "log.level",
             "must be one of \"trace\", \"debug\", \"info\", \"notice\", \"warning\", \"error\", \"critical\", not an array"),
            ("inline table for a value", "[log]\nlevel = { name = \"info\" }", 2, "log.level",
             "must be one of \"trace\", \"debug\", \"info\", \"notice\", \"warning\", \"error\", \"critical\", not a table"),
            // Syntax: reported with the line, and no key.
            ("unterminated string", "[log]\nlevel = \"info", 2, "", "unterminated string"),
            ("bare word", "[log]\nlevel = info", 2, "", "info is not a value: write a string in quotes, a number, true or false"),
            ("leading zero", "[rtsp]\nport = 08554", 2, "", "08554 is not a value: write a string in quotes, a number, true or false"),
            ("no equals", "[rtsp]\nport 8554", 2, "", "expected = after the key port"),
            ("duplicate key", "[rtsp]\nport = 1\nport = 2", 3, "", "port is defined twice (first at line 2)"),
            ("duplicate table", "[rtsp]\n[http]\n[rtsp]", 3, "", "[rtsp] is defined twice (first at line 1)"),
            ("header", "[rtsp\nport = 1", 1, "", "a header ends with ]"),
            ("dotted key twice", "[[stream]]\nvideo.fps = 5\nvideo.fps = 6", 3, "", "video.fps is defined twice (first at line 2)"),
            ("text after value", "[rtsp]\nport = 1 2", 2, "", "unexpected text after the value of port"),
        ]
        for item in cases {
            XCTAssertThrowsError(try VigilConfigFile.parse(item.text), item.name) { error in
                guard let error = error as? ConfigError else { return XCTFail("\(item.name): \(error)") }
                XCTAssertEqual(error.problems, [ConfigProblem(line: item.line, key: item.key, message: item.message)], item.name)
            }
        }
    }

    /// Several mistakes in one file: every one is reported, in line order, in one error.
    func testAllProblemsAreReportedAtOnce() throws {
        let text = """
            [rtsp]
            port = "x"
            bogus = 1
            [[stream]]
            path = "cam"
            [stream.video]
            fps = 500
            source = "camera"
            file = "/x"
            [stream.audio]
            codec = "aac"
            [log]
            level = loud
            """
        XCTAssertThrowsError(try VigilConfigFile.parse(text, path: "/etc/vigil/vigil.toml")) { error in
            guard let error = error as? ConfigError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.problems.map(\.line), [2, 3, 7, 9, 11, 13])
            XCTAssertEqual(error.problems.map(\.key), ["rtsp.port", "rtsp.bogus", "stream.video.fps", "stream.video.file", "stream.audio.codec", ""])
            let lines = error.description.split(separator: "\n")
            XCTAssertEqual(lines.count, 6)
            XCTAssertEqual(lines[0], "/etc/vigil/vigil.toml:2: rtsp.port: must be an integer in 0...65535, got a string")
        }
    }

    /// The command line's stream options still build a one-stream configuration.
    func testFirstStreamAccessorsAreTheOneStreamSettings() {
        var settings = VigilSettings()
        settings.streamPath = "cam"
        settings.video.width = 640
        settings.audio.enabled = false
        XCTAssertEqual(settings.streams.count, 1)
        XCTAssertEqual(settings.streams[0].path, "cam")
        XCTAssertEqual(settings.streams[0].video.width, 640)
        XCTAssertFalse(settings.streams[0].audio.enabled)
        XCTAssertFalse(settings.http.enabled, "a bare VigilSettings serves no HTTP API")
    }
}
