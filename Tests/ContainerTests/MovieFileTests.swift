import Container
import Foundation
import NIOCore
import TestSeeds
import XCTest

/// `MovieFile` against ffmpeg's files and ffprobe's packets: ordinary MP4 with B-frames and AAC,
/// Opus in MP4, G.711 in QuickTime, fragmented MP4, an initial empty edit, and AAC in a
/// QuickTime sound description of version 1; then seeded mutations of those files' boxes.
///
/// What ffprobe reports (ffmpeg 5.1's mov demuxer, checked on these files): it applies the edit
/// list to both of its times. Its `pts` is `presentationTime` — decode time plus composition
/// offset, less the first non-empty edit's media_time, plus the empty edits before it (their
/// movie-timescale duration rescaled to the track's, rounded to nearest). Its `dts` is the
/// decode time moved by that same shift, so with B-frames it starts below 0 (−1024 here: two
/// frames of 512). Samples before the edit's media_time are kept and flagged discard (`D`, the
/// AAC priming frame) rather than dropped, so there is one packet per sample. A fragmented file
/// without an edit list is not shifted: its first `pts` is the first composition offset.
/// `pos` is the sample's absolute offset and `K` marks sync samples. For PCM in QuickTime
/// (a sample per byte, `stts` of one delta 1) ffprobe makes a packet of up to 1024 samples of
/// a chunk, so those samples are checked packet by packet.
final class MovieFileTests: XCTestCase {
    // MARK: - ffmpeg's files

    /// x264 with its default B-frames (a two-frame composition delay: media_time 1024 at
    /// 1/12800) and ffmpeg's AAC (priming 1024 samples: media_time 1024 at 1/44100).
    func testProgressiveMP4WithBFramesAndAAC() throws {
        let tracks = try read("out.mp4")
        XCTAssertEqual(tracks.count, 2)
        let video = try XCTUnwrap(tracks.first { $0.track.isVideo })
        let audio = try XCTUnwrap(tracks.first { !$0.track.isVideo })
        try assertVideo(video, in: "out.mp4")
        try assertAudio(audio, format: "mp4a", codecBox: "esds", in: "out.mp4")
        XCTAssertTrue(video.samples.contains { $0.compositionOffset != 0 }, "B-frames: ctts")
        try assertSamples(video, matchStream: "v:0", of: "out.mp4", shift: -1024)
        try assertSamples(audio, matchStream: "a:0", of: "out.mp4", shift: -1024)
    }

    /// No B-frames (media_time 0, no ctts) and Opus, whose edit list trims the pre-skip (312 at
    /// 48 kHz, as `dOps` says).
    func testOpusInMP4() throws {
        let tracks = try read("opus.mp4")
        let video = try XCTUnwrap(tracks.first { $0.track.isVideo })
        let audio = try XCTUnwrap(tracks.first { !$0.track.isVideo })
        try assertVideo(video, in: "opus.mp4")
        try assertAudio(audio, format: "Opus", codecBox: "dOps", in: "opus.mp4")
        guard case .audio(_, _, _, let codecBox?) = audio.track.media else { return XCTFail("a dOps box") }
        XCTAssertEqual(try OpusConfiguration(parsing: ByteBuffer(bytes: codecBox.body)).preSkip, 312)
        XCTAssertTrue(video.samples.allSatisfy { $0.compositionOffset == 0 })
        try assertSamples(video, matchStream: "v:0", of: "opus.mp4", shift: 0)
        try assertSamples(audio, matchStream: "a:0", of: "opus.mp4", shift: -312)
    }

    /// G.711 µ-law in QuickTime: a sound description of version 0 whose only box is `chan` (no
    /// codec box), one-byte samples of duration 1, `stsz` with one size for all, chunks of
    /// several sizes (`stsc` of many entries).
    func testQuickTimeMuLaw() throws {
        let tracks = try read("ulaw.mov")
        let video = try XCTUnwrap(tracks.first { $0.track.isVideo })
        let audio = try XCTUnwrap(tracks.first { !$0.track.isVideo })
        try assertVideo(video, in: "ulaw.mov")
        try assertAudio(audio, format: "ulaw", codecBox: nil, in: "ulaw.mov")
        XCTAssertEqual(audio.samples.count, 4 * 44_100)
        XCTAssertTrue(audio.samples.allSatisfy { $0.size == 1 && $0.duration == 1 && $0.isSync })
        try assertSamples(video, matchStream: "v:0", of: "ulaw.mov", shift: -1024)
        try assertChunkedSamples(audio, matchStream: "a:0", of: "ulaw.mov", shift: 0)
    }

    /// `frag_keyframe+empty_moov`: empty sample tables, `trex` defaults, a `moof` per GOP with
    /// `tfhd` base-data-offset and defaults, `tfdt`, and no edit list, so nothing is shifted.
    func testFragmentedMP4() throws {
        let (moov, fragments) = try boxes("frag.mp4")
        XCTAssertEqual(fragments.count, 4)
        let tracks = try MovieFile.samples(moov: moov, fragments: fragments)
        let video = try XCTUnwrap(tracks.first { $0.track.isVideo })
        let audio = try XCTUnwrap(tracks.first { !$0.track.isVideo })
        try assertVideo(video, in: "frag.mp4")
        try assertAudio(audio, format: "mp4a", codecBox: "esds", in: "frag.mp4")
        try assertSamples(video, matchStream: "v:0", of: "frag.mp4", shift: 0)
        try assertSamples(audio, matchStream: "a:0", of: "frag.mp4", shift: 0)
        // The same layouts `FragmentedMP4Reader` gives, one after another.
        let defaults = try FragmentedMP4Reader.trackDefaults(inMovie: moov)
        let runs = try fragments.flatMap { try FragmentedMP4Reader.layouts(of: $0, defaults: defaults) }
        XCTAssertEqual(video.samples.map(\.offset), runs.filter { $0.trackID == video.track.id }.flatMap { $0.samples.map(\.offset) })
        XCTAssertTrue(try MovieFile.samples(moov: moov, fragments: []).allSatisfy(\.samples.isEmpty), "the moov alone has none")
    }

    /// out.mp4's streams again with the audio half a second late (`-itsoffset 0.5`, stream
    /// copy): ffmpeg's muxer writes an empty edit of 476 ms (0.5 s less the AAC priming it
    /// drops, in the movie's 1/1000) then media_time 0. 476 ms at 44.1 kHz are 20991.6 ticks:
    /// ffprobe's first pts is 20992, so the rescale rounds to nearest.
    func testInitialEmptyEditDelaysTheTrack() throws {
        let tracks = try read("delayed.mp4")
        let video = try XCTUnwrap(tracks.first { $0.track.isVideo })
        let audio = try XCTUnwrap(tracks.first { !$0.track.isVideo })
        try assertSamples(video, matchStream: "v:0", of: "delayed.mp4", shift: -1024)
        try assertSamples(audio, matchStream: "a:0", of: "delayed.mp4", shift: 20_992)
        XCTAssertEqual(audio.samples.first?.decodeTime, 0)
        XCTAssertEqual(audio.samples.first?.presentationTime, 20_992)
    }

    /// AAC in `.mov`: ffmpeg writes a sound description of version 1 (16 more bytes) with the
    /// `esds` inside `wave`, after `frma` and an `mp4a` atom.
    func testQuickTimeSoundDescriptionVersion1() throws {
        let tracks = try read("stereo.mov")
        XCTAssertEqual(tracks.count, 1)
        let audio = try XCTUnwrap(tracks.first)
        try assertAudio(audio, format: "mp4a", codecBox: "esds", in: "stereo.mov")
        guard case .audio(_, let channels, _, let codecBox?) = audio.track.media else { return XCTFail("an esds box") }
        XCTAssertEqual(channels, 2)
        // ISO/IEC 14496-3 §1.6.2.1: audioObjectType 2 (AAC LC, 5 bits), samplingFrequencyIndex
        // 4 (44100 Hz, 4 bits), channelConfiguration 2 (stereo, 4 bits), then the
        // GASpecificConfig's three zero bits: 00010 0100 0010 000 = 0x12 0x10.
        let config = try MovieFile.audioSpecificConfig(esds: codecBox.body)
        XCTAssertEqual(Array(config.prefix(2)), [0x12, 0x10])
        XCTAssertEqual(config, try extradata(of: "stereo.mov"))
        try assertSamples(audio, matchStream: "a:0", of: "stereo.mov", shift: -1024)
    }

    /// ffmpeg's AAC encoder in MP4 (mono, as the sine source is): the DecoderSpecificInfo is the
    /// stream's extradata as ffprobe shows it, five bytes —
    /// `0x12 0x08`: audioObjectType 2 (AAC LC) << 11 | samplingFrequencyIndex 4 (44100) << 7 |
    /// channelConfiguration 1 << 3 (§1.6.2.1, Table 1.16 for the index);
    /// `0x56 0xE5 0x00`: syncExtensionType 0x2B7 (11 bits), extension audioObjectType 5 (SBR),
    /// sbrPresentFlag 0, padding (§1.6.5.1: explicit backward-compatible "no SBR").
    func testAudioSpecificConfigOfFFmpegsAAC() throws {
        let tracks = try read("out.mp4")
        let audio = try XCTUnwrap(tracks.first { !$0.track.isVideo })
        guard case .audio(_, _, _, let codecBox?) = audio.track.media else { return XCTFail("an esds box") }
        let descriptor = try ElementaryStreamDescriptor(parsing: ByteBuffer(bytes: codecBox.body))
        XCTAssertEqual(descriptor.objectTypeIndication, 0x40, "MPEG-4 Audio")
        XCTAssertEqual(descriptor.streamType, 0x05, "an audio stream")
        let config = try MovieFile.audioSpecificConfig(esds: codecBox.body)
        XCTAssertEqual(config, [0x12, 0x08, 0x56, 0xE5, 0x00])
        XCTAssertEqual(config, try extradata(of: "out.mp4"))
        let parsed = try AudioSpecificConfig(parsing: config)
        XCTAssertEqual([parsed.audioObjectType, parsed.samplingFrequency, parsed.channelConfiguration], [2, 44_100, 1])
        // ffmpeg's MP4 muxer writes channelcount 2 in every AAC sample entry (ISO's template
        // value); the track says the AudioSpecificConfig's one channel, as ffprobe does.
        guard case .audio(_, let channels, _, _) = audio.track.media else { return XCTFail("an audio track") }
        XCTAssertEqual(channels, 1)
        // The same bytes from the fragmented file's moov.
        let fragmented = try MovieFile.samples(moov: try boxes("frag.mp4").moov, fragments: [])
        guard case .audio(_, _, _, let other?) = fragmented.first(where: { !$0.track.isVideo })?.track.media else { return XCTFail("an esds box") }
        XCTAssertEqual(try MovieFile.audioSpecificConfig(esds: other.body), config)
    }

    // MARK: - Seeded mutations

    /// 2000 mutations of out.mp4's `moov` — bytes flipped, cut short (with and without the moov's
    /// size following), entry counts, versions and whole words set to huge or odd values — read
    /// with `MovieFile.samples`: each is read or refused, none traps.
    func testMutatedMoovNeverTraps() throws {
        let seed = TestSeed.value(default: 0x6D6F_6F76)  // "moov"
        var random = SeededRandom(seed: seed)
        let (moov, _) = try boxes("out.mp4")
        let original = Array(try bytes("out.mp4")[moov.offset..<(moov.offset + moov.size)])
        let expected = try MovieFile.samples(moov: moov, fragments: [])
        let tables = try Self.tableFields(in: moov)
        var (read, refused) = (0, 0)
        for index in 0..<2000 {
            let mutated = Self.mutate(original, fields: tables, using: &random)
            guard let box = try? Box.parse(ByteBuffer(bytes: mutated), base: moov.offset).first else {
                refused += 1
                continue
            }
            do {
                let tracks = try MovieFile.samples(moov: box, fragments: [])
                read += 1
                for track in tracks {
                    XCTAssertLessThanOrEqual(track.samples.count, MovieFile.maximumSampleCount, "case \(index), \(TestSeed.describe(seed))")
                    XCTAssertTrue(zip(track.samples, track.samples.dropFirst()).allSatisfy { $0.decodeTime <= $1.decodeTime },
                                  "decode order, case \(index), \(TestSeed.describe(seed))")
                }
            } catch is ContainerError {
                refused += 1
            } catch {
                XCTFail("case \(index) threw \(error), not a ContainerError; \(TestSeed.describe(seed))")
            }
        }
        XCTAssertEqual(read + refused, 2000)
        XCTAssertGreaterThan(read, 100, "mutations that keep the tables readable are read; \(TestSeed.describe(seed))")
        XCTAssertGreaterThan(refused, 100, "\(TestSeed.describe(seed))")
        XCTAssertEqual(try MovieFile.samples(moov: moov, fragments: []), expected, "the original is untouched")
    }

    /// 1000 mutations of the fragmented file's `moof`s (one of them at a time) with its moov:
    /// read or refused, never a trap — base-data-offsets past `Int.max`, data offsets and sizes
    /// that overflow, counts past the box.
    func testMutatedFragmentsNeverTrap() throws {
        let seed = TestSeed.value(default: 0x6D6F_6F66)  // "moof"
        var random = SeededRandom(seed: seed)
        let (moov, fragments) = try boxes("frag.mp4")
        let file = try bytes("frag.mp4")
        var (read, refused) = (0, 0)
        for index in 0..<1000 {
            let target = Int.random(in: 0..<fragments.count, using: &random)
            let moof = fragments[target]
            let original = Array(file[moof.offset..<(moof.offset + moof.size)])
            let mutated = Self.mutate(original, fields: try Self.tableFields(in: moof), using: &random)
            guard let box = try? Box.parse(ByteBuffer(bytes: mutated), base: moof.offset).first else {
                refused += 1
                continue
            }
            var mixed = fragments
            mixed[target] = box
            do {
                _ = try MovieFile.samples(moov: moov, fragments: mixed)
                read += 1
            } catch is ContainerError {
                refused += 1
            } catch {
                XCTFail("case \(index) threw \(error), not a ContainerError; \(TestSeed.describe(seed))")
            }
        }
        XCTAssertGreaterThan(read, 50, "\(TestSeed.describe(seed))")
        XCTAssertGreaterThan(refused, 50, "\(TestSeed.describe(seed))")
    }

    /// Where, in a box's bytes (from its header), the boxes inside it start, and where their
    /// full boxes keep a version and a count worth setting huge: every full box's version byte
    /// and the 32-bit word after its flags (entry_count of a table, sample_size of `stsz`,
    /// track_ID of `tfhd`…), and for `stsz`, `stz2`, `tfhd` and `trun` the word after that
    /// (sample_count, base_data_offset, data_offset).
    struct Fields {
        var starts: [Int] = []
        var versions: [Int] = []
        var counts: [Int] = []
    }

    static func tableFields(in root: Box) throws -> Fields {
        var fields = Fields()
        func walk(_ box: Box) throws {
            let header = box.size - box.body.readableBytes
            let start = box.offset - root.offset
            if start > 0 { fields.starts.append(start) }
            if fullBoxes.contains(box.type) {
                fields.versions.append(start + header)
                fields.counts.append(start + header + 4)
                if ["stsz", "stz2", "tfhd", "trun"].contains(box.type) { fields.counts.append(start + header + 8) }
            }
            if containers.contains(box.type) { try box.children().forEach(walk) }
        }
        try walk(root)
        return fields
    }

    static let containers: Set<FourCC> = ["moov", "trak", "mdia", "minf", "stbl", "edts", "mvex", "moof", "traf"]
    static let fullBoxes: Set<FourCC> = [
        "mvhd", "tkhd", "mdhd", "hdlr", "elst", "stsd", "stts", "ctts", "stss", "stsz", "stz2", "stsc", "stco", "co64",
        "trex", "mfhd", "tfhd", "tfdt", "trun",
    ]
    /// Values a count or a size read from a file must not be trusted with.
    static let hugeValues: [UInt32] = [0xFFFF_FFFF, 0x8000_0000, 0x7FFF_FFFF, 10_000_001, 0x00FF_FFFF, 0x0100_0000, 0, 1]

    /// One to three of: a byte flipped, a count field or any aligned word set to a huge value, a
    /// version byte set to 0, 1 or 2, the bytes cut short (the outer size fixed up or not), a box
    /// inside made to say it is shorter or longer than it is.
    static func mutate(_ original: [UInt8], fields: Fields, using random: inout SeededRandom) -> [UInt8] {
        var bytes = original
        func setWord(_ value: UInt32, at offset: Int) {
            guard offset >= 0, offset + 4 <= bytes.count else { return }
            for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (24 - 8 * i)) }
        }
        func huge() -> UInt32 {
            Bool.random(using: &random) ? hugeValues.randomElement(using: &random)! : UInt32.random(in: 0...UInt32.max, using: &random)
        }
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            guard bytes.count >= 16 else { return bytes }
            switch Int.random(in: 0..<6, using: &random) {
            case 0: bytes[Int.random(in: 8..<bytes.count, using: &random)] ^= UInt8.random(in: 1...255, using: &random)
            case 1: setWord(huge(), at: fields.counts.randomElement(using: &random)!)
            case 2: setWord(huge(), at: Int.random(in: 2..<(bytes.count / 4), using: &random) * 4)
            case 3:
                let at = fields.versions.randomElement(using: &random)!
                if at < bytes.count { bytes[at] = UInt8.random(in: 0...2, using: &random) }
            case 4:
                bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &random)))
                if Bool.random(using: &random) { setWord(UInt32(bytes.count), at: 0) }
            default:
                let at = fields.starts.randomElement(using: &random)!
                guard at + 4 <= bytes.count else { continue }
                let size = UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
                setWord(Bool.random(using: &random) ? size &- UInt32.random(in: 1...16, using: &random) : size &+ UInt32.random(in: 1...16, using: &random), at: at)
            }
        }
        return bytes
    }

    // MARK: - Against ffprobe

    /// Every sample against ffprobe's packet of the stream: offset, size, sync flag,
    /// presentation time (ffprobe's pts), decode time moved by `shift` (ffprobe's dts; see the
    /// class comment), duration where ffprobe gives one but for the last packet. `shift` is what the track's edit list
    /// says (read off the box by hand), and every sample must carry exactly it.
    func assertSamples(_ track: MovieTrackSamples, matchStream stream: String, of name: String, shift: Int64,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let packets = try probePackets(name, stream: stream)
        XCTAssertEqual(track.samples.count, packets.count, "\(name) \(stream): one sample per packet", file: file, line: line)
        XCTAssertEqual(Set(track.samples.map { $0.presentationTime - Int64($0.compositionOffset) - $0.decodeTime }), [shift],
                       "\(name) \(stream): the edit list's shift", file: file, line: line)
        var mismatches = 0
        for (index, (sample, packet)) in zip(track.samples, packets).enumerated() {
            // ffmpeg's mov demuxer gives each packet the distance to the next one's dts, and the
            // last one what is left of the stream's duration (in frag.mp4 and delayed.mp4 1024
            // where the table says 272): the last duration is not the file's.
            let last = index == packets.count - 1
            let ours = Packet(pts: sample.presentationTime, dts: sample.decodeTime + shift,
                              duration: packet.duration == nil || last ? packet.duration : Int64(sample.duration),
                              size: sample.size, position: sample.offset, isKey: sample.isSync)
            guard ours != packet else { continue }
            XCTFail("\(name) \(stream) sample \(index): ours \(ours), ffprobe's \(packet)", file: file, line: line)
            mismatches += 1
            if mismatches == 5 { break }
        }
    }

    /// One-byte PCM samples against ffprobe's packets, each up to 1024 of them out of one chunk:
    /// the packet's bytes are those of consecutive samples, its pts and dts the first's, its
    /// duration theirs together; every sample in exactly one packet, in order.
    func assertChunkedSamples(_ track: MovieTrackSamples, matchStream stream: String, of name: String, shift: Int64,
                              file: StaticString = #filePath, line: UInt = #line) throws {
        let packets = try probePackets(name, stream: stream)
        var index = 0
        for (number, packet) in packets.enumerated() {
            var count = 0
            var bytes = 0
            while bytes < packet.size, index + count < track.samples.count,
                track.samples[index + count].offset == packet.position + bytes
            {
                bytes += track.samples[index + count].size
                count += 1
            }
            let samples = track.samples[index..<(index + count)]
            guard let first = samples.first, bytes == packet.size,
                first.presentationTime == packet.pts, first.decodeTime + shift == packet.dts,
                samples.reduce(0, { $0 + Int64($1.duration) }) == packet.duration, samples.allSatisfy(\.isSync) == packet.isKey
            else {
                return XCTFail("\(name) \(stream) packet \(number) \(packet): samples \(index)..<\(index + count) \(Array(samples.prefix(2)))",
                               file: file, line: line)
            }
            index += count
        }
        XCTAssertEqual(index, track.samples.count, "\(name) \(stream): every sample in a packet", file: file, line: line)
    }

    /// The stream's codec parameters from ffprobe against the track's description.
    func assertVideo(_ video: MovieTrackSamples, in name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let stream = try probeStream(name, stream: "v:0")
        XCTAssertEqual(stream["codec_name"], "h264", file: file, line: line)
        XCTAssertEqual(stream["time_base"], "1/\(video.track.timescale)", file: file, line: line)
        guard case .h264(_, let width, let height) = video.track.media else { return XCTFail("H.264", file: file, line: line) }
        XCTAssertEqual([stream["width"], stream["height"]], ["\(width)", "\(height)"], file: file, line: line)
    }

    func assertAudio(_ audio: MovieTrackSamples, format expected: FourCC, codecBox expectedBox: FourCC?, in name: String,
                     file: StaticString = #filePath, line: UInt = #line) throws {
        let stream = try probeStream(name, stream: "a:0")
        XCTAssertEqual(stream["time_base"], "1/\(audio.track.timescale)", file: file, line: line)
        guard case .audio(let format, let channels, let rate, let codecBox) = audio.track.media else {
            return XCTFail("an audio track", file: file, line: line)
        }
        XCTAssertEqual(format, expected, file: file, line: line)
        XCTAssertEqual(codecBox?.type, expectedBox, file: file, line: line)
        XCTAssertEqual([stream["channels"], stream["sample_rate"]], ["\(channels)", "\(rate)"], file: file, line: line)
    }

    /// A packet as ffprobe shows it (`-show_packets`, JSON: pts, dts and duration are numbers
    /// when known, size and pos strings, flags `K` for key and `D` for discard).
    struct Packet: Equatable, CustomStringConvertible {
        var pts: Int64?
        var dts: Int64?
        var duration: Int64?
        var size: Int
        var position: Int
        var isKey: Bool

        var description: String {
            "pts \(pts.map(String.init) ?? "-") dts \(dts.map(String.init) ?? "-") duration \(duration.map(String.init) ?? "-") size \(size) pos \(position)\(isKey ? " K" : "")"
        }
    }

    func probePackets(_ name: String, stream: String) throws -> [Packet] {
        let probe = try runProcess("/usr/bin/ffprobe", ["-v", "error", "-select_streams", stream, "-show_packets",
                                                        "-show_entries", "packet=pts,dts,duration,size,pos,flags", "-of", "json", try path(name)])
        XCTAssertEqual(probe.err, "")
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(probe.out.utf8)) as? [String: Any])
        let packets = try XCTUnwrap(json["packets"] as? [[String: Any]])
        return try packets.map { packet in
            Packet(
                pts: (packet["pts"] as? NSNumber)?.int64Value, dts: (packet["dts"] as? NSNumber)?.int64Value,
                duration: (packet["duration"] as? NSNumber)?.int64Value,
                size: try XCTUnwrap((packet["size"] as? String).flatMap { Int($0) }),
                position: try XCTUnwrap((packet["pos"] as? String).flatMap { Int($0) }),
                isKey: (packet["flags"] as? String)?.contains("K") ?? false)
        }
    }

    func probeStream(_ name: String, stream: String) throws -> [String: String] {
        let probe = try runProcess("/usr/bin/ffprobe", ["-v", "error", "-select_streams", stream, "-show_entries",
                                                        "stream=codec_name,time_base,sample_rate,channels,width,height", "-of", "default=nw=1", try path(name)])
        XCTAssertEqual(probe.err, "")
        return Dictionary(probe.out.split(separator: "\n").compactMap { line in
            line.firstIndex(of: "=").map { (String(line[..<$0]), String(line[line.index(after: $0)...])) }
        }, uniquingKeysWith: { first, _ in first })
    }

    /// The audio stream's extradata from ffprobe's hex dump (`-show_data`: lines of
    /// `offset: hex groups  ascii`).
    func extradata(of name: String) throws -> [UInt8] {
        let probe = try runProcess("/usr/bin/ffprobe", ["-v", "error", "-select_streams", "a:0", "-show_entries", "stream=extradata",
                                                        "-show_data", "-of", "default=nw=1", try path(name)])
        XCTAssertEqual(probe.err, "")
        var bytes: [UInt8] = []
        for line in probe.out.split(separator: "\n") {
            guard let colon = line.range(of: ": "), line[..<colon.lowerBound].allSatisfy(\.isHexDigit) else { continue }
            let hex = line[colon.upperBound...].components(separatedBy: "  ")[0].replacingOccurrences(of: " ", with: "")
            var digits = hex[...]
            while digits.count >= 2, let byte = UInt8(digits.prefix(2), radix: 16) {
                bytes.append(byte)
                digits = digits.dropFirst(2)
            }
        }
        return bytes
    }

    // MARK: - The files

    /// The `moov` and the `moof`s of one of the files, with their offsets in it.
    func boxes(_ name: String) throws -> (moov: Box, fragments: [Box]) {
        let top = try Box.parse(ByteBuffer(bytes: try bytes(name)))
        let moov = try XCTUnwrap(top.first { $0.type == "moov" })
        return (moov, top.filter { $0.type == "moof" })
    }

    func read(_ name: String) throws -> [MovieTrackSamples] {
        let (moov, fragments) = try boxes(name)
        return try MovieFile.samples(moov: moov, fragments: fragments)
    }

    func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: try path(name))))
    }

    func path(_ name: String) throws -> String {
        switch Self.directory {
        case .success(let directory): return directory + "/" + name
        case .failure(let failure): throw failure
        }
    }

    struct FixtureFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// The files, made once for the class by ffmpeg (a few seconds of work) and removed after it.
    static let directory: Result<String, FixtureFailure> = {
        do {
            return .success(try makeFiles())
        } catch {
            return .failure(FixtureFailure(description: "\(error)"))
        }
    }()

    override class func tearDown() {
        if case .success(let directory) = directory { try? FileManager.default.removeItem(atPath: directory) }
        super.tearDown()
    }

    static func makeFiles() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-movie-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let sources = ["-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=44100", "-t", "4"]
        let x264 = ["-c:v", "libx264", "-g", "25"]
        let recipes: [(name: String, arguments: [String])] = [
            ("out.mp4", sources + x264 + ["-c:a", "aac"]),
            ("opus.mp4", sources + x264 + ["-bf", "0", "-c:a", "libopus"]),
            ("ulaw.mov", sources + x264 + ["-c:a", "pcm_mulaw"]),
            ("frag.mp4", sources + x264 + ["-c:a", "aac", "-movflags", "frag_keyframe+empty_moov"]),
            ("stereo.mov", ["-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=44100", "-t", "1", "-ac", "2", "-c:a", "aac"]),
            // out.mp4 again, stream copied, the audio half a second late: an initial empty edit.
            ("delayed.mp4", ["-i", directory + "/out.mp4", "-itsoffset", "0.5", "-i", directory + "/out.mp4",
                             "-map", "0:v", "-map", "1:a", "-c", "copy"]),
        ]
        for recipe in recipes {
            let result = try runProcess("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-y"] + recipe.arguments + [directory + "/" + recipe.name])
            guard result.err.isEmpty else { throw FixtureFailure(description: "ffmpeg \(recipe.name): \(result.err)") }
        }
        return directory
    }
}
