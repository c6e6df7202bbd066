import Foundation
import MediaCore

/// The synthetic sound: settings.
public struct SyntheticAudioSettings: Sendable, Hashable {
    public var sampleRate: Int
    public var channels: Int
    public var chunkDuration: MediaDuration
    public var toneFrequency: Double
    /// Peak level of the tone: −40 dBFS keeps the sound between beeps below −30 dBFS.
    public var toneLevelDBFS: Double
    public var beepFrequency: Double
    public var beepDuration: MediaDuration
    public var beepLevelDBFS: Double
    public var syncMarkInterval: MediaDuration
    /// Hands each chunk over this long after its last sample was captured, its instant
    /// unchanged: audio that reaches Vigil late (a slow USB path, a deep driver buffer), to
    /// show that sender reports, not arrival order, carry the sync.
    public var deliveryDelay: MediaDuration = MediaDuration(nanoseconds: 0)

    public init(
        sampleRate: Int = 8000, channels: Int = 1, chunkDuration: MediaDuration = .milliseconds(20),
        toneFrequency: Double = 440, toneLevelDBFS: Double = -40, beepFrequency: Double = 1000,
        beepDuration: MediaDuration = .milliseconds(100), beepLevelDBFS: Double = -6, syncMarkInterval: MediaDuration = .seconds(2)
    ) {
        self.sampleRate = sampleRate
        self.channels = channels
        self.chunkDuration = chunkDuration
        self.toneFrequency = toneFrequency
        self.toneLevelDBFS = toneLevelDBFS
        self.beepFrequency = beepFrequency
        self.beepDuration = beepDuration
        self.beepLevelDBFS = beepLevelDBFS
        self.syncMarkInterval = syncMarkInterval
    }

    /// Sample frames in one chunk.
    public var samplesPerChunk: Int { max(1, Int(Int64(sampleRate) * chunkDuration.nanoseconds / 1_000_000_000)) }
}

/// A quiet sine tone with a loud 1 kHz beep at every sync mark, paced in real time.
///
/// Chunk k starts at exactly `epoch + k × samplesPerChunk / sampleRate`. The beep's first
/// sample is the sample at `epoch + j × syncMarkInterval`: the same instants as the white
/// pictures of `SyntheticVideoSource`. It starts at its peak (cosine phase), so its onset is
/// that very sample.
public final class SyntheticAudioSource: @unchecked Sendable {
    public let settings: SyntheticAudioSettings
    public let epoch: MediaInstant
    private let output: BoundedQueue<PCMChunk>
    private let thread = SourceThread(name: "vigil-synthetic-audio")
    private let counters = Counters()

    public init(settings: SyntheticAudioSettings, epoch: MediaInstant, output: BoundedQueue<PCMChunk>) {
        self.settings = settings
        self.epoch = epoch
        self.output = output
    }

    public var chunksProduced: UInt64 { counters.produced }

    public func start() {
        let settings = settings
        let epoch = epoch
        let output = output
        let counters = counters
        thread.start { thread in
            var index: UInt64 = 0
            while !thread.isStopRequested {
                let chunk = Self.makeChunk(settings: settings, index: index, epoch: epoch)
                // A chunk is captured when its last sample is: that is when it can be sent.
                MediaClock.sleep(until: chunk.instant + chunk.duration + settings.deliveryDelay)
                output.push(chunk)
                counters.addProduced()
                index += 1
            }
        }
    }

    public func stop() {
        thread.stop()
    }

    /// Chunk `index` on its own: the pure function the thread uses.
    public static func makeChunk(settings: SyntheticAudioSettings, index: UInt64, epoch: MediaInstant) -> PCMChunk {
        let rate = Int64(settings.sampleRate)
        let perChunk = Int64(settings.samplesPerChunk)
        let first = Int64(index) * perChunk
        let instant = epoch + MediaDuration(nanoseconds: first * 1_000_000_000 / rate)
        let markSamples = settings.syncMarkInterval.nanoseconds * rate / 1_000_000_000
        let beepSamples = settings.beepDuration.nanoseconds * rate / 1_000_000_000
        let toneAmplitude = 32767 * pow(10, settings.toneLevelDBFS / 20)
        let beepAmplitude = 32767 * pow(10, settings.beepLevelDBFS / 20)
        let channels = max(1, settings.channels)
        var samples = [Int16](repeating: 0, count: Int(perChunk) * channels)
        for i in 0..<Int(perChunk) {
            let n = first + Int64(i)
            let t = Double(n) / Double(rate)
            var value = toneAmplitude * sin(2 * Double.pi * settings.toneFrequency * t)
            if markSamples > 0 {
                let sinceMark = n % markSamples
                if sinceMark < beepSamples {
                    value += beepAmplitude * cos(2 * Double.pi * settings.beepFrequency * Double(sinceMark) / Double(rate))
                }
            }
            let sample = Int16(max(-32768, min(32767, value.rounded())))
            for c in 0..<channels { samples[i * channels + c] = sample }
        }
        return PCMChunk(samples: samples, sampleRate: settings.sampleRate, channels: channels, instant: instant)
    }
}
