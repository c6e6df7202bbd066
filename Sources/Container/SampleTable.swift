import NIOCore

/// A track's sample table (ISO/IEC 14496-12 §8.5–8.7, the boxes of `stbl`): how big each
/// sample is, in which chunk it lies and where that chunk is, when it is decoded, how far its
/// composition is from that, and which samples are sync samples.
///
/// Every table must account for every sample: a file whose tables disagree is refused rather
/// than guessed at, and nothing is allocated for the samples until they agree.
struct SampleTable {
    /// Most samples one track may have: 10 million are 111 hours of 25 fps video or 64 hours
    /// of 44.1 kHz AAC, and half a gigabyte of `MovieSample`s; a file that needs more is not
    /// one to read into memory at once.
    static let maximumSampleCount = 10_000_000

    /// `stsz` or `stz2`.
    enum Sizes {
        /// stsz with a sample_size for all: no list (G.711 in `.mov` has a sample per byte).
        case constant(UInt32, count: Int)
        case each([UInt32])

        var count: Int {
            switch self {
            case .constant(_, let count): return count
            case .each(let sizes): return sizes.count
            }
        }

        subscript(index: Int) -> UInt32 {
            switch self {
            case .constant(let size, _): return size
            case .each(let sizes): return sizes[index]
            }
        }
    }

    var sizes: Sizes
    /// `stts`.
    var timeToSample: [(count: UInt32, delta: UInt32)]
    /// `ctts`; nil without one (every offset 0).
    var compositionOffsets: [(count: UInt32, offset: Int32)]?
    /// `stss`, 1-based sample numbers; nil without one (every sample a sync sample).
    var syncSamples: [UInt32]?
    /// `stsc`, 1-based chunk numbers.
    var sampleToChunk: [(firstChunk: UInt32, samplesPerChunk: UInt32)]
    /// `stco` or `co64`, absolute in the file.
    var chunkOffsets: [Int]

    init(stbl: Box) throws {
        let boxes = try stbl.children()
        func box(_ type: FourCC) -> Box? { boxes.first { $0.type == type } }
        if let stsz = box("stsz") {
            sizes = try Self.sampleSizes(stsz)
        } else if let stz2 = box("stz2") {
            sizes = try Self.compactSampleSizes(stz2)
        } else {
            throw ContainerError.missingBox("stsz", in: "stbl")
        }
        guard let stts = box("stts") else { throw ContainerError.missingBox("stts", in: "stbl") }
        timeToSample = try Self.timeToSample(stts)
        compositionOffsets = try box("ctts").map(Self.compositionOffsets)
        syncSamples = try box("stss").map(Self.syncSamples)
        guard let stsc = box("stsc") else { throw ContainerError.missingBox("stsc", in: "stbl") }
        sampleToChunk = try Self.sampleToChunk(stsc)
        if let stco = box("stco") {
            chunkOffsets = try Self.chunkOffsets(stco)
        } else if let co64 = box("co64") {
            chunkOffsets = try Self.largeChunkOffsets(co64)
        } else {
            throw ContainerError.missingBox("stco", in: "stbl")
        }
    }

    /// The samples in decode order, without presentation times (the edit list gives those).
    func samples() throws -> [MovieSample] {
        let count = sizes.count
        try Self.require(Self.total(timeToSample.lazy.map(\.count)), samplesIn: "stts", count)
        if let compositionOffsets {
            try Self.require(Self.total(compositionOffsets.lazy.map(\.count)), samplesIn: "ctts", count)
        }
        try Self.require(try samplesInChunks(), samplesIn: "stsc", count)

        var samples: [MovieSample] = []
        samples.reserveCapacity(count)
        for (entry, run) in sampleToChunk.enumerated() {
            let end = entry + 1 < sampleToChunk.count ? Int(sampleToChunk[entry + 1].firstChunk) : chunkOffsets.count + 1
            for chunk in Int(run.firstChunk)..<end {
                var position = chunkOffsets[chunk - 1]
                for _ in 0..<run.samplesPerChunk {
                    let size = sizes[samples.count]
                    samples.append(MovieSample(
                        offset: position, size: Int(size), decodeTime: 0, duration: 0, compositionOffset: 0,
                        isSync: syncSamples == nil, presentationTime: 0))
                    let (next, overflow) = position.addingReportingOverflow(Int(size))
                    guard !overflow else { throw ContainerError.malformed("stco", "sample data past the largest offset") }
                    position = next
                }
            }
        }
        // At most 10 million durations of 2^32 ticks: no Int64 overflows.
        var index = 0
        var decodeTime: Int64 = 0
        for entry in timeToSample {
            for _ in 0..<entry.count {
                samples[index].decodeTime = decodeTime
                samples[index].duration = entry.delta
                decodeTime += Int64(entry.delta)
                index += 1
            }
        }
        if let compositionOffsets {
            index = 0
            for entry in compositionOffsets {
                for _ in 0..<entry.count {
                    samples[index].compositionOffset = entry.offset
                    index += 1
                }
            }
        }
        // A number that names no sample marks none; the ones that do still count.
        for number in syncSamples ?? [] where number >= 1 && Int(number) <= count {
            samples[Int(number) - 1].isSync = true
        }
        return samples
    }

    /// The samples a table's entries count, stopping past the most a track may have (so that
    /// no sum of counts can overflow).
    private static func total(_ counts: some Sequence<UInt32>) -> Int {
        var total = 0
        for count in counts {
            total += Int(count)
            if total > maximumSampleCount { return total }
        }
        return total
    }

    private static func require(_ described: Int, samplesIn table: FourCC, _ count: Int) throws {
        guard described == count else { throw ContainerError.malformed(table, "describes \(described) samples, stsz \(count)") }
    }

    /// How many samples `stsc` puts in the chunks of `stco`, or a throw when its runs cannot
    /// be: the first must start at chunk 1, each after the one before, none past the last chunk.
    private func samplesInChunks() throws -> Int {
        var total = 0
        for (entry, run) in sampleToChunk.enumerated() {
            let first = Int(run.firstChunk)
            let end = entry + 1 < sampleToChunk.count ? Int(sampleToChunk[entry + 1].firstChunk) : chunkOffsets.count + 1
            guard entry > 0 || first == 1 else { throw ContainerError.malformed("stsc", "the first entry starts at chunk \(first)") }
            guard first < end, end <= chunkOffsets.count + 1 else {
                throw ContainerError.malformed("stsc", "chunks \(first)..<\(end) of \(chunkOffsets.count)")
            }
            let (samples, overflow) = (end - first).multipliedReportingOverflow(by: Int(run.samplesPerChunk))
            total += samples
            guard !overflow, total <= Self.maximumSampleCount else { throw ContainerError.malformed("stsc", "more than \(Self.maximumSampleCount) samples") }
        }
        return total
    }

    // MARK: - The boxes

    /// `stsz` (§8.7.3.2):
    ///
    /// ```
    /// unsigned int(32) sample_size;   // 0: each sample's size follows
    /// unsigned int(32) sample_count;
    /// if (sample_size==0) {
    ///    for (i=1; i <= sample_count; i++) { unsigned int(32) entry_size; }
    /// }
    /// ```
    static func sampleSizes(_ stsz: Box) throws -> Sizes {
        var body = try stsz.fullBox().body
        guard let size = body.readInteger(as: UInt32.self), let count = body.readInteger(as: UInt32.self) else {
            throw ContainerError.malformed("stsz", "cut short")
        }
        guard count <= maximumSampleCount else { throw ContainerError.malformed("stsz", "\(count) samples") }
        guard size == 0 else { return .constant(size, count: Int(count)) }
        guard Int(count) <= body.readableBytes / 4 else {
            throw ContainerError.malformed("stsz", "\(count) sizes in \(body.readableBytes) bytes")
        }
        return .each((0..<Int(count)).map { _ in body.readInteger(as: UInt32.self)! })
    }

    /// `stz2` (§8.7.3.3):
    ///
    /// ```
    /// unsigned int(24) reserved = 0;
    /// unsigned int(8)  field_size;    // 4, 8 or 16
    /// unsigned int(32) sample_count;
    /// for (i=1; i <= sample_count; i++) { unsigned int(field_size) entry_size; }
    /// ```
    ///
    /// Two 4-bit sizes share a byte, the first sample's in the high nibble.
    static func compactSampleSizes(_ stz2: Box) throws -> Sizes {
        var body = try stz2.fullBox().body
        guard let word = body.readInteger(as: UInt32.self), let count = body.readInteger(as: UInt32.self) else {
            throw ContainerError.malformed("stz2", "cut short")
        }
        let fieldSize = Int(word & 0xFF)
        guard [4, 8, 16].contains(fieldSize) else { throw ContainerError.malformed("stz2", "field_size \(fieldSize)") }
        guard count <= maximumSampleCount else { throw ContainerError.malformed("stz2", "\(count) samples") }
        let bytes = (Int(count) * fieldSize + 7) / 8
        guard let fields = body.readBytes(length: bytes) else {
            throw ContainerError.malformed("stz2", "\(count) sizes of \(fieldSize) bits in \(body.readableBytes) bytes")
        }
        return .each((0..<Int(count)).map { index in
            switch fieldSize {
            case 4: return UInt32(index % 2 == 0 ? fields[index / 2] >> 4 : fields[index / 2] & 0x0F)
            case 8: return UInt32(fields[index])
            default: return UInt32(fields[2 * index]) << 8 | UInt32(fields[2 * index + 1])
            }
        })
    }

    /// `stts` (§8.6.1.2): entry_count × (sample_count, sample_delta), 32 bits each.
    static func timeToSample(_ stts: Box) throws -> [(count: UInt32, delta: UInt32)] {
        var (_, count, entries) = try stts.table(entrySize: 8)
        return try (0..<count).map { _ in
            guard let samples = entries.readInteger(as: UInt32.self), let delta = entries.readInteger(as: UInt32.self) else {
                throw ContainerError.malformed("stts", "cut short")
            }
            return (samples, delta)
        }
    }

    /// `ctts` (§8.6.1.3): entry_count × (sample_count, sample_offset), the offset unsigned in
    /// version 0 and signed in version 1. Both are read signed: muxers that write negative
    /// offsets in version 0 mean them so (ffmpeg reads them so), and an unsigned offset past
    /// 2^31 ticks (6.6 hours at 90 kHz) is no real one.
    static func compositionOffsets(_ ctts: Box) throws -> [(count: UInt32, offset: Int32)] {
        var (version, count, entries) = try ctts.table(entrySize: 8)
        guard version <= 1 else { throw ContainerError.unsupported("ctts version \(version)") }
        return try (0..<count).map { _ in
            guard let samples = entries.readInteger(as: UInt32.self), let offset = entries.readInteger(as: Int32.self) else {
                throw ContainerError.malformed("ctts", "cut short")
            }
            return (samples, offset)
        }
    }

    /// `stss` (§8.6.2): entry_count × sample_number (1-based, increasing).
    static func syncSamples(_ stss: Box) throws -> [UInt32] {
        var (_, count, entries) = try stss.table(entrySize: 4)
        return try (0..<count).map { _ in
            guard let number = entries.readInteger(as: UInt32.self) else { throw ContainerError.malformed("stss", "cut short") }
            return number
        }
    }

    /// `stsc` (§8.7.4): entry_count × (first_chunk, samples_per_chunk,
    /// sample_description_index); each entry holds until the next one's first_chunk, the last
    /// to the last chunk. Only the first sample description is read, so its index is not kept.
    static func sampleToChunk(_ stsc: Box) throws -> [(firstChunk: UInt32, samplesPerChunk: UInt32)] {
        var (_, count, entries) = try stsc.table(entrySize: 12)
        return try (0..<count).map { _ in
            guard let first = entries.readInteger(as: UInt32.self), let samples = entries.readInteger(as: UInt32.self),
                entries.readInteger(as: UInt32.self) != nil
            else { throw ContainerError.malformed("stsc", "cut short") }
            return (first, samples)
        }
    }

    /// `stco` (§8.7.5): entry_count × chunk_offset, 32 bits, from the start of the file.
    static func chunkOffsets(_ stco: Box) throws -> [Int] {
        var (_, count, entries) = try stco.table(entrySize: 4)
        return try (0..<count).map { _ in
            guard let offset = entries.readInteger(as: UInt32.self) else { throw ContainerError.malformed("stco", "cut short") }
            return Int(offset)
        }
    }

    /// `co64` (§8.7.5): entry_count × chunk_offset, 64 bits; one past `Int.max` is no offset.
    static func largeChunkOffsets(_ co64: Box) throws -> [Int] {
        var (_, count, entries) = try co64.table(entrySize: 8)
        return try (0..<count).map { _ in
            guard let offset = entries.readInteger(as: UInt64.self) else { throw ContainerError.malformed("co64", "cut short") }
            guard let position = Int(exactly: offset) else { throw ContainerError.malformed("co64", "chunk_offset \(offset)") }
            return position
        }
    }
}
