import COpus
import MediaCore

/// libopus, wrapped once: owns the encoder handle for its whole life.
///
/// Mono, at the input's own sampling rate: Opus codes 8, 12, 16, 24 and 48 kHz natively
/// (RFC 6716 §2), so nothing is resampled and any other rate is refused. Chunks of any length
/// are buffered; each complete 20 ms frame becomes one unit holding one Opus packet, with
/// `sampleCount` 960 — RTP (RFC 7587 §4.1) and MP4 count Opus time at 48 kHz whatever the input
/// rate — and the capture instant of the frame's first sample, reckoned from the instant of
/// the chunk that sample came in and its position there, never from the clock. Every unit is a
/// key frame: each Opus packet is a sync sample (Opus in ISO BMFF §4.3.6.1).
///
/// Application `OPUS_APPLICATION_AUDIO`, not `VOIP`: a camera's microphone hears a room, not a
/// call, and VOIP mode high-passes and reshapes the signal for speech intelligibility, which
/// would colour what is not speech (an alarm, glass, footsteps). In AUDIO mode libopus still
/// picks SILK for what it classifies as speech.
///
/// Not thread-safe and not `Sendable`: one thread (the audio encoder thread) owns it and makes
/// every call, bitrate changes included. Unlike the video encoders there is no command queue,
/// because nothing outside that thread steers audio.
public final class OpusEncoder {
    /// The rates Opus codes natively (RFC 6716 §2: NB, MB, WB, SWB, FB input).
    public static let supportedSampleRates = [8000, 12_000, 16_000, 24_000, 48_000]
    /// Opus's own clock, in which RTP timestamps, MP4 sample durations and the pre-skip count.
    public static let referenceRate = 48_000
    /// Each unit is one 20 ms frame: the frame size libopus and RTP receivers expect by default,
    /// and the period Vigil's audio sources usually deliver.
    public static let frameDuration = MediaDuration.milliseconds(20)
    /// 20 ms at 48 kHz: every unit's `sampleCount`.
    public static let samplesPerFrame = referenceRate / 50
    /// A 20 ms packet of one frame is at most its TOC byte and 1275 bytes of frame (RFC 6716
    /// §3.2.1); libopus never writes more for one frame, and it fits one RTP packet.
    static let maximumPacketSize = 1 + 1275
    /// The bitrates Opus is defined for (RFC 6716 §2: "from 6 kbit/s to 510 kbit/s").
    public static let bitrateRangeKbps = 6...510

    public let sampleRate: Int
    public var codec: MediaCodec { .opus }
    /// The encoder's delay in 48 kHz samples (`OPUS_GET_LOOKAHEAD`, scaled): what a decoder
    /// drops from the start of its output, for the container's `dOps` PreSkip (and Ogg's).
    public let preSkip: Int
    /// The bitrate libopus is steering for now.
    public private(set) var bitrateKbps: Int
    /// Frames encoded so far.
    public private(set) var framesEncoded: UInt64 = 0

    private let handle: OpaquePointer
    /// Input samples per 20 ms frame at `sampleRate`.
    private let frameSize: Int
    /// Mono samples of the frame being gathered, and the capture instant of its first one.
    private var pending: [Int16] = []
    private var pendingInstant = MediaInstant(nanoseconds: 0)
    /// The encoder's delay: a packet decodes to what came in `preSkip` samples before the
    /// frame it was given. A unit's instant is that of its decoded sound — the frame's capture
    /// instant minus this — so RTP timestamps and recorded media time put the sound where it
    /// was heard. (A player that drops `dOps`' PreSkip samples at the start of a file then
    /// starts at the frame's own instant, which is where those samples belong.)
    private var lookahead: MediaDuration { MediaDuration(nanoseconds: Int64(preSkip) * 1_000_000_000 / Int64(Self.referenceRate)) }
    private var packet: [UInt8]

    /// Default bitrates for mono, a little above RFC 7587 §3.1.1's ranges for speech (NB 8–12,
    /// WB 16–20, FB 28–40 kbit/s) because a camera hears more than speech; full band takes the
    /// top of the mono-music range (48–64 kbit/s).
    public static func defaultBitrateKbps(sampleRate: Int) -> Int {
        switch sampleRate {
        case ...8000: return 16
        case ...12_000: return 24
        case ...16_000: return 32
        case ...24_000: return 40
        default: return 64
        }
    }

    /// An encoder for mono at `sampleRate` (one of `supportedSampleRates`: the input's own
    /// rate), at `bitrateKbps` or the rate's default.
    public init(sampleRate: Int, bitrateKbps: Int? = nil) throws(EncodeError) {
        guard Self.supportedSampleRates.contains(sampleRate) else {
            throw .unsupportedSampleRate(sampleRate, supported: Self.supportedSampleRates)
        }
        let kbps = bitrateKbps ?? Self.defaultBitrateKbps(sampleRate: sampleRate)
        guard Self.bitrateRangeKbps.contains(kbps) else {
            throw .invalidSettings("Opus bitrate \(kbps) kbit/s is outside \(Self.bitrateRangeKbps) kbit/s")
        }
        var status: Int32 = OPUS_OK
        guard let handle = opus_encoder_create(Int32(sampleRate), 1, OPUS_APPLICATION_AUDIO, &status), status == OPUS_OK else {
            throw .openFailed(call: "opus_encoder_create", detail: Self.message(status))
        }
        self.handle = handle
        self.sampleRate = sampleRate
        self.frameSize = sampleRate / 50
        self.bitrateKbps = kbps
        self.packet = [UInt8](repeating: 0, count: Self.maximumPacketSize)
        self.pending.reserveCapacity(frameSize)

        var lookahead: Int32 = 0
        let lookaheadStatus = vigil_opus_get_lookahead(handle, &lookahead)
        guard lookaheadStatus == OPUS_OK else {
            opus_encoder_destroy(handle)
            throw .callFailed(call: "OPUS_GET_LOOKAHEAD", status: lookaheadStatus, detail: Self.message(lookaheadStatus))
        }
        // libopus gives the lookahead at its own rate; every rate it takes divides 48 kHz.
        self.preSkip = Int(lookahead) * (Self.referenceRate / sampleRate)
        let bitrateStatus = vigil_opus_set_bitrate(handle, Int32(kbps * 1000))
        guard bitrateStatus == OPUS_OK else {
            opus_encoder_destroy(handle)
            throw .callFailed(call: "OPUS_SET_BITRATE", status: bitrateStatus, detail: Self.message(bitrateStatus))
        }
    }

    deinit {
        opus_encoder_destroy(handle)
    }

    /// Steers for `kbps` from the next frame on.
    public func setBitrate(kbps: Int) throws(EncodeError) {
        guard Self.bitrateRangeKbps.contains(kbps) else {
            throw .invalidSettings("Opus bitrate \(kbps) kbit/s is outside \(Self.bitrateRangeKbps) kbit/s")
        }
        let status = vigil_opus_set_bitrate(handle, Int32(kbps * 1000))
        guard status == OPUS_OK else {
            throw .callFailed(call: "OPUS_SET_BITRATE", status: status, detail: Self.message(status))
        }
        bitrateKbps = kbps
    }

    /// Input samples waiting for the rest of their frame.
    public var bufferedSampleCount: Int { pending.count }

    /// Takes `chunk` (any length; several channels are mixed down to one by averaging, as the
    /// stream announces mono) and returns a unit for each 20 ms frame it completes: none, one or
    /// several. A chunk at another rate than the encoder's is refused.
    public func encode(_ chunk: PCMChunk) throws(EncodeError) -> [EncodedUnit] {
        guard chunk.sampleRate == sampleRate else {
            throw .sampleRateMismatch(expected: sampleRate, got: chunk.sampleRate)
        }
        let channels = max(chunk.channels, 1)
        let frames = chunk.samples.count / channels
        var units: [EncodedUnit] = []
        var position = 0
        while position < frames {
            if pending.isEmpty {
                pendingInstant = chunk.instant + MediaDuration(nanoseconds: Int64(position) * 1_000_000_000 / Int64(sampleRate))
            }
            let end = min(position + frameSize - pending.count, frames)
            if channels == 1 {
                pending.append(contentsOf: chunk.samples[position..<end])
            } else {
                for i in position..<end {
                    var sum = 0
                    for c in 0..<channels { sum += Int(chunk.samples[i * channels + c]) }
                    pending.append(Int16(sum / channels))
                }
            }
            position = end
            if pending.count == frameSize {
                units.append(try encodePendingFrame())
            }
        }
        return units
    }

    /// Encodes the gathered frame into one unit; the frame is gone afterwards, encoded or not.
    private func encodePendingFrame() throws(EncodeError) -> EncodedUnit {
        defer { pending.removeAll(keepingCapacity: true) }
        let capacity = Int32(packet.count)
        let frameSize = Int32(self.frameSize)
        let length = pending.withUnsafeBufferPointer { samples in
            packet.withUnsafeMutableBufferPointer { out in
                // Both buffers are non-empty here (a whole frame, a packet-sized buffer).
                opus_encode(handle, samples.baseAddress!, frameSize, out.baseAddress!, capacity)
            }
        }
        guard length > 0 else {
            throw .callFailed(call: "opus_encode", status: length, detail: Self.message(length))
        }
        framesEncoded += 1
        return EncodedUnit(
            codec: .opus, parts: [Array(packet[0..<Int(length)])], instant: pendingInstant - lookahead, isKeyFrame: true,
            sampleCount: Self.samplesPerFrame, duration: Self.frameDuration,
            parameters: .opus(preSkip: preSkip, inputSampleRate: sampleRate))
    }

    private static func message(_ status: Int32) -> String {
        opus_strerror(status).map { String(cString: $0) } ?? "error \(status)"
    }
}
