import Access
import Capture
import Encode
import Foundation
import Logging
import MediaCore

/// The config file (`/etc/vigil/vigil.toml`): TOML read into `VigilSettings`, every problem
/// reported at once with its key and line. `Systemd/vigil.toml` is the complete, commented
/// example; its keys and this file must agree (a test reads the example).
public enum VigilConfigFile {
    public static let defaultPath = "/etc/vigil/vigil.toml"

    /// What an empty file means: the synthetic stream at `live`, RTSP on 8554, the HTTP API on
    /// 127.0.0.1:8080, info logs.
    public static var defaults: VigilSettings {
        var settings = VigilSettings()
        settings.http = .init(enabled: true, host: "127.0.0.1", port: 8080)
        settings.webRTC.port = VigilSettings.WebRTC.defaultPort
        return settings
    }

    /// Reads `path`. A missing file is the synthetic default when `missingIsDefault` (the
    /// default path on a fresh box), an error otherwise (a path someone typed).
    public static func load(path: String, missingIsDefault: Bool) throws(ConfigError) -> VigilSettings {
        guard FileManager.default.fileExists(atPath: path) else {
            if missingIsDefault { return defaults }
            throw ConfigError(path: path, problems: [.init(line: nil, key: "", message: "no such file")])
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(path: path, problems: [.init(line: nil, key: "", message: "cannot be read (permissions?)")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(path: path, problems: [.init(line: nil, key: "", message: "is not UTF-8 text")])
        }
        return try parse(text, path: path)
    }

    /// Decodes and validates a whole file.
    public static func parse(_ text: String, path: String? = nil) throws(ConfigError) -> VigilSettings {
        let (document, syntaxErrors) = TOMLDocument.parse(text)
        let problems = Problems()
        for error in syntaxErrors { problems.add(line: error.line, key: "", error.message) }
        let settings = decode(document.root, problems: problems)
        guard problems.list.isEmpty else {
            throw ConfigError(path: path, problems: problems.list.sorted { ($0.line ?? 0, $0.key) < ($1.line ?? 0, $1.key) })
        }
        return settings
    }

    /// The one place a stream's `codec` name becomes settings.
    static func applyVideoCodec(_ name: String, to video: inout VigilSettings.Video) -> String? {
        guard let codec = VigilSettings.VideoCodec(name: name) else {
            return "must be one of \"h264\", \"h263\" (= \"h263-1998\"), \"h263-2000\", \"h263-rfc2190\", got \"\(name)\""
        }
        video.codec = codec
        return nil
    }

    static let presets = ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow", "placebo"]
    static let tunes = ["zerolatency", "film", "animation", "grain", "stillimage", "psnr", "ssim", "fastdecode"]
    static let profiles = ["baseline", "main", "high"]
    static let logLevels = Logger.Level.allCases.map(\.rawValue)

    // MARK: - Decoding

    /// `[webrtc]`: the WHEP viewers' UDP port and what the answer tells them.
    private static func decodeWebRTC(_ table: TableReader, into webRTC: inout VigilSettings.WebRTC) {
        if let enabled = table.bool("enabled") { webRTC.enabled = enabled }
        if let host = table.address("host") { webRTC.host = host }
        if let port = table.int("port", 0...65535) { webRTC.port = port }
        if let maximum = table.int("max_peers", 1...10_000) { webRTC.maxPeers = maximum }
        if let addresses = table.stringsWithLines("addresses") {
            var valid: [String] = []
            for (text, line) in addresses {
                var v4 = in_addr()
                var v6 = in6_addr()
                if inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1 {
                    valid.append(text)
                } else {
                    table.problem("addresses", "each must be an IP address the viewers can reach (a host candidate), got \"\(text)\"", line: line)
                }
            }
            webRTC.addresses = valid
        }
        if let servers = table.stringsWithLines("ice_servers") {
            var valid: [VigilSettings.WebRTC.ICEServer] = []
            for (text, line) in servers {
                let scheme = text.split(separator: ":", maxSplits: 1).first.map { $0.lowercased() } ?? ""
                if ["stun", "stuns", "turn", "turns"].contains(scheme), text.count > scheme.count + 1 {
                    valid.append(VigilSettings.WebRTC.ICEServer(url: text))
                } else {
                    table.problem("ice_servers", "each must be a stun:, stuns:, turn: or turns: URL (RFC 7064, RFC 7065), got \"\(text)\"", line: line)
                }
            }
            webRTC.iceServers = valid
        }
        let username = table.string("turn_username")
        let password = table.string("turn_password")
        if (username == nil) != (password == nil) {
            table.problem(username == nil ? "turn_password" : "turn_username", "turn_username and turn_password go together")
        } else if let username, let password {
            for index in webRTC.iceServers.indices where webRTC.iceServers[index].url.lowercased().hasPrefix("turn") {
                webRTC.iceServers[index].username = username
                webRTC.iceServers[index].credential = password
            }
        }
    }

    private static func decode(_ root: TOMLDocument.Table, problems: Problems) -> VigilSettings {
        var settings = defaults
        let top = TableReader(root, prefix: "", problems: problems)

        if let rtsp = top.table("rtsp") {
            if let host = rtsp.address("host") { settings.rtsp.host = host }
            if let port = rtsp.int("port", 0...65535) { settings.rtsp.port = port }
            if let base = rtsp.int("udp_port_base", 1024...65534) { settings.rtsp.udpPortBase = base }
            if let mtu = rtsp.int("mtu", 200...65000) { settings.mtu = mtu }
            if let timeout = rtsp.int("session_timeout", 5...3600) { settings.rtsp.sessionTimeout = .seconds(Int64(timeout)) }
            if let maximum = rtsp.int("max_sessions", 1...100_000) { settings.rtsp.maxSessions = maximum }
            if let timeout = rtsp.int("request_timeout", 1...60) { settings.rtsp.requestTimeout = .seconds(Int64(timeout)) }
            if let maximum = rtsp.int("max_connections", 1...100_000) { settings.rtsp.maxConnections = maximum }
            if let maximum = rtsp.int("max_connections_per_address", 1...100_000) {
                if maximum > settings.rtsp.maxConnections {
                    rtsp.problem("max_connections_per_address", "must not exceed max_connections (\(settings.rtsp.maxConnections)), got \(maximum)")
                } else {
                    settings.rtsp.maxConnectionsPerAddress = maximum
                }
            }
            let multicast = rtsp.bool("multicast") ?? true
            if let group = rtsp.multicastGroup("multicast_group") { settings.rtsp.multicastGroupBase = group }
            if let port = rtsp.int("multicast_port", 1024...65000) {
                if port % 2 != 0 {
                    rtsp.problem("multicast_port", "must be even (RTP on it, RTCP on the next), got \(port)")
                } else {
                    settings.rtsp.multicastPortBase = port
                }
            }
            if let ttl = rtsp.int("multicast_ttl", 1...255) { settings.rtsp.multicastTTL = ttl }
            if let hold = rtsp.int("tcp_audio_hold_ms", 0...200) { settings.rtsp.interleavedAudioHold = .milliseconds(Int64(hold)) }
            if !multicast { settings.rtsp.multicastGroupBase = nil }
            rtsp.finish()
        }
        let httpTable = top.table("http")
        if let http = httpTable {
            if let enabled = http.bool("enabled") { settings.http.enabled = enabled }
            if let host = http.address("host") { settings.http.host = host }
            if let port = http.int("port", 0...65535) { settings.http.port = port }
            if let rate = http.int("mjpeg_fps", 1...30) { settings.http.mjpegFrameRate = rate }
            if let quality = http.int("jpeg_quality", 1...100) { settings.http.jpegQuality = quality }
            if let connections = http.int("max_connections", 1...10000) { settings.http.maxConnections = connections }
            if let hls = http.bool("hls") { settings.http.hls.enabled = hls }
            if let part = http.duration("hls_part", .milliseconds(100)...MediaDuration.seconds(2), example: "200ms") {
                settings.http.hls.partTarget = part
            }
            if let segment = http.duration("hls_segment", .milliseconds(500)...MediaDuration.seconds(30), example: "1s") {
                settings.http.hls.segmentDuration = segment
            }
            if let idle = http.duration("hls_idle", .seconds(1)...MediaDuration.seconds(3600), example: "30s") {
                settings.http.hls.idleTimeout = idle
            }
            if settings.http.hls.partTarget > settings.http.hls.segmentDuration {
                http.problem("hls_part", "must not be longer than hls_segment (\(TableReader.shown(settings.http.hls.segmentDuration)))")
            }
            if let origin = http.string("cors_origin") {
                // "*", or one origin as a browser sends it: scheme://host[:port], no path.
                if origin == "*" || origin.isEmpty || VigilSettings.HTTP.isOrigin(origin) {
                    settings.http.corsOrigin = origin.isEmpty ? nil : origin
                } else {
                    http.problem("cors_origin", "must be \"*\" or an origin such as \"https://nvr.example:8443\" (scheme://host[:port], no path), got \"\(origin)\"")
                }
            }
            decodeTLS(http, into: &settings.http)
            if let idle = http.duration("session_idle", .seconds(60)...MediaDuration.seconds(7 * 86400), example: "30m") {
                settings.http.sessionIdle = idle
            }
            if let lifetime = http.duration("session_lifetime", .seconds(60)...MediaDuration.seconds(30 * 86400), example: "12h") {
                settings.http.sessionLifetime = lifetime
            }
            if settings.http.sessionIdle > settings.http.sessionLifetime {
                http.problem("session_idle", "must not be longer than session_lifetime (\(TableReader.shown(settings.http.sessionLifetime)))")
            }
            http.finish()
        }
        if let webRTC = top.table("webrtc") {
            decodeWebRTC(webRTC, into: &settings.webRTC)
            webRTC.finish()
        }
        if let library = top.table("library") {
            if let paths = library.strings("paths") { settings.library.paths = paths }
            if let rate = library.frameRate("default_fps") { settings.library.defaultFrameRate = rate }
            if let rates = library.table("fps") {
                for name in rates.keys {
                    if let rate = rates.frameRate(name) { settings.library.frameRates[name] = rate }
                }
            }
            library.finish()
        }
        if let playback = top.table("playback") {
            if let maximum = playback.int("max_viewers", 1...10_000) { settings.rtsp.maxFileViewers = maximum }
            playback.finish()
        }
        if let log = top.table("log") {
            if let level = log.choice("level", logLevels) { settings.logLevel = Logger.Level(rawValue: level) ?? .info }
            log.finish()
        }
        let streamTables = top.tables("stream")
        if !streamTables.isEmpty {
            settings.streams = []
            var seen: [String: Int] = [:]
            for table in streamTables {
                let (stream, pathIsValid) = decodeStream(table)
                guard let pathLine = table.line(of: "path") else {
                    if streamTables.count > 1 {
                        table.problem("path", "is required when there are several streams (each needs its own rtsp://host:port/PATH)")
                    }
                    settings.streams.append(stream)
                    continue
                }
                if let first = seen[stream.path] {
                    table.problem("path", "\"\(stream.path)\" is already the path of the stream at line \(first)", line: pathLine)
                } else if pathIsValid {
                    seen[stream.path] = pathLine
                }
                settings.streams.append(stream)
            }
            // A stream played from a file needs the library it names, and records nothing
            // (its recording would be the file again).
            for (table, stream) in zip(streamTables, settings.streams) {
                guard case .file(let name, _) = stream.videoSource else { continue }
                if settings.library.paths.isEmpty {
                    table.table("video")?.problem("file", "\"\(name)\" is a [library] file, but [library] has no paths")
                }
                if stream.record.enabled {
                    table.table("record")?.problem("enabled", "a stream played from a file (source = \"file\") is not recorded")
                }
            }
                        // Two recorders in one directory would take each other's files for their own.
            var directories: [String: String] = [:]
            for (table, stream) in zip(streamTables, settings.streams) where stream.record.enabled {
                guard let path = stream.record.path else { continue }
                let directory = (path as NSString).standardizingPath
                if let other = directories[directory] {
                    table.table("record")?.problem("path", "\"\(path)\" is already where stream \"\(other)\" records")
                } else {
                    directories[directory] = stream.path
                }
            }
        }
        if let access = top.table("access") {
            decodeAccess(access, into: &settings.access)
            access.finish()
        }
        settings.access.users = decodeUsers(top.tables("user", plural: "users"), realm: settings.access.realm)
        if settings.http.enabled, let reason = settings.access.apiExposureReason(httpHost: settings.http.host) {
            problems.add(line: httpTable?.line(of: "host") ?? httpTable?.line, key: "http.host", "\"\(settings.http.host)\" is reachable from other hosts: the API \(reason)")
        }
        top.finish(allowedNote: "allowed at the top level: [rtsp], [http], [webrtc], [log], [access], [[user]], [[stream]]")
        return settings
    }

    /// `tls_certificate` and `tls_key`: both or neither, each a PEM file that parses (a
    /// certificate chain; a private key), so a typo stops the config check, not the server.
    private static func decodeTLS(_ http: TableReader, into settings: inout VigilSettings.HTTP) {
        let certificate = http.string("tls_certificate")
        let key = http.string("tls_key")
        switch (certificate, key) {
        case (nil, nil): return
        case (.some, nil): http.problem("tls_certificate", "needs tls_key beside it (the certificate's private key, PEM)"); return
        case (nil, .some): http.problem("tls_key", "needs tls_certificate beside it (the certificate chain, PEM)"); return
        case (.some(let certificate), .some(let key)):
            var good = true
            if let problem = HTTPTLS.certificateProblem(path: certificate) {
                http.problem("tls_certificate", problem)
                good = false
            }
            if let problem = HTTPTLS.keyProblem(path: key) {
                http.problem("tls_key", problem)
                good = false
            }
            if good { settings.tls = .init(certificatePath: certificate, keyPath: key) }
        }
    }

    private static func decodeStream(_ table: TableReader) -> (VigilSettings.Stream, pathIsValid: Bool) {
        var stream = VigilSettings.Stream()
        var pathIsValid = false
        if let path = table.string("path") {
            let segments = path.split(separator: "/", omittingEmptySubsequences: false)
            let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
            if path.isEmpty || segments.contains(where: { $0.isEmpty || $0.unicodeScalars.contains { !allowed.contains($0) } }) {
                table.problem("path", "must be one or more segments of letters, digits, - . _ ~ separated by / (rtsp://host:port/PATH), got \"\(path)\"")
            } else {
                stream.path = path
                pathIsValid = true
            }
        }
        if let video = table.table("video") {
            decodeVideo(video, into: &stream)
            video.finish()
        }
        if let audio = table.table("audio") {
            decodeAudio(audio, into: &stream)
            audio.finish()
        }
        if let record = table.table("record") {
            decodeRecord(record, into: &stream)
            record.finish()
        }
        table.finish()
        return (stream, pathIsValid)
    }

    private static func decodeVideo(_ table: TableReader, into stream: inout VigilSettings.Stream) {
        var video = stream.video
        let source = table.choice("source", ["synthetic", "camera", "raw", "file"]) ?? "synthetic"
        if let width = table.evenInt("width", 16...7680) { video.width = width }
        if let height = table.evenInt("height", 16...4320) { video.height = height }
        if let fps = table.int("fps", 1...120) { video.frameRate = fps }
        if let codec = table.string("codec"), let message = applyVideoCodec(codec, to: &video) { table.problem("codec", message) }
        if let bitrate = table.int("bitrate", 16...100_000) { video.bitrateKbps = bitrate }
        if let preset = table.choice("preset", presets) { video.preset = preset }
        if let tune = table.choice("tune", tunes) { video.tune = tune }
        if let profile = table.choice("profile", profiles) { video.profile = profile }
        if let keyint = table.int("keyint", 1...1000) { video.keyFrameInterval = keyint }
        if let threads = table.int("threads", 0...64) { video.threads = threads }
        if let adaptive = table.bool("adaptive_bitrate") { video.adaptiveBitrate = adaptive }
        if let policy = table.choice("adaptive_policy", VigilSettings.AdaptivePolicy.allCases.map(\.rawValue)) {
            video.adaptivePolicy = VigilSettings.AdaptivePolicy(rawValue: policy) ?? .median
        }
        if let profile = table.choice("rtcp_profile", VigilSettings.RTCPProfile.allCases.map(\.rawValue)) {
            video.rtcpProfile = VigilSettings.RTCPProfile(rawValue: profile) ?? .auto
        }
        if let repair = table.choice("retransmission", VigilSettings.Retransmission.allCases.map(\.rawValue)) {
            video.retransmission = VigilSettings.Retransmission(rawValue: repair) ?? .resend
        }
        if let minimum = table.int("min_bitrate", 16...100_000) {
            if minimum > video.bitrateKbps {
                table.problem("min_bitrate", "must not exceed bitrate (\(video.bitrateKbps)), got \(minimum)")
            } else {
                video.minimumBitrateKbps = minimum
            }
        }
        // Keys that belong to one source only are refused with the others, so a typo in
        // `source` does not silently ignore the device the owner meant.
        let device = table.onlyFor("device", source: source, "camera")
        let fileOwner = source == "file" ? "file" : "raw"
        let file = table.onlyFor("file", source: source, fileOwner)
        let format = table.onlyFor("format", source: source, "raw")
        let loop = table.onlyFor("loop", source: source, fileOwner)
        let pattern = table.onlyFor("pattern", source: source, "synthetic")
        switch source {
        case "camera":
            let path = device.flatMap { _ in table.string("device") } ?? "/dev/video0"
            stream.videoSource = .camera(path: path)
        case "raw":
            guard file != nil, let path = table.string("file") else {
                table.problem("file", "is required with source = \"raw\" (a file or FIFO of raw pictures)", line: table.line(of: "source") ?? table.line)
                break
            }
            let pixelFormat = format.flatMap { _ in table.choice("format", ["i420", "yuyv"]) } ?? "i420"
            stream.videoSource = .rawInput(RawVideoInputSettings(
                path: path, format: pixelFormat == "yuyv" ? .yuyv : .i420, width: video.width, height: video.height,
                frameRate: video.frameRate, loop: loop.flatMap { _ in table.bool("loop") } ?? true))
        case "file":
            guard file != nil, let name = table.string("file") else {
                table.problem("file", "is required with source = \"file\" (a file of the [library], by its name there)", line: table.line(of: "source") ?? table.line)
                break
            }
            stream.videoSource = .file(name: name, loop: loop.flatMap { _ in table.bool("loop") } ?? true)
        default:
            if pattern != nil, let name = table.choice("pattern", SyntheticVideoSettings.Pattern.allNames) {
                video.pattern = SyntheticVideoSettings.Pattern(rawValue: name) ?? .moving
            }
            stream.videoSource = .synthetic
        }
        stream.video = video
    }

    /// Shortest and longest segments and parts: a part is what a crash may lose and what a
    /// clip or playlist can start on; a segment is one file.
    static let segmentRange = MediaDuration.seconds(2)...MediaDuration.seconds(86_400)
    static let partRange = MediaDuration.milliseconds(100)...MediaDuration.seconds(10)

    private static func decodeRecord(_ table: TableReader, into stream: inout VigilSettings.Stream) {
        var record = stream.record
        if let enabled = table.bool("enabled") { record.enabled = enabled }
        if let path = table.string("path") {
            if path.isEmpty || path.contains("\0") {
                table.problem("path", "must be a directory path, got \"\(path)\"")
            } else {
                record.path = path
            }
        }
        if let segment = table.duration("segment", segmentRange, example: "10m") { record.segmentDuration = segment }
        if let part = table.duration("part", partRange, example: "1s") { record.partDuration = part }
        if record.partDuration > record.segmentDuration {
            table.problem("part", "must not be longer than segment (\(TableReader.shown(record.segmentDuration)))")
        }
        if let keep = table.duration("keep", MediaDuration.seconds(60)...MediaDuration.seconds(100 * 365 * 86_400), example: "14d") {
            record.keep = keep
        }
        if let minFree = table.freeSpace("min_free") { record.minFree = minFree }
        if let maxSize = table.size("max_size", example: "20G") { record.maxSize = maxSize }
        if let audio = table.choice("audio", VigilSettings.RecordedAudioChoice.allCases.map(\.rawValue)) {
            record.audio = VigilSettings.RecordedAudioChoice(rawValue: audio) ?? .opus
        }
        if record.enabled && stream.video.codec != .h264 {
            table.problem("enabled", "recording needs video codec = \"h264\" (this stream has \"\(stream.video.codec.rawValue)\")", line: table.line(of: "enabled"))
        }
        stream.record = record
    }

    private static func decodeAudio(_ table: TableReader, into stream: inout VigilSettings.Stream) {
        var audio = stream.audio
        if let enabled = table.bool("enabled") { audio.enabled = enabled }
        let source = table.choice("source", ["synthetic", "microphone", "raw"]) ?? "synthetic"
        if let codec = table.choice("codec", VigilSettings.Audio.Codec.allCases.map(\.rawValue)) {
            audio.codec = VigilSettings.Audio.Codec(rawValue: codec) ?? .pcmu
        }
        if let rate = table.int("sample_rate", 8000...48000) { audio.sampleRate = rate }
        if audio.codec == .opus && !OpusEncoder.supportedSampleRates.contains(audio.sampleRate) {
            table.problem(
                table.line(of: "sample_rate") != nil ? "sample_rate" : "codec",
                "Opus takes \(OpusEncoder.supportedSampleRates.map(String.init).joined(separator: ", ")) Hz, got \(audio.sampleRate)")
        }
        let device = table.onlyFor("device", source: source, "microphone")
        let file = table.onlyFor("file", source: source, "raw")
        let loop = table.onlyFor("loop", source: source, "raw")
        switch source {
        case "microphone":
            stream.audioSource = .microphone(name: device.flatMap { _ in table.string("device") } ?? "default")
        case "raw":
            guard file != nil, let path = table.string("file") else {
                table.problem("file", "is required with source = \"raw\" (a file or FIFO of S16LE mono samples)", line: table.line(of: "source") ?? table.line)
                break
            }
            stream.audioSource = .rawInput(RawAudioInputSettings(
                path: path, sampleRate: audio.sampleRate, loop: loop.flatMap { _ in table.bool("loop") } ?? true))
        default:
            stream.audioSource = .synthetic
        }
        stream.audio = audio
    }
}

extension VigilConfigFile {
    /// The most a token may be asked to live: ten years is "for good" for a camera URL.
    static let longestTokenDuration = 10 * 365 * 86_400

    static func decodeAccess(_ table: TableReader, into access: inout VigilSettings.Access) {
        if let realm = table.string("realm") {
            if realm.isEmpty || realm.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                table.problem("realm", "must be a non-empty name without control characters, got \"\(realm)\"")
            } else {
                access.realm = realm
            }
        }
        if let entries = table.stringsWithLines("anonymous") {
            access.anonymous = grants(entries, key: "anonymous", in: table)
        }
        if let basic = table.bool("basic") { access.basic = basic }
        if let secret = table.string("token_secret") {
            if secret.count < minimumTokenSecretLength {
                table.problem(
                    "token_secret",
                    "must be at least \(minimumTokenSecretLength) characters (anyone who guesses it mints tokens; e.g. `openssl rand -hex 16`), got \(secret.count)")
            } else {
                access.tokenSecret = secret
            }
        }
        if let seconds = table.int("token_max_duration", 1...longestTokenDuration) { access.tokenMaxDuration = seconds }
        if let uses = table.int("token_max_uses", 1...1_000_000_000) { access.tokenMaxUses = uses }
        if let directory = table.string("state_directory") {
            if directory.hasPrefix("/") {
                access.stateDirectory = directory
            } else {
                table.problem("state_directory", "must be an absolute path (\"/var/lib/vigil\"), got \"\(directory)\"")
            }
        }
    }

    /// A UMAS secret shorter than this is guessable over the network.
    static let minimumTokenSecretLength = 16

    static func decodeUsers(_ tables: [TableReader], realm: String) -> [User] {
        var users: [User] = []
        var seen: [String: Int] = [:]
        for table in tables {
            defer { table.finish() }
            var name: String?
            if let text = table.string("name") {
                if text.isEmpty || text.contains(":") || text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                    table.problem("name", "must be non-empty, without \":\" or control characters, got \"\(text)\"")
                } else if let first = seen[text] {
                    table.problem("name", "\"\(text)\" is already the name of the user at line \(first)")
                } else {
                    seen[text] = table.line(of: "name") ?? 0
                    name = text
                }
            } else if table.line(of: "name") == nil {
                table.problem("name", "is required: the user name a viewer logs in with")
            }
            let shownName = name ?? "NAME"
            var credential: StoredCredential?
            if let text = table.string("password") {
                if !text.hasPrefix("v1$") {
                    table.problem(
                        "password",
                        "must be a stored credential (v1$…), never a clear-text password: run `vigil passwd --user \(shownName)` and paste the line it prints")
                } else {
                    do {
                        let parsed = try StoredCredential(text)
                        if parsed.realm != realm {
                            table.problem(
                                "password",
                                "was made for realm \"\(parsed.realm)\", but [access] realm is \"\(realm)\"; make a new one with `vigil passwd --user \(shownName) --realm \(realm)`")
                        } else {
                            credential = parsed
                        }
                    } catch {
                        table.problem("password", "\(error)")
                    }
                }
            } else if table.line(of: "password") == nil {
                table.problem("password", "is required: run `vigil passwd --user \(shownName)` and paste the line it prints", line: table.line)
            }
            let grants = table.stringsWithLines("permissions").map { Self.grants($0, key: "permissions", in: table) } ?? []
            var networks: [IPNetwork] = []
            for (index, (text, line)) in (table.stringsWithLines("ips") ?? []).enumerated() {
                do {
                    networks.append(try IPNetwork(text))
                } catch {
                    table.problem("ips", "element \(index + 1): \(error); write an address or a CIDR block (\"192.168.1.0/24\", \"::1\")", line: line)
                }
            }
            if let name, let credential {
                users.append(User(name: name, credential: credential, grants: grants, allowedNetworks: networks))
            }
        }
        return users
    }

    /// `"read:*"`, `"playback:door"`, `"api"`; a permission alone is on every path.
    static func grants(_ entries: [(String, Int)], key: String, in table: TableReader) -> [Grant] {
        var grants: [Grant] = []
        for (index, (text, line)) in entries.enumerated() {
            switch grant(text) {
            case .success(let grant): grants.append(grant)
            case .failure(let message): table.problem(key, "element \(index + 1): \(message.text)", line: line)
            }
        }
        return grants
    }

    struct GrantProblem: Error { var text: String }

    static func grant(_ text: String) -> Result<Grant, GrantProblem> {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let names = Permission.allCases.map(\.rawValue).joined(separator: ", ")
        guard let permission = Permission(rawValue: String(parts[0])) else {
            return .failure(GrantProblem(text: "\"\(text)\": the permission must be one of \(names), optionally with :PATH (\"read:door\", \"read:*\")"))
        }
        guard parts.count == 2 else { return .success(Grant(permission, path: .any)) }
        do {
            return .success(Grant(permission, path: try PathPattern(String(parts[1]))))
        } catch {
            return .failure(GrantProblem(text: "\"\(text)\": \(error)"))
        }
    }
}

/// Collects problems from every table.
final class Problems {
    var list: [ConfigProblem] = []
    func add(line: Int?, key: String, _ message: String) {
        list.append(ConfigProblem(line: line, key: key, message: message))
    }
}

/// Reads one table's keys with their types and ranges, remembering which keys were read so
/// that `finish` can name every unknown one with what is allowed instead.
final class TableReader {
    let table: TOMLDocument.Table
    let prefix: String
    let problems: Problems
    private var known: [String] = []

    init(_ table: TOMLDocument.Table, prefix: String, problems: Problems) {
        self.table = table
        self.prefix = prefix
        self.problems = problems
    }

    /// The header's line.
    var line: Int? { table.line > 0 ? table.line : nil }

    func fullKey(_ key: String) -> String { prefix.isEmpty ? key : "\(prefix).\(key)" }

    func line(of key: String) -> Int? { table[key]?.line }

    func problem(_ key: String, _ message: String, line: Int? = nil) {
        problems.add(line: line ?? self.line(of: key) ?? self.line, key: fullKey(key), message)
    }

    private func scalar(_ key: String, expecting: String) -> (TOMLDocument.Scalar, Int)? {
        if !known.contains(key) { known.append(key) }
        switch table[key] {
        case nil: return nil
        case .scalar(let value, let line): return (value, line)
        case .array: problem(key, "must be \(expecting), not an array"); return nil
        case .table, .tables: problem(key, "must be \(expecting), not a table"); return nil
        }
    }

    /// A string or an integer (a quantity with or without its unit), with its line.
    func quantity(_ key: String, expecting: String) -> (TOMLDocument.Scalar, Int)? {
        guard let (value, line) = scalar(key, expecting: expecting) else { return nil }
        switch value {
        case .string, .integer: return (value, line)
        default:
            problem(key, "must be \(expecting), got \(value.typeName)", line: line)
            return nil
        }
    }

    func int(_ key: String, _ range: ClosedRange<Int>) -> Int? {
        guard let (value, line) = scalar(key, expecting: "an integer") else { return nil }
        guard case .integer(let number) = value else {
            problem(key, "must be an integer in \(range.lowerBound)...\(range.upperBound), got \(value.typeName)", line: line)
            return nil
        }
        guard range.contains(number) else {
            problem(key, "must be \(range.lowerBound)...\(range.upperBound), got \(number)", line: line)
            return nil
        }
        return number
    }

    /// Pictures per second, an integer or a decimal in 1…240.
    func frameRate(_ key: String) -> Double? {
        guard let (value, line) = scalar(key, expecting: "a frame rate") else { return nil }
        let rate: Double
        switch value {
        case .integer(let number): rate = Double(number)
        case .float(let number): rate = number
        default:
            problem(key, "must be pictures per second (1 to 240, e.g. 25 or 29.97), got \(value.typeName)", line: line)
            return nil
        }
        guard (1...240).contains(rate) else {
            problem(key, "must be 1 to 240 pictures per second, got \(rate)", line: line)
            return nil
        }
        return rate
    }

    /// The table's keys in file order.
    var keys: [String] { table.keys }

    func evenInt(_ key: String, _ range: ClosedRange<Int>) -> Int? {
        guard let number = int(key, range) else { return nil }
        guard number % 2 == 0 else {
            problem(key, "must be even (4:2:0 pictures), got \(number)")
            return nil
        }
        return number
    }

    func bool(_ key: String) -> Bool? {
        guard let (value, line) = scalar(key, expecting: "true or false") else { return nil }
        guard case .boolean(let flag) = value else {
            problem(key, "must be true or false, got \(value.typeName)", line: line)
            return nil
        }
        return flag
    }

    func string(_ key: String) -> String? {
        guard let (value, line) = scalar(key, expecting: "a string") else { return nil }
        guard case .string(let text) = value else {
            problem(key, "must be a string in quotes, got \(value.typeName)", line: line)
            return nil
        }
        return text
    }

    func choice(_ key: String, _ allowed: [String]) -> String? {
        let list = allowed.map { "\"\($0)\"" }.joined(separator: ", ")
        guard let (value, line) = scalar(key, expecting: "one of \(list)") else { return nil }
        guard case .string(let text) = value else {
            problem(key, "must be one of \(list), got \(value.typeName)", line: line)
            return nil
        }
        guard allowed.contains(text) else {
            problem(key, "must be one of \(list), got \"\(text)\"", line: line)
            return nil
        }
        return text
    }

    /// An array of strings (`["a", "b"]`, possibly empty); an element of another type is
    /// reported with its own line, and then the key reads as absent.
    func strings(_ key: String) -> [String]? {
        stringsWithLines(key)?.map(\.0)
    }

    /// `strings(_:)` with each element's line, for checks of the elements themselves.
    func stringsWithLines(_ key: String) -> [(String, Int)]? {
        if !known.contains(key) { known.append(key) }
        switch table[key] {
        case nil:
            return nil
        case .scalar(let value, let line):
            problem(key, "must be an array of strings ([\"a\", \"b\"]), got \(value.typeName)", line: line)
            return nil
        case .table, .tables:
            problem(key, "must be an array of strings ([\"a\", \"b\"]), not a table")
            return nil
        case .array(let elements, _):
            var list: [(String, Int)] = []
            var isValid = true
            for (index, element) in elements.enumerated() {
                let what: String
                switch element {
                case .scalar(.string(let text), let line):
                    list.append((text, line))
                    continue
                case .scalar(let value, _): what = value.typeName
                case .array: what = "an array"
                case .table, .tables: what = "a table"
                }
                problem(key, "element \(index + 1) must be a string in quotes, got \(what)", line: element.line)
                isValid = false
            }
            return isValid ? list : nil
        }
    }

    /// An IPv4 or IPv6 address to listen on.
    func address(_ key: String) -> String? {
        guard let text = string(key) else { return nil }
        var v4 = in_addr()
        var v6 = in6_addr()
        guard inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1 else {
            problem(key, "must be an IP address to listen on (\"0.0.0.0\" for all, \"127.0.0.1\" for this box only), got \"\(text)\"")
            return nil
        }
        return text
    }

    func multicastGroup(_ key: String) -> String? {
        guard let text = string(key) else { return nil }
        let octets = text.split(separator: ".", omittingEmptySubsequences: false).map { Int($0) }
        guard octets.count == 4, octets.allSatisfy({ $0.map { (0...255).contains($0) } ?? false }),
              let first = octets[0], (224...239).contains(first)
        else {
            problem(key, "must be an IPv4 multicast address (224.0.0.0–239.255.255.255), got \"\(text)\"")
            return nil
        }
        return text
    }

    /// Marks `key` as known; if it is present but `source` is not `owner`, reports it.
    /// Returns the key's line when it may be read.
    func onlyFor(_ key: String, source: String, _ owner: String) -> Int? {
        if !known.contains(key) { known.append(key) }
        guard let line = line(of: key) else { return nil }
        guard source == owner else {
            problem(key, "is only used with source = \"\(owner)\" (this table has source = \"\(source)\")")
            return nil
        }
        return line
    }

    func table(_ key: String) -> TableReader? {
        if !known.contains(key) { known.append(key) }
        switch table[key] {
        case nil: return nil
        case .table(let t): return TableReader(t, prefix: fullKey(key), problems: problems)
        case .tables(let list):
            problem(key, "must be a single [\(fullKey(key))] table, not [[\(fullKey(key))]]", line: list.first?.line)
            return nil
        case .scalar(_, let line):
            problem(key, "must be a [\(fullKey(key))] table, not a value", line: line)
            return nil
        case .array(_, let line):
            problem(key, "must be a [\(fullKey(key))] table, not an array", line: line)
            return nil
        }
    }

    func tables(_ key: String, plural: String = "streams") -> [TableReader] {
        if !known.contains(key) { known.append(key) }
        switch table[key] {
        case nil: return []
        case .tables(let list): return list.map { TableReader($0, prefix: fullKey(key), problems: problems) }
        case .table(let t):
            problem(key, "\(plural) are an array of tables: write [[\(fullKey(key))]], not [\(fullKey(key))]", line: t.line)
            return []
        case .scalar(_, let line):
            problem(key, "must be [[\(fullKey(key))]] tables, not a value", line: line)
            return []
        case .array(let elements, let line):
            // `key = [{ … }, { … }]` is the same data as [[key]] tables written inline.
            let inline = elements.compactMap { element -> TOMLDocument.Table? in
                if case .table(let t) = element { return t }
                return nil
            }
            guard inline.count == elements.count else {
                problem(key, "must be [[\(fullKey(key))]] tables, not an array of values", line: line)
                return []
            }
            return inline.map { TableReader($0, prefix: fullKey(key), problems: problems) }
        }
    }

    /// Reports every key this table holds that nothing asked for.
    func finish(allowedNote: String? = nil) {
        let note = allowedNote ?? "allowed in [\(prefix)]: \(known.joined(separator: ", "))"
        for key in table.keys where !known.contains(key) {
            problem(key, "unknown key; \(note)")
        }
    }
}

extension SyntheticVideoSettings.Pattern {
    static var allNames: [String] { ["moving", "noise"] }
}
