import CALSA
import Foundation
import MediaCore

/// One ALSA capture PCM, opened for low latency and stamped from ALSA's own timestamps.
///
/// Interleaved S16_LE at the asked rate and channel count; a 20 ms period and a buffer of
/// four periods (80 ms): short enough for lip sync, long enough that a busy encoder thread
/// does not overrun it. Timestamps are ALSA's (`snd_pcm_htimestamp`, CLOCK_MONOTONIC), so
/// audio lands on the same timeline as the camera's driver-stamped pictures.
final class ALSACapture {
    static let periodsPerBuffer = 4

    let name: String
    private let pcm: OpaquePointer
    let sampleRate: Int
    let channels: Int
    let periodFrames: Int
    private(set) var overruns: UInt64 = 0
    private(set) var usedDriverTimestamps = true
    private var timeline = AudioTimeline()

    init(name: String, sampleRate: Int, channels: Int, periodDuration: MediaDuration = .milliseconds(20)) throws(MicrophoneError) {
        vigil_alsa_silence_errors()
        var handle: OpaquePointer?
        let openCode = snd_pcm_open(&handle, name, SND_PCM_STREAM_CAPTURE, 0)
        guard openCode >= 0, let handle else { throw .cannotOpen(name: name, code: openCode) }
        self.name = name
        self.pcm = handle

        var hw: OpaquePointer?
        snd_pcm_hw_params_malloc(&hw)
        defer { snd_pcm_hw_params_free(hw) }
        var rate = UInt32(sampleRate)
        var period = snd_pcm_uframes_t(Int64(sampleRate) * periodDuration.nanoseconds / 1_000_000_000)
        var buffer = period * snd_pcm_uframes_t(Self.periodsPerBuffer)
        var direction: Int32 = 0
        let steps: [(String, () -> Int32)] = [
            ("any configuration", { snd_pcm_hw_params_any(handle, hw) }),
            ("interleaved access", { snd_pcm_hw_params_set_access(handle, hw, SND_PCM_ACCESS_RW_INTERLEAVED) }),
            ("S16_LE samples", { snd_pcm_hw_params_set_format(handle, hw, SND_PCM_FORMAT_S16_LE) }),
            ("\(channels) channels", { snd_pcm_hw_params_set_channels(handle, hw, UInt32(channels)) }),
            ("\(sampleRate) Hz", { snd_pcm_hw_params_set_rate_near(handle, hw, &rate, &direction) }),
            ("the period size", { snd_pcm_hw_params_set_period_size_near(handle, hw, &period, &direction) }),
            ("the buffer size", { snd_pcm_hw_params_set_buffer_size_near(handle, hw, &buffer) }),
            ("the hardware parameters", { snd_pcm_hw_params(handle, hw) }),
        ]
        for (what, step) in steps {
            let code = step()
            guard code >= 0 else {
                snd_pcm_close(handle)
                throw .unsupported(name: name, what: what, code: code)
            }
        }
        guard Int(rate) == sampleRate else {
            snd_pcm_close(handle)
            throw .unsupported(name: name, what: "\(sampleRate) Hz (nearest is \(rate) Hz)", code: -EINVAL)
        }
        self.sampleRate = Int(rate)
        self.channels = channels
        self.periodFrames = Int(period)

        // Timestamps on CLOCK_MONOTONIC, taken when the hardware pointer moves.
        var sw: OpaquePointer?
        snd_pcm_sw_params_malloc(&sw)
        defer { snd_pcm_sw_params_free(sw) }
        snd_pcm_sw_params_current(handle, sw)
        snd_pcm_sw_params_set_tstamp_mode(handle, sw, SND_PCM_TSTAMP_ENABLE)
        snd_pcm_sw_params_set_tstamp_type(handle, sw, SND_PCM_TSTAMP_TYPE_MONOTONIC)
        snd_pcm_sw_params_set_avail_min(handle, sw, period)
        let swCode = snd_pcm_sw_params(handle, sw)
        if swCode < 0 { usedDriverTimestamps = false }
        let prepared = snd_pcm_prepare(handle)
        guard prepared >= 0 else {
            snd_pcm_close(handle)
            throw .unsupported(name: name, what: "prepare", code: prepared)
        }
        snd_pcm_start(handle)
    }

    deinit {
        snd_pcm_close(pcm)
    }

    /// Reads one period (blocking; it returns within a period). On an overrun the PCM is
    /// recovered and counted, and the read goes on: the stream keeps running.
    func read() throws(MicrophoneError) -> PCMChunk {
        var samples = [Int16](repeating: 0, count: periodFrames * channels)
        var filled = 0
        while filled < periodFrames {
            let got = samples.withUnsafeMutableBufferPointer { buffer in
                snd_pcm_readi(pcm, buffer.baseAddress! + filled * channels, snd_pcm_uframes_t(periodFrames - filled))
            }
            if got >= 0 {
                filled += Int(got)
                continue
            }
            let code = Int32(got)
            if code == -EINTR || code == -EAGAIN { continue }
            if code == -EPIPE || code == -ESTRPIPE {
                overruns += 1
                timeline.reset()
                guard snd_pcm_recover(pcm, code, 1) >= 0 else { throw .deviceLost(name: name, code: code) }
                snd_pcm_start(pcm)
                continue
            }
            if code == -ENODEV || code == -EBADFD || code == -EIO { throw .deviceLost(name: name, code: code) }
            throw .readFailed(name: name, code: code)
        }
        let instant = timeline.place(measured: firstSampleInstant(frames: filled), frames: filled, sampleRate: sampleRate)
        return PCMChunk(samples: samples, sampleRate: sampleRate, channels: channels, instant: instant)
    }

    /// The capture instant of the first of the `frames` just read: ALSA stamped the moment
    /// the hardware pointer reached its position, with `avail` frames still unread behind
    /// ours, so our first frame was captured (avail + frames) / rate before that stamp.
    private func firstSampleInstant(frames: Int) -> MediaInstant {
        var avail: snd_pcm_uframes_t = 0
        var stamp = timespec()
        if usedDriverTimestamps, snd_pcm_htimestamp(pcm, &avail, &stamp) >= 0, stamp.tv_sec > 0 {
            let stamped = MediaInstant(nanoseconds: Int64(stamp.tv_sec) * 1_000_000_000 + Int64(stamp.tv_nsec))
            return ALSATimestamp.firstSample(stamp: stamped, available: Int(avail), frames: frames, sampleRate: sampleRate)
        }
        usedDriverTimestamps = false
        let pending = max(0, Int(snd_pcm_avail(pcm)))
        return ALSATimestamp.firstSample(stamp: MediaClock.now(), available: pending, frames: frames, sampleRate: sampleRate)
    }
}

/// The arithmetic of ALSA timestamps, apart so it is tested without a sound card.
public enum ALSATimestamp {
    public static func firstSample(stamp: MediaInstant, available: Int, frames: Int, sampleRate: Int) -> MediaInstant {
        stamp - MediaDuration(nanoseconds: Int64(available + frames) * 1_000_000_000 / Int64(max(1, sampleRate)))
    }
}

/// Keeps captured audio on a continuous timeline that follows the capture clock.
///
/// Each period starts where the last one ended, as the samples did, while the measured stamps
/// agree within `tolerance` (they jitter, under load by more than a sample). When the device's
/// sample clock runs slow against CLOCK_MONOTONIC the stamps run ahead: the timeline jumps
/// forward to them (a small gap, as after an overrun). When it runs fast the stamps fall
/// behind: the timeline slews back by at most an eighth of a period per period, so packet
/// times still only increase and lip sync does not drift. A stamp more than `clockStep` behind
/// (the clock was stepped, the device restarted) re-anchors at once.
public struct AudioTimeline: Sendable {
    /// Larger than timestamp jitter, smaller than anything a viewer would hear as lip sync.
    public static let tolerance = MediaDuration.milliseconds(10)
    public static let clockStep = MediaDuration.seconds(1)
    private var anchor: MediaInstant?
    private var framesSinceAnchor: Int64 = 0

    public init() {}

    public mutating func reset() {
        anchor = nil
    }

    /// The instant of the first of `frames` frames whose stamp was measured as `measured`.
    public mutating func place(measured: MediaInstant, frames: Int, sampleRate: Int) -> MediaInstant {
        defer { framesSinceAnchor += Int64(frames) }
        if let anchor {
            let predicted = anchor + MediaDuration(nanoseconds: framesSinceAnchor * 1_000_000_000 / Int64(sampleRate))
            let error = (measured - predicted).nanoseconds
            if error >= -Self.tolerance.nanoseconds && error <= Self.tolerance.nanoseconds { return predicted }
            if error < 0 && error >= -Self.clockStep.nanoseconds {
                let period = Int64(frames) * 1_000_000_000 / Int64(sampleRate)
                let slew = min(-error - Self.tolerance.nanoseconds / 2, period / 8)
                self.anchor = anchor - MediaDuration(nanoseconds: slew)
                return predicted - MediaDuration(nanoseconds: slew)
            }
        }
        anchor = measured
        framesSinceAnchor = 0
        return measured
    }
}
