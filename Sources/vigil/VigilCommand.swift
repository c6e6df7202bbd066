import ArgumentParser
import Foundation
import Capture
import Logging
import MediaCore
import ServiceLifecycle
import UnixSignals
import VigilKit

/// `vigil`: parses the command line and hands the settings to the composition root.
@main
struct VigilCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil",
        abstract: "Camera appliance: live H.264 or H.263 + G.711 over RTSP/RTP.",
        version: VigilVersion.current,
        subcommands: [Run.self, Devices.self, CheckConfig.self, Status.self, Recordings.self, Passwd.self, Version.self, EncodeH263.self, SyntheticRaw.self],
        defaultSubcommand: Run.self)
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the configured streams (the synthetic test source by default).",
        discussion: """
            Reads \(VigilConfigFile.defaultPath) (missing: the synthetic default), or --config PATH. \
            SIGHUP re-reads the file. The stream options below (--port … --no-multicast) build a \
            one-stream configuration instead, with no file; they do not mix with --config.
            """)

    @Option(help: "Config file (TOML; default \(VigilConfigFile.defaultPath) if it exists).") var config: String?
    @Option(help: "RTSP TCP port (default 8554).") var port: Int?
    @Option(help: "Address to listen on (default 0.0.0.0).") var host: String?
    @Option(help: "First UDP port tried for RTP/RTCP server ports (default 6970).") var udpPortBase: Int?
    @Option(help: "Stream path (rtsp://host:port/PATH; default live).") var path: String?
    @Option(help: "Open RTSP connections at most (default 2048).") var maxConnections: Int?
    @Option(help: "Open RTSP connections from one address at most (default 32).") var maxConnectionsPerAddress: Int?
    @Option(help: "Milliseconds audio to a TCP viewer may wait to leave with the next picture (default 40; 0: at once).")
    var tcpAudioHoldMs: Int?
    @Option(help: "Picture width (default 1280).") var width: Int?
    @Option(help: "Picture height (default 720).") var height: Int?
    @Option(help: "Frames per second (default 30).") var fps: Int?
    @Option(help: "Video bitrate in kbit/s (default 2000).") var bitrate: Int?
    @Option(help: "x264 preset (default ultrafast).") var preset: String?
    @Option(help: "x264 tune (default zerolatency).") var tune: String?
    @Option(help: "H.264 profile (default high).") var profile: String?
    @Option(help: "Frames between key frames (default: 2 s worth).") var keyint: Int?
    @Option(help: "x264 threads (0 = auto).") var threads: Int?
    @Option(help: "Synthetic picture: moving or noise.") var pattern: String?
    @Option(help: "Audio codec: pcmu, pcma or opus (RFC 7587; 8, 12, 16, 24 or 48 kHz).") var audioCodec: String?
    @Option(help: "Synthetic audio sample rate (8000 uses PCMU/PCMA's static payload types).") var audioRate: Int?
    @Flag(help: "Serve video only.") var noAudio = false
    @Option(help: "V4L2 camera to stream (e.g. /dev/video0); see `vigil devices`.") var camera: String?
    @Option(help: "ALSA capture PCM to stream (e.g. hw:1,0, plughw:CARD=U0x46d0x825, default).") var microphone: String?
    @Option(help: "Raw video input (file or FIFO) instead of the synthetic picture.") var rawVideo: String?
    @Option(help: "Raw video pixel format: yuyv or i420 (default i420).") var rawVideoFormat: String?
    @Option(help: "Raw S16LE mono audio input (file or FIFO).") var rawAudio: String?
    @Option(help: "Raw audio sample rate (default 8000).") var rawAudioRate: Int?
    @Option(help: "Largest RTP packet in bytes (default 1400).") var mtu: Int?
    @Option(help: "Multicast group of the stream (default 239.255.42.1); see --no-multicast.") var multicastGroup: String?
    @Option(help: "First multicast port (video; audio on +2; default 5004).") var multicastPort: Int?
    @Option(help: "Multicast TTL (1 = this network segment only).") var multicastTTL: Int?
    @Flag(help: "Refuse multicast SETUPs (461).") var noMulticast = false
    @Option(help: "RTP profile for video: auto (default: avpf for ffmpeg and GStreamer, avp for others), avp (every client) or avpf (RFC 4585 feedback at once; VLC skips it).")
    var rtcpProfile: String?
    @Option(help: "Repair of lost video packets on NACK: off, resend, or rtx (RFC 4588 stream; default resend).") var retransmission: String?
    @Option(help: "Video codec: h264 (default), h263 (= h263-1998, RFC 4629), h263-2000 or h263-rfc2190 (RFC 2190, standard sizes).")
    var codec: String?
    @Option(help: "Adaptive bitrate: follow the median viewer (default), the lowest one, or off (fixed rate).") var adaptive: String?
    @Option(help: "Record the stream into this directory (its index too), 10 min segments of 1 s parts.") var record: String?
    @Option(help: "Serve the media files in this directory at rtsp://HOST:PORT/vod/NAME.") var library: String?
    @Option(help: "File viewers (recordings and library) at once; beyond, 503 (default 256).") var maxFileViewers: Int?
    @Option(help: "HTTP API address (default 127.0.0.1; overrides the file).") var httpHost: String?
    @Option(help: "HTTP API port (default 8080, 0 = any free port; overrides the file).") var httpPort: Int?
    @Option(help: "WebRTC (WHEP) UDP port (default 8189, 0 = any free port; overrides the file).") var webrtcPort: Int?
    @Option(help: "Origin allowed to use the HTTP API from its pages (CORS): \"*\" or scheme://host[:port] (overrides the file).")
    var corsOrigin: String?
    @Flag(help: "No HTTP API.") var noHttp = false
    @Option(help: "Log level: trace, debug, info, notice, warning, error (overrides the file).") var logLevel: String?

    /// The options that describe a stream: given, they make a one-stream config of their own.
    private var streamOptionsGiven: [String] {
        var given: [String] = []
        func note(_ value: Any?, _ name: String) { if value != nil { given.append(name) } }
        note(port, "--port"); note(host, "--host"); note(udpPortBase, "--udp-port-base"); note(path, "--path")
        note(maxConnections, "--max-connections"); note(maxConnectionsPerAddress, "--max-connections-per-address")
        note(tcpAudioHoldMs, "--tcp-audio-hold-ms")
        note(width, "--width"); note(height, "--height"); note(fps, "--fps"); note(bitrate, "--bitrate")
        note(preset, "--preset"); note(tune, "--tune"); note(profile, "--profile"); note(keyint, "--keyint")
        note(threads, "--threads"); note(pattern, "--pattern"); note(audioCodec, "--audio-codec"); note(audioRate, "--audio-rate")
        note(camera, "--camera"); note(microphone, "--microphone"); note(rawVideo, "--raw-video")
        note(rawVideoFormat, "--raw-video-format"); note(rawAudio, "--raw-audio"); note(rawAudioRate, "--raw-audio-rate")
        note(mtu, "--mtu"); note(multicastGroup, "--multicast-group"); note(multicastPort, "--multicast-port")
        note(multicastTTL, "--multicast-ttl"); note(rtcpProfile, "--rtcp-profile"); note(retransmission, "--retransmission")
        note(codec, "--codec"); note(adaptive, "--adaptive"); note(record, "--record"); note(library, "--library"); note(maxFileViewers, "--max-file-viewers")
        if noAudio { given.append("--no-audio") }
        if noMulticast { given.append("--no-multicast") }
        return given
    }

    func validate() throws {
        if config != nil, !streamOptionsGiven.isEmpty {
            throw ValidationError("\(streamOptionsGiven.joined(separator: ", ")) and --config do not mix: put stream settings in the file")
        }
        if let port { guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535, got \(port)") } }
        if let httpPort { guard (0...65535).contains(httpPort) else { throw ValidationError("--http-port must be 0...65535, got \(httpPort)") } }
        if let webrtcPort { guard (0...65535).contains(webrtcPort) else { throw ValidationError("--webrtc-port must be 0...65535, got \(webrtcPort)") } }
        if let corsOrigin, corsOrigin != "*", !VigilSettings.HTTP.isOrigin(corsOrigin) {
            throw ValidationError("--cors-origin must be \"*\" or an origin such as https://nvr.example:8443, got \"\(corsOrigin)\"")
        }
        let w = width ?? 1280, h = height ?? 720
        guard w >= 16, h >= 16, w % 2 == 0, h % 2 == 0 else {
            throw ValidationError("--width and --height must be even and at least 16, got \(w)x\(h)")
        }
        if let fps { guard (1...120).contains(fps) else { throw ValidationError("--fps must be 1...120, got \(fps)") } }
        if let bitrate { guard (16...100_000).contains(bitrate) else { throw ValidationError("--bitrate must be 16...100000 kbit/s, got \(bitrate)") } }
        if let pattern { guard SyntheticVideoSettings.Pattern(rawValue: pattern) != nil else { throw ValidationError("--pattern must be moving or noise") } }
        if let audioCodec { guard VigilSettings.Audio.Codec(rawValue: audioCodec) != nil else { throw ValidationError("--audio-codec must be pcmu, pcma or opus") } }
        if let audioRate { guard (8000...48000).contains(audioRate) else { throw ValidationError("--audio-rate must be 8000...48000") } }
        if let rawVideoFormat { guard ["yuyv", "i420"].contains(rawVideoFormat) else { throw ValidationError("--raw-video-format must be yuyv or i420") } }
        if let mtu { guard (200...65_000).contains(mtu) else { throw ValidationError("--mtu must be 200...65000") } }
        if let multicastGroup {
            let octets = multicastGroup.split(separator: ".").compactMap { Int($0) }
            guard octets.count == 4, (224...239).contains(octets[0]), octets.allSatisfy({ (0...255).contains($0) }) else {
                throw ValidationError("--multicast-group must be an IPv4 multicast address (224.0.0.0–239.255.255.255), got \(multicastGroup)")
            }
        }
        if let multicastPort {
            guard (1024...65_000).contains(multicastPort), multicastPort % 2 == 0 else {
                throw ValidationError("--multicast-port must be even and 1024...65000")
            }
        }
        if let multicastTTL { guard (1...255).contains(multicastTTL) else { throw ValidationError("--multicast-ttl must be 1...255") } }
        if let rtcpProfile {
            guard VigilSettings.RTCPProfile(rawValue: rtcpProfile) != nil else { throw ValidationError("--rtcp-profile must be auto, avp or avpf, got \(rtcpProfile)") }
        }
        if let retransmission {
            guard VigilSettings.Retransmission(rawValue: retransmission) != nil else {
                throw ValidationError("--retransmission must be off, resend or rtx, got \(retransmission)")
            }
        }
        if let codec {
            guard VigilSettings.VideoCodec(name: codec) != nil else {
                throw ValidationError("--codec must be h264, h263, h263-1998, h263-2000 or h263-rfc2190, got \(codec)")
            }
        }
        if let adaptive {
            guard adaptive == "off" || VigilSettings.AdaptivePolicy(rawValue: adaptive) != nil else {
                throw ValidationError("--adaptive must be median, lowest or off, got \(adaptive)")
            }
        }
        if let logLevel { guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level: unknown level \(logLevel)") } }
    }

    /// The one-stream configuration the stream options describe.
    func commandLineSettings() -> VigilSettings {
        var settings = VigilConfigFile.defaults
        settings.rtsp.port = port ?? 8554
        settings.rtsp.host = host ?? "0.0.0.0"
        settings.rtsp.udpPortBase = udpPortBase ?? 6970
        if let maxConnections { settings.rtsp.maxConnections = maxConnections }
        if let maxConnectionsPerAddress { settings.rtsp.maxConnectionsPerAddress = maxConnectionsPerAddress }
        if let tcpAudioHoldMs { settings.rtsp.interleavedAudioHold = .milliseconds(Int64(min(max(tcpAudioHoldMs, 0), 200))) }
        settings.rtsp.multicastGroupBase = noMulticast ? nil : (multicastGroup ?? "239.255.42.1")
        settings.rtsp.multicastPortBase = multicastPort ?? 5004
        settings.rtsp.multicastTTL = multicastTTL ?? 1
        settings.streamPath = path ?? "live"
        let w = width ?? 1280, h = height ?? 720, rate = fps ?? 30
        settings.video.width = w
        settings.video.height = h
        settings.video.frameRate = rate
        settings.video.bitrateKbps = bitrate ?? 2000
        settings.video.preset = preset ?? "ultrafast"
        settings.video.tune = tune ?? "zerolatency"
        settings.video.profile = profile ?? "high"
        settings.video.keyFrameInterval = keyint
        settings.video.threads = threads ?? 0
        settings.video.rtcpProfile = rtcpProfile.flatMap(VigilSettings.RTCPProfile.init(rawValue:)) ?? .auto
        settings.video.retransmission = retransmission.flatMap(VigilSettings.Retransmission.init(rawValue:)) ?? .resend
        settings.video.codec = codec.flatMap(VigilSettings.VideoCodec.init(name:)) ?? .h264
        settings.video.adaptiveBitrate = adaptive != "off"
        settings.video.adaptivePolicy = adaptive.flatMap(VigilSettings.AdaptivePolicy.init(rawValue:)) ?? .median
        settings.video.pattern = pattern.flatMap(SyntheticVideoSettings.Pattern.init(rawValue:)) ?? .moving
        settings.audio.enabled = !noAudio
        settings.audio.sampleRate = audioRate ?? 8000
        settings.audio.codec = audioCodec.flatMap(VigilSettings.Audio.Codec.init(rawValue:)) ?? .pcmu
        settings.mtu = mtu ?? 1400
        if let library { settings.library.paths = [library] }
        if let maxFileViewers { settings.rtsp.maxFileViewers = max(1, maxFileViewers) }
        if let record {
            settings.streams[0].record.enabled = true
            settings.streams[0].record.path = record
            settings.access.stateDirectory = record
        }
        if let camera {
            settings.videoSource = .camera(path: camera)
        } else if let rawVideo {
            settings.videoSource = .rawInput(RawVideoInputSettings(
                path: rawVideo, format: rawVideoFormat == "yuyv" ? .yuyv : .i420, width: w, height: h, frameRate: rate))
        }
        if let microphone {
            settings.audioSource = .microphone(name: microphone)
        } else if let rawAudio {
            settings.audioSource = .rawInput(RawAudioInputSettings(path: rawAudio, sampleRate: rawAudioRate ?? 8000))
        }
        return settings
    }

    func run() async throws {
        LoggingSystem.bootstrap { VigilLogHandler(label: $0) }
        let logger = Logger(label: "vigil")

        // Where the settings come from, and what SIGHUP re-reads.
        var settings: VigilSettings
        let configPath: String?
        let missingIsDefault: Bool
        if let config {
            configPath = config
            missingIsDefault = false
        } else if streamOptionsGiven.isEmpty {
            configPath = VigilConfigFile.defaultPath
            missingIsDefault = true
        } else {
            configPath = nil
            missingIsDefault = false
        }
        if let configPath {
            do {
                settings = try VigilConfigFile.load(path: configPath, missingIsDefault: missingIsDefault)
            } catch {
                VigilLogHandler.level = .info
                for problem in error.problems { logger.error("config problem: \(problem)", metadata: ["config": "\(configPath)"]) }
                throw ExitCode.failure
            }
        } else {
            settings = commandLineSettings()
        }
        if let httpHost { settings.http.host = httpHost }
        if let httpPort { settings.http.port = httpPort }
        if let webrtcPort { settings.webRTC.port = webrtcPort }
        if let corsOrigin { settings.http.corsOrigin = corsOrigin }
        if noHttp { settings.http.enabled = false }
        if let logLevel, let level = Logger.Level(rawValue: logLevel) { settings.logLevel = level }
        VigilLogHandler.level = settings.logLevel
        // Every connection is a descriptor: take the hard limit, and fit max_connections under it.
        let openFileLimit = OpenFileLimit.apply(to: &settings, logger: logger)
        let startSettings = settings

        let vigil = try buildVigil(settings: settings, logger: logger, notifier: SystemdNotifier.fromEnvironment())
        let group = vigil.makeServiceGroup(signals: true)
        let announce = Task {
            let port = try await vigil.rtspServer.boundPort()
            for stream in vigil.streams {
                for url in vigil.viewerURLs(port: port, path: stream.path) { print("Vigil serving \(url)") }
            }
            if let api = vigil.statusAPI {
                let apiPort = try await api.boundPort()
                print("Vigil API http://\(startSettings.http.host):\(apiPort)/api/v1/status")
            }
            // stdout may be a pipe (systemd, a test): say it now, not at exit.
            fflush(nil)
        }
        defer { announce.cancel() }
        let hangups = Task {
            for await _ in await UnixSignalsSequence(trapping: .sighup) {
                guard let configPath else {
                    logger.notice("SIGHUP: started with stream options and no config file; nothing to reload")
                    continue
                }
                // Command-line overrides survive reloads.
                await vigil.reload(from: configPath, missingIsDefault: missingIsDefault, overriding: { reloaded in
                    var reloaded = reloaded
                    if let logLevel, let level = Logger.Level(rawValue: logLevel) { reloaded.logLevel = level }
                    reloaded.http = startSettings.http
                    // Fitted the same way as at start, so an unchanged [rtsp] reads as unchanged.
                    if let openFileLimit {
                        let fitting = OpenFileLimit.fittingMaxConnections(reloaded, softLimit: openFileLimit)
                        reloaded.rtsp.maxConnections = fitting
                        reloaded.rtsp.maxConnectionsPerAddress = min(reloaded.rtsp.maxConnectionsPerAddress, fitting)
                    }
                    return reloaded
                })
            }
        }
        defer { hangups.cancel() }
        do {
            try await group.run()
        } catch {
            await vigil.shutdownEventLoops()
            throw error
        }
        await vigil.shutdownEventLoops()
    }
}

/// `vigil check-config [PATH]`: reads and validates a config file without starting anything.
struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a config file without starting anything (exit 0 if usable, 1 if not).",
        discussion: "Every problem is printed, one per line, as FILE:LINE: KEY: MESSAGE.")

    @Argument(help: "The file to check (default \(VigilConfigFile.defaultPath)).") var path: String?

    func run() throws {
        let file = path ?? VigilConfigFile.defaultPath
        do {
            let settings = try VigilConfigFile.load(path: file, missingIsDefault: path == nil)
            let streams = settings.streams.map { stream -> String in
                let source: String
                switch stream.videoSource {
                case .synthetic: source = "synthetic"
                case .camera(let device): source = "camera \(device)"
                case .rawInput(let raw): source = "raw \(raw.path)"
                case .file(let name, let loop): source = "file \(name)\(loop ? ", looped" : "")"
                }
                return "\(stream.path) (\(source), \(stream.video.width)x\(stream.video.height)@\(stream.video.frameRate), \(stream.video.bitrateKbps) kbit/s)"
            }
            print("\(file): OK")
            print("  RTSP \(settings.rtsp.host):\(settings.rtsp.port); HTTP API \(settings.http.enabled ? "\(settings.http.host):\(settings.http.port)" : "off"); log level \(settings.logLevel)")
            for stream in streams { print("  stream \(stream)") }
        } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            FileHandle.standardError.write(Data("\(file): \(error.problems.count) problem\(error.problems.count == 1 ? "" : "s"); not usable\n".utf8))
            throw ExitCode.failure
        }
    }
}

/// `vigil version`.
struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print Vigil's version.")
    func run() {
        print("vigil \(VigilVersion.current)")
    }
}
