import MediaCore

/// Raw pictures from a file or FIFO: size, rate and layout are the caller's to say.
public struct RawVideoInputSettings: Sendable, Hashable {
    public var path: String
    public var format: PixelFormat
    public var width: Int
    public var height: Int
    public var frameRate: Int
    /// Rewind a regular file at its end.
    public var loop: Bool

    public init(path: String, format: PixelFormat, width: Int, height: Int, frameRate: Int, loop: Bool = true) {
        self.path = path
        self.format = format
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.loop = loop
    }
}

/// Raw S16LE audio from a file or FIFO.
public struct RawAudioInputSettings: Sendable, Hashable {
    public var path: String
    public var sampleRate: Int
    public var channels: Int
    public var chunkDuration: MediaDuration
    public var loop: Bool

    public init(path: String, sampleRate: Int = 8000, channels: Int = 1, chunkDuration: MediaDuration = .milliseconds(20), loop: Bool = true) {
        self.path = path
        self.sampleRate = sampleRate
        self.channels = channels
        self.chunkDuration = chunkDuration
        self.loop = loop
    }

    public var samplesPerChunk: Int { max(1, Int(Int64(sampleRate) * chunkDuration.nanoseconds / 1_000_000_000)) }
}

/// Raw video input, fed exactly like a camera would feed Vigil.
///
/// A regular file is paced by the frame rate: picture n is captured at `epoch + n / rate`.
/// A FIFO is paced by arrival: a picture's instant is when its last byte was read.
public final class RawVideoInputSource: @unchecked Sendable {
    public let settings: RawVideoInputSettings
    private let epoch: MediaInstant
    private let output: BoundedQueue<RawFrame>
    private let reader: RawInputReader
    private let thread = SourceThread(name: "vigil-raw-video")
    private let counters = Counters()

    public init(settings: RawVideoInputSettings, epoch: MediaInstant, output: BoundedQueue<RawFrame>) throws(CaptureError) {
        guard settings.format == .yuyv || settings.format == .i420 || settings.format == .nv12 else {
            throw .unsupportedFormat(settings.format.rawValue)
        }
        guard settings.width > 0, settings.height > 0, settings.frameRate > 0 else {
            throw .invalidSettings("raw video needs a positive size and frame rate")
        }
        self.settings = settings
        self.epoch = epoch
        self.output = output
        self.reader = try RawInputReader(
            path: settings.path, recordSize: settings.format.frameSize(width: settings.width, height: settings.height),
            loop: settings.loop)
    }

    public var framesProduced: UInt64 { counters.produced }
    public var isFIFO: Bool { reader.isFIFO }

    public func start() {
        let settings = settings
        let epoch = epoch
        let output = output
        let reader = reader
        let counters = counters
        thread.start { thread in
            var index: UInt64 = 0
            while !thread.isStopRequested {
                switch reader.next() {
                case .idle:
                    continue
                case .finished:
                    return
                case .record(let bytes):
                    let instant: MediaInstant
                    if reader.isFIFO {
                        instant = MediaClock.now()
                    } else {
                        instant = epoch + MediaDuration(nanoseconds: Int64(index) * 1_000_000_000 / Int64(settings.frameRate))
                        MediaClock.sleep(until: instant)
                    }
                    output.push(RawFrame(
                        format: settings.format, width: settings.width, height: settings.height,
                        bytes: bytes, instant: instant, sequence: index))
                    counters.addProduced()
                    index += 1
                }
            }
        }
    }

    public func stop() {
        thread.stop()
    }
}

/// Raw S16LE audio input. A regular file is paced by its sample rate (chunk k starts at
/// `epoch + k × samples / rate`); from a FIFO a chunk's first sample is taken to have been
/// captured one chunk duration before its last byte arrived.
public final class RawAudioInputSource: @unchecked Sendable {
    public let settings: RawAudioInputSettings
    private let epoch: MediaInstant
    private let output: BoundedQueue<PCMChunk>
    private let reader: RawInputReader
    private let thread = SourceThread(name: "vigil-raw-audio")
    private let counters = Counters()

    public init(settings: RawAudioInputSettings, epoch: MediaInstant, output: BoundedQueue<PCMChunk>) throws(CaptureError) {
        guard settings.sampleRate > 0, settings.channels > 0 else {
            throw .invalidSettings("raw audio needs a positive sample rate and channel count")
        }
        self.settings = settings
        self.epoch = epoch
        self.output = output
        self.reader = try RawInputReader(path: settings.path, recordSize: settings.samplesPerChunk * settings.channels * 2, loop: settings.loop)
    }

    public var chunksProduced: UInt64 { counters.produced }

    public func start() {
        let settings = settings
        let epoch = epoch
        let output = output
        let reader = reader
        let counters = counters
        thread.start { thread in
            var index: UInt64 = 0
            let perChunk = Int64(settings.samplesPerChunk)
            let duration = MediaDuration(nanoseconds: perChunk * 1_000_000_000 / Int64(settings.sampleRate))
            while !thread.isStopRequested {
                switch reader.next() {
                case .idle:
                    continue
                case .finished:
                    return
                case .record(let bytes):
                    let samples = bytes.withUnsafeBytes { raw in
                        (0..<(bytes.count / 2)).map { Int16(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 2, as: Int16.self)) }
                    }
                    let instant: MediaInstant
                    if reader.isFIFO {
                        instant = MediaClock.now() - duration
                    } else {
                        instant = epoch + MediaDuration(nanoseconds: Int64(index) * perChunk * 1_000_000_000 / Int64(settings.sampleRate))
                        MediaClock.sleep(until: instant + duration)
                    }
                    output.push(PCMChunk(samples: samples, sampleRate: settings.sampleRate, channels: settings.channels, instant: instant))
                    counters.addProduced()
                    index += 1
                }
            }
        }
    }

    public func stop() {
        thread.stop()
    }
}
