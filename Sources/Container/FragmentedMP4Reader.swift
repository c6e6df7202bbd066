import NIOCore

/// Reading what `FragmentedMP4` writes (and fragmented MP4 from other muxers that keep to
/// the same boxes): the tracks of an initialization segment, the samples of each fragment.
public enum FragmentedMP4Reader {
    /// The tracks described by a `moov`: its video and sound tracks (timecode, text, hint and
    /// metadata tracks carry no media Vigil plays and are left out).
    public static func tracks(inMovie moov: Box) throws -> [TrackDescription] {
        try mediaTracks(inMovie: moov).map(track)
    }

    /// The `trak` boxes of a `moov` whose handler (§8.4.3) is video or sound; a `trak` without
    /// `hdlr` is judged by its sample entry, as before handlers were read.
    static func mediaTracks(inMovie moov: Box) throws -> [Box] {
        try moov.children().filter { $0.type == "trak" }.filter { trak in
            guard let handler = try handlerType(of: trak) else { return true }
            return handler == "vide" || handler == "soun"
        }
    }

    /// `handler_type` of the `mdia`'s `hdlr` (§8.4.3): after pre_defined (QuickTime's component
    /// type, `mhlr`).
    static func handlerType(of trak: Box) throws -> FourCC? {
        guard let hdlr = try trak.child("mdia", "hdlr") else { return nil }
        let body = try hdlr.fullBox().body
        guard let type = body.getInteger(at: body.readerIndex + 4, as: UInt32.self) else {
            throw ContainerError.malformed("hdlr", "cut short")
        }
        return FourCC(rawValue: type)
    }

    static func track(_ trak: Box) throws -> TrackDescription {
        guard let tkhd = try trak.child("tkhd") else { throw ContainerError.missingBox("tkhd", in: "trak") }
        let header = try tkhd.fullBox()
        let idOffset = header.version == 1 ? 16 : 8
        guard let id = header.body.getInteger(at: header.body.readerIndex + idOffset, as: UInt32.self) else {
            throw ContainerError.malformed("tkhd", "cut short")
        }
        guard let mdhd = try trak.child("mdia", "mdhd") else { throw ContainerError.missingBox("mdhd", in: "mdia") }
        let media = try mdhd.fullBox()
        guard let timescale = media.body.getInteger(at: media.body.readerIndex + (media.version == 1 ? 16 : 8), as: UInt32.self) else {
            throw ContainerError.malformed("mdhd", "cut short")
        }
        let handler = try handlerType(of: trak)
        guard let stsd = try trak.child("mdia", "minf", "stbl", "stsd") else { throw ContainerError.missingBox("stsd", in: "stbl") }
        var (stsdVersion, _, entries) = try stsd.fullBox()
        guard entries.readableBytes >= 4 else { throw ContainerError.malformed("stsd", "no entry_count") }
        entries.moveReaderIndex(forwardBy: 4)  // entry_count
        guard let entry = try Box.parse(entries).first else { throw ContainerError.malformed("stsd", "no sample entry") }
        switch entry.type {
        case "avc1", "avc3":
            var visual = entry.body
            guard visual.readableBytes >= 78 else { throw ContainerError.malformed(entry.type, "cut short") }
            let width = Int(visual.getInteger(at: visual.readerIndex + 24, as: UInt16.self)!)
            let height = Int(visual.getInteger(at: visual.readerIndex + 26, as: UInt16.self)!)
            visual.moveReaderIndex(forwardBy: 78)
            guard let avcC = try Box.parse(visual).first(where: { $0.type == "avcC" }) else {
                throw ContainerError.missingBox("avcC", in: "\(entry.type)")
            }
            return TrackDescription(id: id, timescale: timescale, media: .h264(try AVCConfiguration(parsing: avcC.body), width: width, height: height))
        default:
            if let handler, handler != "soun" { throw ContainerError.unsupported("\(handler) track with sample entry \(entry.type)") }
            return TrackDescription(id: id, timescale: timescale, media: try audio(entry, stsdVersion: stsdVersion))
        }
    }

    /// An audio sample entry: ISO's AudioSampleEntry (§12.2.3), which is QuickTime's sound
    /// sample description version 0, or QuickTime's versions 1 and 2 ("QuickTime File Format",
    /// Sound Sample Descriptions), which add fields before the boxes:
    ///
    /// ```
    /// unsigned int(8)[6] reserved;     // SampleEntry (§8.5.2.2)
    /// unsigned int(16) data_reference_index;
    /// unsigned int(16) version;        // ISO: reserved 0; QuickTime: 0, 1 or 2
    /// unsigned int(16) revision_level;
    /// unsigned int(32) vendor;
    /// unsigned int(16) channelcount;
    /// unsigned int(16) samplesize;
    /// int(16)          compression_ID;
    /// unsigned int(16) packet_size;
    /// unsigned int(32) samplerate;     // 16.16
    /// // version 1: samples_per_packet, bytes_per_packet, bytes_per_frame, bytes_per_sample (4 × 32)
    /// // version 2: sizeOfStructOnly (32), audioSampleRate (float 64), numAudioChannels (32),
    /// //            always7F000000, constBitsPerChannel, formatSpecificFlags,
    /// //            constBytesPerAudioPacket, constLPCMFramesPerAudioPacket (5 × 32)
    /// ```
    ///
    /// The version is read as QuickTime's only in an `stsd` of version 0: ISO's
    /// AudioSampleEntryV1 (entry_version 1, no added fields) lives in an `stsd` of version 1.
    static func audio(_ entry: Box, stsdVersion: UInt8) throws -> TrackDescription.Media {
        var fields = entry.body
        guard fields.readableBytes >= 28 else { throw ContainerError.unsupported("sample entry \(entry.type)") }
        let at = fields.readerIndex
        let version = stsdVersion == 0 ? fields.getInteger(at: at + 8, as: UInt16.self)! : 0
        var channels = Int(fields.getInteger(at: at + 16, as: UInt16.self)!)
        var rate = Int(fields.getInteger(at: at + 24, as: UInt32.self)! >> 16)
        let added: Int
        switch version {
        case 1: added = 16
        case 2:
            added = 36
            guard let bits = fields.getInteger(at: at + 32, as: UInt64.self),
                let count = fields.getInteger(at: at + 40, as: UInt32.self)
            else { throw ContainerError.malformed(entry.type, "sound description version 2 cut short") }
            let sampleRate = Double(bitPattern: bits)
            guard sampleRate.isFinite, (0...Self.highestSampleRate).contains(sampleRate), count <= Self.mostChannels else {
                throw ContainerError.malformed(entry.type, "\(sampleRate) Hz, \(count) channels")
            }
            rate = Int(sampleRate.rounded())
            channels = Int(count)
        default: added = 0
        }
        guard fields.readableBytes >= 28 + added else { throw ContainerError.malformed(entry.type, "sound description version \(version) cut short") }
        fields.moveReaderIndex(forwardBy: 28 + added)
        var boxes = Box.parseWhole(fields).boxes
        // QuickTime wraps the codec box of `mp4a` in `wave`, after `frma` and an `mp4a` atom of
        // its own, and before a terminator atom of type 0.
        if let wave = boxes.first(where: { $0.type == "wave" }) {
            boxes = Box.parseWhole(wave.body).boxes.filter { $0.type != "frma" && $0.type != entry.type && $0.type.rawValue != 0 }
        }
        let codec = boxes.first { !Self.boxesThatConfigureNoDecoder.contains($0.type) }
        // AAC says its channels (and a rate the entry's 16.16 field cannot hold) in its
        // AudioSpecificConfig; an esds that does not parse leaves the entry's fields as they are.
        if entry.type == "mp4a", let codec, codec.type == "esds",
            let descriptor = try? ElementaryStreamDescriptor(parsing: codec.body),
            ElementaryStreamDescriptor.audioObjectTypes.contains(descriptor.objectTypeIndication),
            let config = try? AudioSpecificConfig(parsing: descriptor.decoderSpecificInfo)
        {
            channels = config.channelCount ?? channels
            if rate == 0 { rate = config.samplingFrequency }
        }
        return .audio(format: entry.type, channels: channels, sampleRate: rate,
                      codecBox: codec.map { .init(type: $0.type, body: Array($0.body.readableBytesView)) })
    }

    /// Boxes of an audio sample entry that are not its codec's configuration: QuickTime's
    /// channel layout (`chan`, which ffmpeg writes for G.711 in `.mov`), the bit rate box
    /// (`btrt`, §8.5.2.2), ISO channel layout and sampling rate boxes (§12.2.4, §12.2.5), and
    /// the protection scheme (`sinf`, §8.12).
    static let boxesThatConfigureNoDecoder: Set<FourCC> = ["chan", "btrt", "chnl", "srat", "sinf"]
    /// Limits on a version 2 sound description's fields, far above any real stream: a rate that
    /// is no number or beyond these is not audio.
    static let highestSampleRate = 10_000_000.0
    static let mostChannels: UInt32 = 1024

    /// Where the samples of a `moof`'s runs lie, without their bytes: what a clip or a
    /// playlist needs from a recorded file of any size. `moof.offset` is the moof's position
    /// in the file and offsets are absolute in it. Honours what `FragmentedMP4` writes and the
    /// `tfhd` defaults other muxers use.
    public static func layouts(of moof: Box, defaults: [UInt32: TrackDefaults] = [:]) throws -> [RunLayout] {
        try fragmentRuns(of: moof, defaults: defaults).map(\.layout)
    }

    /// The runs of a `moof`, each with whether its `traf` had a `tfdt`: without one (it is
    /// optional, §8.8.12) a run starts where the track's samples before it end, which only the
    /// caller knows.
    ///
    /// Where the data is (§8.8.7.1): from `base_data_offset` when the `tfhd` has one; else from
    /// the `moof` when default-base-is-moof is set or for the first `traf`; else from the end of
    /// the previous `traf`'s data. A `trun` without `data_offset` follows the previous run.
    static func fragmentRuns(of moof: Box, defaults: [UInt32: TrackDefaults]) throws -> [(layout: RunLayout, hasDecodeTime: Bool)] {
        var runs: [(layout: RunLayout, hasDecodeTime: Bool)] = []
        var previousEnd: Int?
        for traf in try moof.children() where traf.type == "traf" {
            guard let tfhd = try traf.child("tfhd") else { throw ContainerError.missingBox("tfhd", in: "traf") }
            var (_, tf, header) = try tfhd.fullBox()
            guard let trackID = header.readInteger(as: UInt32.self) else { throw ContainerError.malformed("tfhd", "cut short") }
            var base = tf & 0x02_0000 != 0 ? moof.offset : previousEnd ?? moof.offset
            var fallback = defaults[trackID] ?? TrackDefaults()
            if tf & 0x01 != 0 {
                guard let offset = header.readInteger(as: UInt64.self) else { throw ContainerError.malformed("tfhd", "cut short") }
                guard let absolute = Int(exactly: offset) else { throw ContainerError.malformed("tfhd", "base_data_offset \(offset)") }
                base = absolute
            }
            if tf & 0x02 != 0 { _ = header.readInteger(as: UInt32.self) }
            if tf & 0x08 != 0 { fallback.duration = header.readInteger(as: UInt32.self) ?? 0 }
            if tf & 0x10 != 0 { fallback.size = header.readInteger(as: UInt32.self) ?? 0 }
            if tf & 0x20 != 0 { fallback.flags = header.readInteger(as: UInt32.self) ?? 0 }
            var decodeTime: UInt64 = 0
            let tfdt = try traf.child("tfdt")
            if let tfdt {
                let (version, _, body) = try tfdt.fullBox()
                decodeTime = version == 1 ? body.getInteger(at: body.readerIndex, as: UInt64.self) ?? 0
                    : UInt64(body.getInteger(at: body.readerIndex, as: UInt32.self) ?? 0)
            }
            var samples: [SampleLayout] = []
            var position = base
            for trun in try traf.children() where trun.type == "trun" {
                var (_, flags, body) = try trun.fullBox()
                guard let count = body.readInteger(as: UInt32.self) else { throw ContainerError.malformed("trun", "cut short") }
                if flags & 0x01 != 0 {
                    guard let offset = body.readInteger(as: Int32.self) else { throw ContainerError.malformed("trun", "cut short") }
                    let (moved, overflow) = base.addingReportingOverflow(Int(offset))
                    guard !overflow else { throw ContainerError.malformed("trun", "data_offset \(offset) from \(base)") }
                    position = moved
                }
                var firstFlags: UInt32?
                if flags & 0x04 != 0 { firstFlags = body.readInteger(as: UInt32.self) }
                let perSample = [0x100, 0x200, 0x400, 0x800].filter { flags & UInt32($0) != 0 }.count * 4
                guard perSample == 0 || Int(count) <= body.readableBytes / perSample else {
                    throw ContainerError.malformed("trun", "\(count) samples in \(body.readableBytes) bytes")
                }
                guard perSample > 0 || count <= 1 << 20 else { throw ContainerError.malformed("trun", "\(count) samples") }
                samples.reserveCapacity(samples.count + Int(count))
                for index in 0..<Int(count) {
                    let duration = flags & 0x100 != 0 ? body.readInteger(as: UInt32.self)! : fallback.duration
                    let size = flags & 0x200 != 0 ? body.readInteger(as: UInt32.self)! : fallback.size
                    var sampleFlags = flags & 0x400 != 0 ? body.readInteger(as: UInt32.self)! : fallback.flags
                    if index == 0, let firstFlags { sampleFlags = firstFlags }
                    // Version 0 says unsigned, version 1 signed; muxers that write negative
                    // offsets in version 0 mean them signed, and offsets past 2^31 ticks are none.
                    let composition = flags & 0x800 != 0 ? body.readInteger(as: Int32.self)! : 0
                    guard position >= 0 else { throw ContainerError.malformed("trun", "sample data before the file") }
                    samples.append(SampleLayout(
                        duration: duration, size: size, isSync: sampleFlags & 0x0001_0000 == 0, compositionOffset: composition,
                        offset: position))
                    let (next, overflow) = position.addingReportingOverflow(Int(size))
                    guard !overflow else { throw ContainerError.malformed("trun", "sample data past the largest offset") }
                    position = next
                }
            }
            previousEnd = position
            runs.append((RunLayout(trackID: trackID, baseDecodeTime: decodeTime, samples: samples), tfdt != nil))
        }
        return runs
    }

    /// The runs of a `moof`, with their samples cut from `file` (the bytes the moof's offsets
    /// refer to: the moof's own position in it is `moof.offset`). Honours what `FragmentedMP4`
    /// writes and the `tfhd` defaults other muxers use.
    public static func runs(in moof: Box, file: ByteBuffer, defaults: [UInt32: TrackDefaults] = [:]) throws -> [TrackRun] {
        try layouts(of: moof, defaults: defaults).map { layout in
            let samples = try layout.samples.map { sample in
                let (start, overflow) = file.readerIndex.addingReportingOverflow(sample.offset)
                guard !overflow, let data = file.getSlice(at: start, length: Int(sample.size)) else {
                    throw ContainerError.malformed("trun", "sample data at \(sample.offset) past the end of the file")
                }
                return Sample(duration: sample.duration, isSync: sample.isSync, compositionOffset: sample.compositionOffset, data: data)
            }
            return TrackRun(trackID: layout.trackID, baseDecodeTime: layout.baseDecodeTime, samples: samples)
        }
    }

    /// A track's `trex` defaults (§8.8.3), for runs that leave fields out.
    public struct TrackDefaults: Hashable, Sendable {
        public var duration: UInt32 = 0
        public var size: UInt32 = 0
        public var flags: UInt32 = 0
        public init(duration: UInt32 = 0, size: UInt32 = 0, flags: UInt32 = 0) {
            self.duration = duration
            self.size = size
            self.flags = flags
        }
    }

    /// The `trex` defaults of a `moov`, by track.
    public static func trackDefaults(inMovie moov: Box) throws -> [UInt32: TrackDefaults] {
        var defaults: [UInt32: TrackDefaults] = [:]
        for trex in try moov.child("mvex")?.children() ?? [] where trex.type == "trex" {
            var body = try trex.fullBox().body
            if let id = body.readInteger(as: UInt32.self), let _ = body.readInteger(as: UInt32.self),
                let duration = body.readInteger(as: UInt32.self), let size = body.readInteger(as: UInt32.self),
                let flags = body.readInteger(as: UInt32.self)
            {
                defaults[id] = TrackDefaults(duration: duration, size: size, flags: flags)
            }
        }
        return defaults
    }

    /// A whole fragmented file: its tracks and every fragment's runs, in file order.
    public struct File {
        public var tracks: [TrackDescription]
        public var fragments: [[TrackRun]]
        /// Where the last whole fragment (`moof` and its `mdat`) ends; bytes after it are a torn
        /// tail (a crash in the middle of a write).
        public var wholeEnd: Int
    }

    /// Reads a fragmented MP4 that may end in a torn fragment: everything up to the last
    /// whole `moof` + `mdat` pair counts, the rest is reported by `wholeEnd`.
    public static func read(_ file: ByteBuffer) throws -> File {
        let (boxes, _) = Box.parseWhole(file)
        guard let moov = boxes.first(where: { $0.type == "moov" }) else { throw ContainerError.missingBox("moov", in: "the file") }
        let tracks = try tracks(inMovie: moov)
        let defaults = try trackDefaults(inMovie: moov)
        var fragments: [[TrackRun]] = []
        var wholeEnd = moov.offset + moov.size
        var index = boxes.startIndex
        while index < boxes.endIndex {
            let box = boxes[index]
            index += 1
            guard box.type == "moof" else {
                if box.type != "mdat" { wholeEnd = max(wholeEnd, box.offset + box.size) }
                continue
            }
            guard index < boxes.endIndex, boxes[index].type == "mdat" else { break }  // its mdat is torn
            let mdat = boxes[index]
            index += 1
            guard let runs = try? runs(in: box, file: file, defaults: defaults) else { break }
            fragments.append(runs)
            wholeEnd = mdat.offset + mdat.size
        }
        return File(tracks: tracks, fragments: fragments, wholeEnd: wholeEnd)
    }
}
