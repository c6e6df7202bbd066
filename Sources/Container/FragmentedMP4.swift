import NIOCore

/// What a track of a fragmented MP4 holds, for its `trak` in the initialization segment.
public struct TrackDescription: Hashable, Sendable {
    public enum Media: Hashable, Sendable {
        /// H.264 as `avc1` (ISO/IEC 14496-15 §5.4): parameter sets in `avcC`, samples of
        /// length-prefixed NAL units.
        case h264(AVCConfiguration, width: Int, height: Int)
        /// Audio with a sample entry of `format` (§12.2.3) whose codec box is written as given
        /// (e.g. `fLaC` with `dfLa`, `Opus` with `dOps`); G.711 (`ulaw`, `alaw`, as QuickTime
        /// and ffmpeg name them) has none.
        case audio(format: FourCC, channels: Int, sampleRate: Int, codecBox: CodecBox?)
    }

    /// A codec's configuration box, inside the sample entry: its type and whole body (for a
    /// full box, the version and flags are the body's first four bytes).
    public struct CodecBox: Hashable, Sendable {
        public var type: FourCC
        public var body: [UInt8]
        public init(type: FourCC, body: [UInt8]) {
            self.type = type
            self.body = body
        }
    }

    public var id: UInt32
    /// Ticks per second of the track's media time (90 000 for video, the sample rate for audio).
    public var timescale: UInt32
    public var media: Media

    public init(id: UInt32, timescale: UInt32, media: Media) {
        self.id = id
        self.timescale = timescale
        self.media = media
    }

    public var isVideo: Bool {
        if case .h264 = media { return true }
        return false
    }
}

/// One sample (a picture, an audio frame) of a fragment.
public struct Sample: Hashable, Sendable {
    /// In the track's timescale.
    public var duration: UInt32
    public var isSync: Bool
    /// Presentation minus decoding time; 0 without B-frames.
    public var compositionOffset: Int32
    public var data: ByteBuffer

    public init(duration: UInt32, isSync: Bool, compositionOffset: Int32 = 0, data: ByteBuffer) {
        self.duration = duration
        self.isSync = isSync
        self.compositionOffset = compositionOffset
        self.data = data
    }
}

/// One track's samples in a fragment, from `baseDecodeTime` on (`tfdt`).
public struct TrackRun: Hashable, Sendable {
    public var trackID: UInt32
    public var baseDecodeTime: UInt64
    public var samples: [Sample]

    public init(trackID: UInt32, baseDecodeTime: UInt64, samples: [Sample]) {
        self.trackID = trackID
        self.baseDecodeTime = baseDecodeTime
        self.samples = samples
    }
}

/// The fragmented MP4 writer (ISO/IEC 14496-12 §8.8): an initialization segment (`ftyp` +
/// `moov` with empty sample tables and `mvex`), then fragments (`moof` + `mdat`), each
/// playable on its own after the initialization segment. Recording, clip export, HLS and
/// playback share it. Pure: it builds bytes, the caller writes them.
public enum FragmentedMP4 {
    /// Ticks per second of `mvhd` and `mehd`: milliseconds.
    public static let movieTimescale: UInt32 = 1000

    /// Where the 64-bit `fragment_duration` of the `mehd` in an initialization segment sits,
    /// counted from the segment's first byte; nil when it has none (§8.8.2).
    public static func movieExtendsDurationField(in initializationSegment: ByteBuffer) -> Int? {
        guard let moov = try? Box.parse(initializationSegment).first(where: { $0.type == "moov" }),
            let mehd = try? moov.child("mvex", "mehd"), mehd.size == 20
        else { return nil }
        return mehd.offset + 12 - initializationSegment.readerIndex
    }

    /// `ftyp`: ISO base media with fragments (`iso6`), plain MP4 readers (`isom`, `mp41`), and
    /// `avc1` when video is H.264.
    public static func fileType(tracks: [TrackDescription]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeBox("ftyp") { b in
            b.writeInteger(FourCC("iso6").rawValue)
            b.writeInteger(UInt32(0))
            var brands: [FourCC] = ["iso6", "isom", "mp41"]
            if tracks.contains(where: \.isVideo) { brands.append("avc1") }
            for brand in brands { b.writeInteger(brand.rawValue) }
        }
        return buffer
    }

    /// `ftyp` + `moov`. With `fragmentDuration` (in the movie timescale, `movieTimescale`), a
    /// `mehd` in `mvex` says how long the whole file is; a recorder writes 0 first and patches
    /// the field in place when the file is closed (`movieExtendsDurationField`).
    public static func initializationSegment(tracks: [TrackDescription], fragmentDuration: UInt64? = nil) -> ByteBuffer {
        var buffer = fileType(tracks: tracks)
        buffer.writeBox("moov") { moov in
            moov.writeFullBox("mvhd", version: 0, flags: 0) { b in
                b.writeInteger(UInt32(0))  // creation_time
                b.writeInteger(UInt32(0))  // modification_time
                b.writeInteger(movieTimescale)  // timescale
                b.writeInteger(UInt32(0))  // duration: unknown, the fragments tell
                b.writeInteger(UInt32(0x0001_0000))  // rate 1.0
                b.writeInteger(UInt16(0x0100))  // volume 1.0
                b.writeZeros(2 + 8)
                b.writeUnityMatrix()
                b.writeZeros(6 * 4)  // pre_defined
                b.writeInteger((tracks.map(\.id).max() ?? 0) + 1)  // next_track_ID
            }
            for track in tracks { writeTrack(track, into: &moov) }
            moov.writeBox("mvex") { mvex in
                if let fragmentDuration {
                    mvex.writeFullBox("mehd", version: 1, flags: 0) { $0.writeInteger(fragmentDuration) }
                }
                for track in tracks {
                    mvex.writeFullBox("trex", version: 0, flags: 0) { b in
                        b.writeInteger(track.id)
                        b.writeInteger(UInt32(1))  // default_sample_description_index
                        b.writeInteger(UInt32(0))  // default_sample_duration
                        b.writeInteger(UInt32(0))  // default_sample_size
                        b.writeInteger(UInt32(0))  // default_sample_flags
                    }
                }
            }
        }
        return buffer
    }

    private static func writeTrack(_ track: TrackDescription, into moov: inout ByteBuffer) {
        moov.writeBox("trak") { trak in
            // flags: track_enabled | track_in_movie (§8.3.2)
            trak.writeFullBox("tkhd", version: 0, flags: 3) { b in
                b.writeInteger(UInt32(0))
                b.writeInteger(UInt32(0))
                b.writeInteger(track.id)
                b.writeInteger(UInt32(0))  // reserved
                b.writeInteger(UInt32(0))  // duration
                b.writeZeros(8)
                b.writeInteger(UInt16(0))  // layer
                b.writeInteger(UInt16(0))  // alternate_group
                b.writeInteger(UInt16(track.isVideo ? 0 : 0x0100))  // volume
                b.writeInteger(UInt16(0))
                b.writeUnityMatrix()
                if case .h264(_, let width, let height) = track.media {
                    b.writeInteger(UInt32(width) << 16)
                    b.writeInteger(UInt32(height) << 16)
                } else {
                    b.writeInteger(UInt32(0))
                    b.writeInteger(UInt32(0))
                }
            }
            trak.writeBox("mdia") { mdia in
                mdia.writeFullBox("mdhd", version: 0, flags: 0) { b in
                    b.writeInteger(UInt32(0))
                    b.writeInteger(UInt32(0))
                    b.writeInteger(track.timescale)
                    b.writeInteger(UInt32(0))
                    b.writeInteger(UInt16(0x55C4))  // language "und", ISO 639-2/T packed (§8.4.2.3)
                    b.writeInteger(UInt16(0))
                }
                mdia.writeFullBox("hdlr", version: 0, flags: 0) { b in
                    b.writeInteger(UInt32(0))
                    b.writeInteger(FourCC(track.isVideo ? "vide" : "soun").rawValue)
                    b.writeZeros(12)
                    b.writeString(track.isVideo ? "VideoHandler" : "SoundHandler")
                    b.writeInteger(UInt8(0))
                }
                mdia.writeBox("minf") { minf in
                    if track.isVideo {
                        minf.writeFullBox("vmhd", version: 0, flags: 1) { b in b.writeZeros(8) }
                    } else {
                        minf.writeFullBox("smhd", version: 0, flags: 0) { b in b.writeZeros(4) }
                    }
                    minf.writeBox("dinf") { dinf in
                        dinf.writeFullBox("dref", version: 0, flags: 0) { b in
                            b.writeInteger(UInt32(1))
                            b.writeFullBox("url ", version: 0, flags: 1) { _ in }  // media in this file
                        }
                    }
                    minf.writeBox("stbl") { stbl in
                        stbl.writeFullBox("stsd", version: 0, flags: 0) { b in
                            b.writeInteger(UInt32(1))
                            writeSampleEntry(track, into: &b)
                        }
                        // Empty tables: every sample is in the fragments (§8.8.1).
                        stbl.writeFullBox("stts", version: 0, flags: 0) { b in b.writeInteger(UInt32(0)) }
                        stbl.writeFullBox("stsc", version: 0, flags: 0) { b in b.writeInteger(UInt32(0)) }
                        stbl.writeFullBox("stsz", version: 0, flags: 0) { b in b.writeZeros(8) }
                        stbl.writeFullBox("stco", version: 0, flags: 0) { b in b.writeInteger(UInt32(0)) }
                    }
                }
            }
        }
    }

    private static func writeSampleEntry(_ track: TrackDescription, into buffer: inout ByteBuffer) {
        switch track.media {
        case .h264(let configuration, let width, let height):
            // VisualSampleEntry (§12.1.3)
            buffer.writeBox("avc1") { b in
                b.writeZeros(6)
                b.writeInteger(UInt16(1))  // data_reference_index
                b.writeZeros(2 + 2 + 12)
                b.writeInteger(UInt16(width))
                b.writeInteger(UInt16(height))
                b.writeInteger(UInt32(0x0048_0000))  // 72 dpi
                b.writeInteger(UInt32(0x0048_0000))
                b.writeInteger(UInt32(0))
                b.writeInteger(UInt16(1))  // frame_count
                b.writeZeros(32)  // compressorname
                b.writeInteger(UInt16(0x0018))  // depth
                b.writeInteger(Int16(-1))
                b.writeBox("avcC") { configuration.write(into: &$0) }
            }
        case .audio(let format, let channels, let sampleRate, let codecBox):
            // AudioSampleEntry (§12.2.3); rates above 65535 Hz do not fit its 16.16 field.
            buffer.writeBox(format) { b in
                b.writeZeros(6)
                b.writeInteger(UInt16(1))
                b.writeZeros(8)
                b.writeInteger(UInt16(channels))
                b.writeInteger(UInt16(16))
                b.writeZeros(4)
                b.writeInteger(UInt32(min(sampleRate, 65535)) << 16)
                if let codecBox { b.writeBox(codecBox.type) { $0.writeBytes(codecBox.body) } }
            }
        }
    }

    /// Sample flags (§8.8.3.1): a sync sample depends on no other; any other depends on
    /// others and is a non-sync sample.
    static let syncSampleFlags: UInt32 = 0x0200_0000
    static let nonSyncSampleFlags: UInt32 = 0x0101_0000

    /// One fragment: `moof` (`mfhd`, then per track `traf` with `tfhd`, `tfdt` and `trun`)
    /// and one `mdat` with every run's samples, in the order of `runs`.
    public static func fragment(sequenceNumber: UInt32, runs: [TrackRun]) -> ByteBuffer {
        let layouts = runs.map { run in
            RunLayout(trackID: run.trackID, baseDecodeTime: run.baseDecodeTime, samples: run.samples.map {
                SampleLayout(duration: $0.duration, size: UInt32($0.data.readableBytes), isSync: $0.isSync, compositionOffset: $0.compositionOffset)
            })
        }
        var buffer = fragmentHeader(sequenceNumber: sequenceNumber, runs: layouts)
        for run in runs {
            for sample in run.samples { buffer.writeImmutableBuffer(sample.data) }
        }
        return buffer
    }

    /// A fragment whose sample bytes live elsewhere (a clip copies them from the recorded files):
    /// `moof` and the `mdat` header for `dataSize` bytes of samples, which must follow in the
    /// order of `runs`. The same boxes as `fragment(sequenceNumber:runs:)` writes.
    public static func fragmentHeader(sequenceNumber: UInt32, runs: [RunLayout]) -> ByteBuffer {
        var buffer = ByteBuffer()
        var offsetFields: [Int] = []
        buffer.writeBox("moof") { moof in
            moof.writeFullBox("mfhd", version: 0, flags: 0) { $0.writeInteger(sequenceNumber) }
            for run in runs {
                moof.writeBox("traf") { traf in
                    // default-base-is-moof (0x020000): data offsets count from the moof.
                    traf.writeFullBox("tfhd", version: 0, flags: 0x02_0000) { $0.writeInteger(run.trackID) }
                    traf.writeFullBox("tfdt", version: 1, flags: 0) { $0.writeInteger(run.baseDecodeTime) }
                    let composition = run.samples.contains { $0.compositionOffset != 0 }
                    // data-offset, sample-duration, -size, -flags, and -composition-time-offset
                    // when any sample has one (version 1: signed offsets).
                    let flags: UInt32 = 0x000001 | 0x000100 | 0x000200 | 0x000400 | (composition ? 0x000800 : 0)
                    traf.writeFullBox("trun", version: composition ? 1 : 0, flags: flags) { b in
                        b.writeInteger(UInt32(run.samples.count))
                        offsetFields.append(b.writerIndex)
                        b.writeInteger(Int32(0))
                        for sample in run.samples {
                            b.writeInteger(sample.duration)
                            b.writeInteger(sample.size)
                            b.writeInteger(sample.isSync ? syncSampleFlags : nonSyncSampleFlags)
                            if composition { b.writeInteger(sample.compositionOffset) }
                        }
                    }
                }
            }
        }
        let moofSize = buffer.writerIndex
        var offset = moofSize + 8
        var dataSize = 0
        for (run, field) in zip(runs, offsetFields) {
            buffer.setInteger(Int32(offset), at: field)
            let runSize = run.samples.reduce(0) { $0 + Int($1.size) }
            offset += runSize
            dataSize += runSize
        }
        buffer.writeInteger(UInt32(8 + dataSize))
        buffer.writeInteger(FourCC("mdat").rawValue)
        return buffer
    }

    /// The NAL units of an H.264 sample (`avcSample`'s inverse); a length that runs past the
    /// sample ends the list there.
    public static func nalUnits(inAVCSample sample: ByteBuffer) -> [[UInt8]] {
        var buffer = sample
        var units: [[UInt8]] = []
        while let length = buffer.readInteger(as: UInt32.self), length > 0, let nal = buffer.readBytes(length: Int(length)) {
            units.append(nal)
        }
        return units
    }

    /// An H.264 sample: each NAL unit (no start code) behind its 4-byte length.
    public static func avcSample(nalUnits: [[UInt8]]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(nalUnits.reduce(0) { $0 + 4 + $1.count })
        for nal in nalUnits {
            buffer.writeInteger(UInt32(nal.count))
            buffer.writeBytes(nal)
        }
        return buffer
    }
}

/// Where one sample of a fragment lies in its file, and what `trun` says of it.
public struct SampleLayout: Hashable, Sendable {
    public var duration: UInt32
    public var size: UInt32
    public var isSync: Bool
    public var compositionOffset: Int32
    /// Absolute position of the sample's first byte in the file.
    public var offset: Int

    public init(duration: UInt32, size: UInt32, isSync: Bool, compositionOffset: Int32 = 0, offset: Int = 0) {
        self.duration = duration
        self.size = size
        self.isSync = isSync
        self.compositionOffset = compositionOffset
        self.offset = offset
    }
}

/// One track's run in a fragment, by layout: for reading big files and writing fragments
/// whose sample bytes are copied from elsewhere.
public struct RunLayout: Hashable, Sendable {
    public var trackID: UInt32
    public var baseDecodeTime: UInt64
    public var samples: [SampleLayout]

    public init(trackID: UInt32, baseDecodeTime: UInt64, samples: [SampleLayout]) {
        self.trackID = trackID
        self.baseDecodeTime = baseDecodeTime
        self.samples = samples
    }

    /// The run's length in its track's timescale.
    public var duration: UInt64 { samples.reduce(0) { $0 + UInt64($1.duration) } }
}
