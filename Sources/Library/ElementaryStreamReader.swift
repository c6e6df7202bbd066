#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MediaCore
import NIOCore
import ServeWire

/// A video elementary stream file (`.264`/`.h264` Annex B, `.263`) read as stored media: the
/// file is scanned once for its pictures (offsets, sizes, key frames), and each picture is
/// read from the disk when it is played. Such files carry no timestamps: pictures are
/// `1 / frameRate` apart, the rate from the stream when it says one (H.264 VUI timing), else
/// the library's default or the file's own setting.
public final class ElementaryStreamReader: StoredMediaReader {
    public enum Kind: Sendable, Hashable {
        case h264
        case h263
    }

    struct Picture {
        var offset: Int
        var size: Int
        var isKeyFrame: Bool
        /// Where it is shown, in pictures from the start: its decode position unless the
        /// stream reorders (B-frames), then from its picture order count.
        var presentation = 0
        /// H.264: pic_order_cnt_lsb of its first slice, and whether it is a reference picture.
        var orderLSB: Int?
        var isReference = true
    }

    public let tracks: [StoredTrack]
    public var timeline: StoredTimeline { .mediaTime }
    public var start: Int64 { 0 }
    public let end: Int64
    public let frameRate: Double
    /// Where the frame rate came from, for logs.
    public let frameRateFromStream: Bool

    let kind: Kind
    let path: String
    let pictures: [Picture]
    private let descriptor: Int32
    private var position = 0
    private let parameterSets: [[UInt8]]

    /// Most pictures indexed: 24 hours at 60 fps.
    static let maximumPictures = 5_184_000
    /// Read this much of the file at a time while indexing.
    static let chunk = 1 << 20

    /// Scans `path`; `fallbackFrameRate` applies when the stream names none, `forcedFrameRate`
    /// (the owner's setting for this file) whatever it names.
    public init(path: String, kind: Kind, fallbackFrameRate: Double, forcedFrameRate: Double? = nil) throws(LibraryError) {
        self.path = path
        self.kind = kind
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .unreadable(name: path, reason: String(cString: strerror(errno))) }
        descriptor = fd
        var scan = StartCodeScan(kind: kind)
        var offset = 0
        var buffer = [UInt8](repeating: 0, count: Self.chunk)
        while true {
            let got = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, Self.chunk, off_t(offset)) }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { break }
            scan.feed(buffer[0..<got], at: offset)
            offset += got
            if scan.units.count > Self.maximumPictures * 4 { break }
        }
        scan.finish(fileSize: offset)
        // Units (NAL units or pictures) become pictures.
        var pictures: [Picture] = []
        var sps: [UInt8]?
        var parsedSPS: H264SequenceParameters?
        var pps: [UInt8]?
        var rate: Double?
        var width = 0
        var height = 0
        switch kind {
        case .h264:
            var current: Picture?
            var currentHasSlice = false
            for unit in scan.units {
                guard let header = Self.read(fd, at: unit.offset, length: min(unit.size, 64)), let first = header.first else { continue }
                let type = first & 0x1F
                let isSlice = type == 1 || type == 5
                // A new access unit: an AUD, SPS, PPS or SEI after the picture's slices, or a
                // slice whose first_mb_in_slice is 0 (ue(v) "1": the top bit of its first byte).
                let startsPicture = currentHasSlice
                    && ((type == 9 || type == 7 || type == 8 || type == 6) || (isSlice && header.count > 1 && header[1] & 0x80 != 0))
                if startsPicture, let done = current {
                    pictures.append(done)
                    current = nil
                    currentHasSlice = false
                }
                if type == 7, sps == nil, let bytes = Self.read(fd, at: unit.offset, length: min(unit.size, 1024)) {
                    sps = bytes
                    parsedSPS = H264SequenceParameters(bytes)
                    rate = parsedSPS?.frameRate
                    if let parsedSPS { (width, height) = (parsedSPS.width, parsedSPS.height) }
                }
                if type == 8, pps == nil, let bytes = Self.read(fd, at: unit.offset, length: min(unit.size, 1024)) { pps = bytes }
                // The picture spans its NAL units with their start codes; the reader splits it.
                if current == nil {
                    current = Picture(offset: unit.startCodeOffset, size: 0, isKeyFrame: false)
                }
                if isSlice && !currentHasSlice, let parsedSPS {
                    current!.orderLSB = parsedSPS.pictureOrderCountLSB(slice: header)
                    current!.isReference = first & 0x60 != 0
                }
                current!.size = unit.offset + unit.size - current!.offset
                if type == 5 { current!.isKeyFrame = true }
                if isSlice { currentHasSlice = true }
                if pictures.count >= Self.maximumPictures { break }
            }
            if let current, currentHasSlice { pictures.append(current) }
        case .h263:
            for unit in scan.units {
                guard let header = Self.read(fd, at: unit.startCodeOffset, length: min(unit.offset + unit.size - unit.startCodeOffset, 16)),
                    let picture = H263PictureHeader(header)
                else { continue }
                if width == 0, let size = H263FileFormat.size(sourceFormat: picture.sourceFormat) { (width, height) = size }
                pictures.append(Picture(offset: unit.startCodeOffset, size: unit.offset + unit.size - unit.startCodeOffset, isKeyFrame: !picture.isInter))
                if pictures.count >= Self.maximumPictures { break }
            }
        }
        // From the first key frame: what comes before it cannot be decoded.
        if let firstKey = pictures.firstIndex(where: \.isKeyFrame) { pictures.removeFirst(firstKey) } else { pictures = [] }
        if kind == .h264, let parsedSPS {
            Self.order(&pictures, lsbBits: parsedSPS.log2MaxPictureOrderCountLSB)
        } else {
            for index in pictures.indices { pictures[index].presentation = index }
        }
        guard !pictures.isEmpty else {
            close(fd)
            throw .unreadable(name: path, reason: "no key frame (\(kind == .h264 ? "IDR picture" : "intra picture")) in the file")
        }
        if kind == .h264 && (sps == nil || pps == nil) {
            close(fd)
            throw .unreadable(name: path, reason: "no sequence and picture parameter sets in the stream")
        }
        self.pictures = pictures
        self.frameRateFromStream = forcedFrameRate == nil && rate != nil
        self.frameRate = forcedFrameRate ?? rate ?? fallbackFrameRate
        self.parameterSets = [sps, pps].compactMap { $0 }
        self.end = Int64((Double(pictures.count) / frameRate * 1e9).rounded())
        switch kind {
        case .h264:
            tracks = [StoredTrack(codec: .h264, clockRate: 90_000, parameters: .h264(sps: sps!, pps: pps!))]
        case .h263:
            tracks = [StoredTrack(codec: .h263, clockRate: 90_000, parameters: .h263(width: width, height: height))]
        }
    }

    deinit { close(descriptor) }

    /// Presentation positions from picture order counts (§8.2.1.1, type 0): counts restart at
    /// each IDR picture; within each run from one IDR to the next the pictures are shown in
    /// count order, and the run takes the places of its pictures. Without counts (types 1
    /// and 2: x264 and OpenH264 use 0 or 2) pictures are shown in decoding order.
    static func order(_ pictures: inout [Picture], lsbBits: Int) {
        let maximum = 1 << lsbBits
        var runStart = 0
        var counts: [Int] = []
        var previousMSB = 0
        var previousLSB = 0
        func close(runEnd: Int) {
            guard runEnd > runStart else { return }
            let ranked = (runStart..<runEnd).sorted { (counts[$0 - runStart], $0) < (counts[$1 - runStart], $1) }
            for (rank, index) in ranked.enumerated() { pictures[index].presentation = runStart + rank }
        }
        for index in pictures.indices {
            if pictures[index].isKeyFrame {
                close(runEnd: index)
                runStart = index
                counts = []
                previousMSB = 0
                previousLSB = 0
            }
            guard let lsb = pictures[index].orderLSB else {
                counts.append(counts.last.map { $0 + 1 } ?? 0)
                continue
            }
            var msb = previousMSB
            if lsb < previousLSB && previousLSB - lsb >= maximum / 2 {
                msb += maximum
            } else if lsb > previousLSB && lsb - previousLSB > maximum / 2 {
                msb -= maximum
            }
            counts.append(msb + lsb)
            if pictures[index].isReference {
                previousMSB = msb
                previousLSB = lsb
            }
        }
        close(runEnd: pictures.count)
    }

    func instant(of index: Int) -> Int64 { Int64((Double(index) / frameRate * 1e9).rounded()) }

    public func seek(to instant: Int64) throws -> Int64? {
        guard instant < end else { return nil }
        let target = min(pictures.count - 1, max(0, Int((Double(instant) / 1e9 * frameRate).rounded(.down))))
        // Key frames are shown where they are decoded (an IDR starts its run of counts).
        guard let key = pictures.lastIndex(where: { $0.isKeyFrame && $0.presentation <= target }) else { return nil }
        position = key
        return self.instant(of: pictures[key].presentation)
    }

    public func next() throws -> StoredUnit? {
        guard position < pictures.count else { return nil }
        let picture = pictures[position]
        let index = position
        position += 1
        guard let bytes = Self.read(descriptor, at: picture.offset, length: picture.size), bytes.count == picture.size else { return nil }
        let shown = picture.presentation
        let duration = MediaDuration(nanoseconds: instant(of: shown + 1) - instant(of: shown))
        let instant = MediaInstant(nanoseconds: self.instant(of: shown))
        switch kind {
        case .h264:
            let unit = EncodedUnit.storedH264(
                nalUnits: StartCodeScan.split(bytes), instant: instant, isKeyFrame: picture.isKeyFrame, duration: duration,
                parameterSets: parameterSets.count == 2 ? (parameterSets[0], parameterSets[1]) : nil)
            return StoredUnit(track: 0, unit: unit, decodeInstant: self.instant(of: index))
        case .h263:
            return StoredUnit(track: 0, unit: EncodedUnit(
                codec: .h263, parts: [bytes], instant: instant, isKeyFrame: picture.isKeyFrame, duration: duration,
                parameters: picture.isKeyFrame ? tracks[0].parameters : nil))
        }
    }

    static func read(_ fd: Int32, at offset: Int, length: Int) -> [UInt8]? {
        guard length > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: length)
        var done = 0
        while done < length {
            let got = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, length - done, off_t(offset + done)) }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { break }
            done += got
        }
        return done == length ? bytes : Array(bytes[0..<done])
    }
}

/// Finds units in an elementary stream by their start codes, across reads: H.264 NAL units
/// behind `00 00 01` (or `00 00 00 01`), H.263 pictures at their byte-aligned picture start
/// code `00 00 8x` (H.263 §5.1.1, a 22-bit code followed by TR).
struct StartCodeScan {
    struct Unit {
        /// Where the start code begins.
        var startCodeOffset: Int
        /// The unit's first byte after the start code (H.264), and its length up to the next.
        var offset: Int
        var size: Int
    }

    let kind: ElementaryStreamReader.Kind
    var units: [Unit] = []
    /// The last bytes of the previous read, to find codes that straddle two.
    private var tail: [UInt8] = []
    private var open: (startCodeOffset: Int, offset: Int)?

    init(kind: ElementaryStreamReader.Kind) { self.kind = kind }

    mutating func feed(_ bytes: ArraySlice<UInt8>, at offset: Int) {
        let window = tail + bytes
        let base = offset - tail.count
        // The tail's first byte was looked at already; it is kept to see the zero before a
        // four-byte start code.
        var i = max(0, tail.count - 2)
        let count = window.count
        window.withUnsafeBufferPointer { p in
            while i + 3 <= count {
                if p[i + 2] > 1 && p[i + 2] & 0xFC != 0x80 { i += 3; continue }
                if p[i] == 0 && p[i + 1] == 0 {
                    let third = p[i + 2]
                    let found: Bool
                    switch kind {
                    case .h264: found = third == 1
                    case .h263: found = third & 0xFC == 0x80
                    }
                    if found {
                        var codeStart = base + i
                        if kind == .h264 && i > 0 && p[i - 1] == 0 { codeStart -= 1 }
                        let unitStart = kind == .h264 ? base + i + 3 : base + i
                        begin(codeStart: codeStart, unitStart: unitStart)
                        i += 3
                        continue
                    }
                }
                i += 1
            }
        }
        // A code that straddles two reads starts in the last two bytes, which this pass
        // could not look past; the next pass looks at them again (and one before them).
        tail = Array(window.suffix(3))
    }

    private mutating func begin(codeStart: Int, unitStart: Int) {
        if let open {
            units.append(Unit(startCodeOffset: open.startCodeOffset, offset: open.offset, size: max(0, codeStart - open.offset)))
        }
        open = (codeStart, unitStart)
    }

    mutating func finish(fileSize: Int) {
        if let open, fileSize > open.offset {
            units.append(Unit(startCodeOffset: open.startCodeOffset, offset: open.offset, size: fileSize - open.offset))
        }
        open = nil
    }

    /// The NAL units of one Annex B access unit, without start codes (and without the
    /// trailing zero bytes of the next code).
    static func split(_ bytes: [UInt8]) -> [[UInt8]] {
        var units: [[UInt8]] = []
        var start: Int?
        var i = 0
        while i + 3 <= bytes.count {
            if bytes[i] == 0 && bytes[i + 1] == 0 && bytes[i + 2] == 1 {
                if let s = start {
                    var end = i
                    while end > s && bytes[end - 1] == 0 { end -= 1 }
                    units.append(Array(bytes[s..<end]))
                }
                start = i + 3
                i += 3
                continue
            }
            i += 1
        }
        if let s = start, s < bytes.count {
            var end = bytes.count
            while end > s && bytes[end - 1] == 0 { end -= 1 }
            units.append(Array(bytes[s..<end]))
        }
        return units
    }
}

/// H.263 source formats (H.263 Table 1 / PTYPE bits 6–8) and their picture sizes.
enum H263FileFormat {
    static func size(sourceFormat: UInt8) -> (Int, Int)? {
        switch sourceFormat {
        case 1: return (128, 96)
        case 2: return (176, 144)
        case 3: return (352, 288)
        case 4: return (704, 576)
        case 5: return (1408, 1152)
        default: return nil
        }
    }
}
