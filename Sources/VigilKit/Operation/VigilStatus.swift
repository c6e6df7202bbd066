import Foundation
import Record
import Serve
import Synchronization

/// What `GET /api/v1/status` answers and `vigil status` prints: every stream with its
/// sources, encoder settings and current bitrate, counters, and viewers with their RTCP
/// statistics. Field names are the JSON's (snake_case through the encoder).
public struct VigilStatus: Codable, Sendable {
    public struct Listener: Codable, Sendable {
        public var host: String
        public var port: Int
    }

    public struct Source: Codable, Sendable {
        /// synthetic, camera, raw, microphone
        public var kind: String
        public var device: String?
        public var file: String?
        public var format: String?
        public var pattern: String?
    }

    public struct Video: Codable, Sendable {
        public var source: Source
        public var codec: String
        public var width: Int
        public var height: Int
        public var fps: Int
        public var bitrateKbps: Int
        public var currentBitrateKbps: Int
        public var preset: String
        public var tune: String
        public var profile: String
        public var keyint: Int?
        public var adaptiveBitrate: Bool
    }

    public struct Audio: Codable, Sendable {
        public var source: Source
        public var codec: String
        public var sampleRate: Int
    }

    public struct Counters: Codable, Sendable {
        public var framesCaptured: UInt64
        public var framesEncoded: UInt64
        public var framesDropped: UInt64
        public var audioChunksCaptured: UInt64
        public var audioUnitsEncoded: UInt64
        /// JPEG encodes for snapshots and MJPEG (one per picture and width asked for).
        public var snapshotEncodes: UInt64 = 0
        /// Whether a live HLS muxer runs now (someone fetched the playlist within `hls_idle`).
        public var hlsActive = false
        /// Parts the running HLS muxer has made (0 when none runs; a new muxer starts at 0).
        public var hlsParts: UInt64 = 0
    }

    public struct Track: Codable, Sendable {
        public var index: Int
        public var kind: String
        /// RTP packets of the stream, once whatever the number of viewers, and their payload bytes.
        public var packetsSent: UInt64
        public var bytesSent: UInt64
        /// Packets and payload bytes written to viewers (each viewer counted).
        public var packetsToViewers: UInt64
        public var bytesToViewers: UInt64
        public var packetsResent: UInt64
        public var nacksReceived: UInt64
        public var keyFrameRequests: UInt64
    }

    public struct ViewerTrack: Codable, Sendable {
        public var track: Int
        public var kind: String
        public var packetsSent: UInt64
        public var bytesSent: UInt64
        public var packetsDropped: UInt64
        public var packetsResent: UInt64
        public var receiverReports: UInt64
        public var fractionLost: Double?
        public var cumulativeLost: Int32?
        public var jitterSeconds: Double?
        public var roundTripSeconds: Double?
        public var keyFrameRequests: UInt64
        public var nacksReceived: UInt64
        public var keyFramesOnly: Bool
    }

    public struct Viewer: Codable, Sendable {
        /// 1, 2, 3 … in join order on this stream. Not the RTSP session id: that id is a
        /// capability (it controls the session), so it never leaves its connection.
        public var viewer: Int
        public var transport: String
        public var peer: String
        public var tracks: [ViewerTrack]
    }

    /// `[stream.record]` at work: what the recorder did and where it stands.
    public struct Recording: Codable, Sendable {
        /// starting, waiting (for a key frame), recording, paused (disk full or a write error), stopped.
        public var state: String
        public var directory: String
        public var segmentsWritten: UInt64
        public var partsWritten: UInt64
        public var bytesWritten: UInt64
        public var pauses: UInt64
        /// Times it fell behind and was cut off (the recording then has a gap).
        public var cutOffs: UInt64
        public var lastError: String?
    }

    public struct Stream: Codable, Sendable {
        public var recording: Recording?
        public var path: String
        public var url: String
        public var video: Video
        public var audio: Audio?
        public var counters: Counters
        public var tracks: [Track]
        public var viewers: [Viewer]
    }

    /// The box itself, for the web page and scrapers.
    public struct Health: Codable, Sendable {
        public var cpuCount: Int
        /// `/proc/loadavg`: 1, 5 and 15 minutes (empty where there is none).
        public var loadAverage: [Double]
        /// CPU time Vigil has used (user + system) since it started; a rate of it is Vigil's
        /// share of the CPU.
        public var processCPUSeconds: Double
        /// The file system that holds the recordings (the first recording stream's
        /// directory), else the state directory's, else /.
        public var diskPath: String
        public var diskFreeBytes: Int64?
        public var diskTotalBytes: Int64?

        /// `processCpuSeconds`, so that the snake-case strategies meet: the JSON key is
        /// `process_cpu_seconds` both ways ("CPU" would come back as "Cpu" and not match).
        enum CodingKeys: String, CodingKey {
            case cpuCount, loadAverage, processCPUSeconds = "processCpuSeconds", diskPath, diskFreeBytes, diskTotalBytes
        }
    }

    /// Segments the retention cleaner deleted, by reason (age, size, space); nil when nothing records.
    public var retentionDeleted: [String: UInt64]?
    public var version: String
    public var uptimeSeconds: Double
    public var rtsp: Listener
    public var http: Listener?
    public var streams: [Stream]
    public var health: Health? = nil

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }

    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return encoder
    }
}

/// The version `vigil version` prints and the API reports.
public enum VigilVersion {
    public static let current = "0.3.0"
}

extension Vigil {
    /// A consistent-enough snapshot: each stream is read on its own loop, one after another.
    public func status() async throws -> VigilStatus {
        let rtspPort = try await rtspServer.boundPort()
        let httpPort = try await statusAPI?.boundPort()
        let settings = self.settings
        var streams: [VigilStatus.Stream] = []
        for stream in self.streams {
            let viewers = try await stream.hub.viewerSnapshots()
            let tracks = try await stream.hub.trackSnapshots()
            let pipeline = stream.pipeline
            let hls = statusAPI?.hlsService.partsMade(for: stream)
            let video = pipeline.encodedVideo
            let kinds = Dictionary(uniqueKeysWithValues: tracks.map { ($0.track, ($0.kind, $0.clockRate)) })
            var bySession: [String: VigilStatus.Viewer] = [:]
            var order: [String] = []
            var sessions: [String] = []
            for viewer in viewers where !sessions.contains(viewer.session) { sessions.append(viewer.session) }
            let numbers = viewerNumbers.withLock { $0.numbers(path: stream.path, sessions: sessions) }
            for viewer in viewers {
                let (kind, clockRate) = kinds[viewer.track] ?? ("video", 90_000)
                let s = viewer.statistics
                let track = VigilStatus.ViewerTrack(
                    track: viewer.track, kind: kind, packetsSent: s.packetsSent, bytesSent: s.octetsSent,
                    packetsDropped: s.packetsDropped, packetsResent: s.packetsResent, receiverReports: s.receiverReports,
                    fractionLost: s.fractionLost, cumulativeLost: s.cumulativeLost,
                    jitterSeconds: s.jitter.map { Double($0) / Double(clockRate) }, roundTripSeconds: s.roundTripSeconds,
                    keyFrameRequests: s.keyFrameRequests, nacksReceived: s.nacksReceived, keyFramesOnly: s.keyFramesOnly)
                if bySession[viewer.session] == nil {
                    order.append(viewer.session)
                    bySession[viewer.session] = .init(viewer: numbers[viewer.session] ?? 0, transport: viewer.transport, peer: viewer.peer, tracks: [])
                }
                bySession[viewer.session]?.tracks.append(track)
            }
            let host = settings.rtsp.host == "0.0.0.0" || settings.rtsp.host == "::" ? "127.0.0.1" : settings.rtsp.host
            let recording = pipeline.recorder.map { recorder in
                let statistics = recorder.statistics
                return VigilStatus.Recording(
                    state: statistics.state.rawValue, directory: recorder.configuration.directory,
                    segmentsWritten: statistics.segmentsWritten, partsWritten: statistics.partsWritten,
                    bytesWritten: statistics.bytesWritten, pauses: statistics.pauses, cutOffs: statistics.cutOffs,
                    lastError: statistics.lastError)
            }
            streams.append(VigilStatus.Stream(
                recording: recording,
                path: stream.path, url: "rtsp://\(host):\(rtspPort)/\(stream.path)",
                video: VigilStatus.Video(
                    source: Self.describe(stream.settings.videoSource, pattern: video.pattern.rawValue), codec: video.codec.rawValue,
                    width: video.width, height: video.height, fps: video.frameRate, bitrateKbps: video.bitrateKbps,
                    currentBitrateKbps: pipeline.videoEncoder?.currentBitrateKbps ?? 0, preset: video.preset, tune: video.tune,
                    profile: video.profile, keyint: video.keyFrameInterval, adaptiveBitrate: video.adaptiveBitrate),
                audio: stream.settings.audio.enabled
                    ? VigilStatus.Audio(
                        source: Self.describe(stream.settings.audioSource), codec: stream.settings.audio.codec.rawValue,
                        sampleRate: kinds[1]?.1 ?? stream.settings.audio.sampleRate)
                    : nil,
                counters: VigilStatus.Counters(
                    framesCaptured: pipeline.framesCaptured, framesEncoded: pipeline.framesEncoded,
                    framesDropped: pipeline.framesDroppedBeforeEncoding, audioChunksCaptured: pipeline.audioChunksCaptured,
                    audioUnitsEncoded: pipeline.audioUnitsEncoded, snapshotEncodes: pipeline.snapshots?.encodes ?? 0,
                    hlsActive: hls != nil, hlsParts: hls ?? 0),
                tracks: tracks.map {
                    .init(
                        index: $0.track, kind: $0.kind, packetsSent: $0.packetsSent, bytesSent: $0.octetsSent,
                        packetsToViewers: $0.packetsToViewers, bytesToViewers: $0.octetsToViewers,
                        packetsResent: $0.packetsResent, nacksReceived: $0.nacksReceived, keyFrameRequests: $0.keyFrameRequests)
                },
                viewers: order.compactMap { bySession[$0] }))
        }
        let paths = Set(self.streams.map(\.path))
        viewerNumbers.withLock { $0.retain(paths: paths) }
        let deleted = recordings.cleaner?.deleted
        return VigilStatus(
            retentionDeleted: deleted.map { counts in
                Dictionary(uniqueKeysWithValues: RetentionCleaner.Reason.allCases.map { ($0.rawValue, counts.counts[$0] ?? 0) })
            },
            version: VigilVersion.current, uptimeSeconds: Double((ContinuousClock.now - startedAt).components.seconds),
            rtsp: .init(host: settings.rtsp.host, port: rtspPort),
            http: httpPort.map { .init(host: settings.http.host, port: $0) }, streams: streams, health: health())
    }

    func health() -> VigilStatus.Health {
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?
            .split(separator: " ").prefix(3).compactMap { Double($0) } ?? []
        var used = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &used)
        let cpu = Double(used.tv_sec) + Double(used.tv_nsec) / 1e9
        let candidates = streams.compactMap { $0.pipeline.recorder?.configuration.directory }
            + [settings.access.resolvedStateDirectory(environment: ProcessInfo.processInfo.environment), "/"]
        let path = candidates.first { FileManager.default.fileExists(atPath: $0) } ?? "/"
        let attributes = try? FileManager.default.attributesOfFileSystem(forPath: path)
        return VigilStatus.Health(
            cpuCount: ProcessInfo.processInfo.activeProcessorCount, loadAverage: load, processCPUSeconds: cpu, diskPath: path,
            diskFreeBytes: Self.bytes(attributes?[.systemFreeSize]), diskTotalBytes: Self.bytes(attributes?[.systemSize]))
    }

    /// A file-system size as Foundation hands it out (an NSNumber, or a Swift integer).
    private static func bytes(_ value: Any?) -> Int64? {
        if let number = value as? NSNumber { return number.int64Value }
        if let number = value as? UInt64 { return Int64(clamping: number) }
        if let number = value as? Int { return Int64(number) }
        return nil
    }

    static func describe(_ source: VigilSettings.VideoSource, pattern: String) -> VigilStatus.Source {
        switch source {
        case .synthetic: .init(kind: "synthetic", pattern: pattern)
        case .camera(let path): .init(kind: "camera", device: path)
        case .rawInput(let raw): .init(kind: "raw", file: raw.path, format: raw.format == .yuyv ? "yuyv" : "i420")
        case .file(let name, _): .init(kind: "file", file: name)
        }
    }

    static func describe(_ source: VigilSettings.AudioSource) -> VigilStatus.Source {
        switch source {
        case .synthetic: .init(kind: "synthetic")
        case .microphone(let name): .init(kind: "microphone", device: name)
        case .rawInput(let raw): .init(kind: "raw", file: raw.path, format: "s16le")
        }
    }
}

/// Numbers viewers 1, 2, 3 … per stream in the order they are first seen (snapshots list
/// viewers in join order), keeping each number while its session lasts.
struct ViewerNumbers {
    private var next: [String: Int] = [:]
    private var assigned: [String: [String: Int]] = [:]

    /// The numbers of `sessions` (in join order) on the stream at `path`; sessions gone since
    /// the last call lose theirs, numbers are never reused.
    mutating func numbers(path: String, sessions: [String]) -> [String: Int] {
        let present = Set(sessions)
        var numbers = (assigned[path] ?? [:]).filter { present.contains($0.key) }
        var counter = next[path] ?? 1
        for session in sessions where numbers[session] == nil {
            numbers[session] = counter
            counter += 1
        }
        next[path] = counter
        assigned[path] = numbers
        return numbers
    }

    /// Forgets streams that no longer exist.
    mutating func retain(paths: Set<String>) {
        next = next.filter { paths.contains($0.key) }
        assigned = assigned.filter { paths.contains($0.key) }
    }
}
