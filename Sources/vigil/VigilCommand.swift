import ArgumentParser
import Foundation
import Capture
import Logging
import MediaCore
import ServiceLifecycle
import VigilKit

/// `vigil`: parses the command line and hands the settings to the composition root.
@main
struct VigilCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil",
        abstract: "Camera appliance: live H.264 or H.263 + G.711 over RTSP/RTP.",
        subcommands: [Run.self, Devices.self, EncodeH263.self, SyntheticRaw.self],
        defaultSubcommand: Run.self)
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the configured source (the synthetic test source by default).")

    @Option(help: "RTSP TCP port.") var port = 8554
    @Option(help: "Address to listen on.") var host = "0.0.0.0"
    @Option(help: "First UDP port tried for RTP/RTCP server ports.") var udpPortBase = 6970
    @Option(help: "Stream path (rtsp://host:port/PATH).") var path = "live"
    @Option(help: "Video codec: h264, h263 (= h263-1998, RFC 4629), h263-2000 or h263-rfc2190 (RFC 2190, standard sizes).")
    var codec = "h264"
    @Option(help: "Picture width.") var width = 1280
    @Option(help: "Picture height.") var height = 720
    @Option(help: "Frames per second.") var fps = 30
    @Option(help: "Video bitrate in kbit/s.") var bitrate = 2000
    @Option(help: "x264 preset.") var preset = "ultrafast"
    @Option(help: "x264 tune.") var tune = "zerolatency"
    @Option(help: "H.264 profile.") var profile = "high"
    @Option(help: "Frames between key frames (default: 2 s worth).") var keyint: Int?
    @Option(help: "x264 threads (0 = auto).") var threads = 0
    @Option(help: "Synthetic picture: moving or noise.") var pattern: String = "moving"
    @Option(help: "Audio codec: pcmu or pcma.") var audioCodec = "pcmu"
    @Option(help: "Synthetic audio sample rate (8000 uses PCMU/PCMA's static payload types).") var audioRate = 8000
    @Flag(help: "Serve video only.") var noAudio = false
    @Option(help: "V4L2 camera to stream (e.g. /dev/video0); see `vigil devices`.") var camera: String?
    @Option(help: "ALSA capture PCM to stream (e.g. hw:1,0, plughw:CARD=U0x46d0x825, default).") var microphone: String?
    @Option(help: "Raw video input (file or FIFO) instead of the synthetic picture.") var rawVideo: String?
    @Option(help: "Raw video pixel format: yuyv or i420.") var rawVideoFormat = "i420"
    @Option(help: "Raw S16LE mono audio input (file or FIFO).") var rawAudio: String?
    @Option(help: "Raw audio sample rate.") var rawAudioRate = 8000
    @Option(help: "Largest RTP packet in bytes.") var mtu = 1400
    @Option(help: "Multicast group of the stream (RTSP SETUP with 'multicast'); see --no-multicast.") var multicastGroup = "239.255.42.1"
    @Option(help: "First multicast port (video; audio on +2).") var multicastPort = 5004
    @Option(help: "Multicast TTL (1 = this network segment only).") var multicastTTL = 1
    @Flag(help: "Refuse multicast SETUPs (461).") var noMulticast = false
    @Option(help: "RTP profile for video: avp (every client) or avpf (RFC 4585 feedback at once; VLC skips it).")
    var rtcpProfile = "avp"
    @Option(help: "Repair of lost video packets on NACK: off, resend, or rtx (RFC 4588 stream).") var retransmission = "resend"
    @Option(help: "Adaptive bitrate: follow the median viewer, the lowest one, or off (fixed rate).") var adaptive = "median"
    @Option(help: "Log level: trace, debug, info, notice, warning, error.") var logLevel = "info"

    func validate() throws {
        guard (1...65535).contains(port) || port == 0 else { throw ValidationError("--port must be 0...65535, got \(port)") }
        guard width >= 16, height >= 16, width % 2 == 0, height % 2 == 0 else {
            throw ValidationError("--width and --height must be even and at least 16, got \(width)x\(height)")
        }
        guard VigilSettings.VideoCodec(name: codec) != nil else {
            throw ValidationError("--codec must be h264, h263, h263-1998, h263-2000 or h263-rfc2190, got \(codec)")
        }
        guard (1...120).contains(fps) else { throw ValidationError("--fps must be 1...120, got \(fps)") }
        guard (16...100_000).contains(bitrate) else { throw ValidationError("--bitrate must be 16...100000 kbit/s, got \(bitrate)") }
        guard SyntheticVideoSettings.Pattern(rawValue: pattern) != nil else { throw ValidationError("--pattern must be moving or noise") }
        guard VigilSettings.Audio.Codec(rawValue: audioCodec) != nil else { throw ValidationError("--audio-codec must be pcmu or pcma") }
        guard (8000...48000).contains(audioRate) else { throw ValidationError("--audio-rate must be 8000...48000") }
        guard ["yuyv", "i420"].contains(rawVideoFormat) else { throw ValidationError("--raw-video-format must be yuyv or i420") }
        guard (200...65_000).contains(mtu) else { throw ValidationError("--mtu must be 200...65000") }
        let octets = multicastGroup.split(separator: ".").compactMap { Int($0) }
        guard octets.count == 4, (224...239).contains(octets[0]), octets.allSatisfy({ (0...255).contains($0) }) else {
            throw ValidationError("--multicast-group must be an IPv4 multicast address (224.0.0.0–239.255.255.255), got \(multicastGroup)")
        }
        guard (1024...65_000).contains(multicastPort), multicastPort % 2 == 0 else {
            throw ValidationError("--multicast-port must be even and 1024...65000")
        }
        guard (1...255).contains(multicastTTL) else { throw ValidationError("--multicast-ttl must be 1...255") }
        guard VigilSettings.RTCPProfile(rawValue: rtcpProfile) != nil else {
            throw ValidationError("--rtcp-profile must be avp or avpf, got \(rtcpProfile)")
        }
        guard VigilSettings.Retransmission(rawValue: retransmission) != nil else {
            throw ValidationError("--retransmission must be off, resend or rtx, got \(retransmission)")
        }
        guard adaptive == "off" || VigilSettings.AdaptivePolicy(rawValue: adaptive) != nil else {
            throw ValidationError("--adaptive must be median, lowest or off, got \(adaptive)")
        }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level: unknown level \(logLevel)") }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "vigil")

        var settings = VigilSettings()
        settings.rtsp.port = port
        settings.rtsp.host = host
        settings.rtsp.udpPortBase = udpPortBase
        settings.rtsp.multicastGroupBase = noMulticast ? nil : multicastGroup
        settings.rtsp.multicastPortBase = multicastPort
        settings.rtsp.multicastTTL = multicastTTL
        settings.streamPath = path
        settings.video.codec = VigilSettings.VideoCodec(name: codec) ?? .h264
        settings.video.width = width
        settings.video.height = height
        settings.video.frameRate = fps
        settings.video.bitrateKbps = bitrate
        settings.video.preset = preset
        settings.video.tune = tune
        settings.video.profile = profile
        settings.video.keyFrameInterval = keyint
        settings.video.threads = threads
        settings.video.rtcpProfile = VigilSettings.RTCPProfile(rawValue: rtcpProfile) ?? .avp
        settings.video.retransmission = VigilSettings.Retransmission(rawValue: retransmission) ?? .resend
        settings.video.adaptiveBitrate = adaptive != "off"
        settings.video.adaptivePolicy = VigilSettings.AdaptivePolicy(rawValue: adaptive) ?? .median
        settings.video.pattern = SyntheticVideoSettings.Pattern(rawValue: pattern) ?? .moving
        settings.audio.enabled = !noAudio
        settings.audio.sampleRate = audioRate
        settings.audio.codec = VigilSettings.Audio.Codec(rawValue: audioCodec) ?? .pcmu
        settings.mtu = mtu
        if let camera {
            settings.videoSource = .camera(path: camera)
        } else if let rawVideo {
            settings.videoSource = .rawInput(RawVideoInputSettings(
                path: rawVideo, format: rawVideoFormat == "yuyv" ? .yuyv : .i420, width: width, height: height, frameRate: fps))
        }
        if let microphone {
            settings.audioSource = .microphone(name: microphone)
        } else if let rawAudio {
            settings.audioSource = .rawInput(RawAudioInputSettings(path: rawAudio, sampleRate: rawAudioRate))
        }

        let vigil = try buildVigil(settings: settings, logger: logger)
        let group = vigil.makeServiceGroup(signals: true)
        let announce = Task {
            let port = try await vigil.rtspServer.boundPort()
            for url in vigil.viewerURLs(port: port) { print("Vigil serving \(url)") }
            // stdout may be a pipe (systemd, a test): say it now, not at exit.
            fflush(nil)
        }
        defer { announce.cancel() }
        do {
            try await group.run()
        } catch {
            await vigil.shutdownEventLoops()
            throw error
        }
        await vigil.shutdownEventLoops()
    }
}


