import NIOCore

/// Reading what `FragmentedMP4` writes (and fragmented MP4 from other muxers that keep to
/// the same boxes): the tracks of an initialization segment, the samples of each fragment.
public enum FragmentedMP4Reader {
    /// The tracks described by a `moov`.
    public static func tracks(inMovie moov: Box) throws -> [TrackDescription] {
        try moov.children().filter { $0.type == "trak" }.map(track)
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
        guard let stsd = try trak.child("mdia", "minf", "stbl", "stsd") else { throw ContainerError.missingBox("stsd", in: "stbl") }
        var entries = try stsd.fullBox().body
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
            var audio = entry.body
            guard audio.readableBytes >= 28 else { throw ContainerError.unsupported("sample entry \(entry.type)") }
            let channels = Int(audio.getInteger(at: audio.readerIndex + 16, as: UInt16.self)!)
            let rate = Int(audio.getInteger(at: audio.readerIndex + 24, as: UInt32.self)! >> 16)
            audio.moveReaderIndex(forwardBy: 28)
            let codec = try Box.parse(audio).first
            return TrackDescription(
                id: id, timescale: timescale,
                media: .audio(format: entry.type, channels: channels, sampleRate: rate,
                              codecBox: codec.map { .init(type: $0.type, body: Array($0.body.readableBytesView)) }))
        }
    }

    /// Where the samples of a `moof`'s runs lie, without their bytes: what a clip or a
    /// playlist needs from a recorded file of any size. `moof.offset` is the moof's position
    /// in the file and offsets are absolute in it. Honours what `FragmentedMP4` writes and the
    /// `tfhd` defaults other muxers use.
    public static func layouts(of moof: Box, defaults: [UInt32: TrackDefaults] = [:]) throws -> [RunLayout] {
        var runs: [RunLayout] = []
        for traf in try moof.children() where traf.type == "traf" {
            guard let tfhd = try traf.child("tfhd") else { throw ContainerError.missingBox("tfhd", in: "traf") }
            var (_, tf, header) = try tfhd.fullBox()
            guard let trackID = header.readInteger(as: UInt32.self) else { throw ContainerError.malformed("tfhd", "cut short") }
            var base = moof.offset
            var fallback = defaults[trackID] ?? TrackDefaults()
            if tf & 0x01 != 0 { base = Int(header.readInteger(as: UInt64.self) ?? 0) }
            if tf & 0x02 != 0 { _ = header.readInteger(as: UInt32.self) }
            if tf & 0x08 != 0 { fallback.duration = header.readInteger(as: UInt32.self) ?? 0 }
            if tf & 0x10 != 0 { fallback.size = header.readInteger(as: UInt32.self) ?? 0 }
            if tf & 0x20 != 0 { fallback.flags = header.readInteger(as: UInt32.self) ?? 0 }
            var decodeTime: UInt64 = 0
            if let tfdt = try traf.child("tfdt") {
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
                    position = base + Int(offset)
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
                    let composition = flags & 0x800 != 0 ? body.readInteger(as: Int32.self)! : 0
                    guard position >= 0 else { throw ContainerError.malformed("trun", "sample data before the file") }
                    samples.append(SampleLayout(
                        duration: duration, size: size, isSync: sampleFlags & 0x0001_0000 == 0, compositionOffset: composition,
                        offset: position))
                    position += Int(size)
                }
            }
            runs.append(RunLayout(trackID: trackID, baseDecodeTime: decodeTime, samples: samples))
        }
        return runs
    }

    /// The runs of a `moof`, with their samples cut from `file` (the bytes the moof's offsets
    /// refer to: the moof's own position in it is `moof.offset`). Honours what `FragmentedMP4`
    /// writes and the `tfhd` defaults other muxers use.
    public static func runs(in moof: Box, file: ByteBuffer, defaults: [UInt32: TrackDefaults] = [:]) throws -> [TrackRun] {
        try layouts(of: moof, defaults: defaults).map { layout in
            let samples = try layout.samples.map { sample in
                guard let data = file.getSlice(at: file.readerIndex + sample.offset, length: Int(sample.size)) else {
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
