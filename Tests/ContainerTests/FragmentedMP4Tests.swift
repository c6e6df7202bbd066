import Capture
import Container
import Encode
import Foundation
import MediaCore
import NIOCore
import TestSeeds
import XCTest

/// The fMP4 writer and reader against the spec's box layout, against ffmpeg's muxer for the
/// same samples, and against ffprobe/ffmpeg decoding what Vigil writes.
final class FragmentedMP4Tests: XCTestCase {
    let epoch = MediaInstant(nanoseconds: 10_000_000_000)

    /// ISO/IEC 14496-12 §4.2: size (including the header), type, body; full boxes add version
    /// and flags.
    func testBoxHeaders() {
        var buffer = ByteBuffer()
        buffer.writeBox("free") { _ in }
        buffer.writeFullBox("mfhd", version: 0, flags: 0) { $0.writeInteger(UInt32(7)) }
        XCTAssertEqual(Array(buffer.readableBytesView), [
            0, 0, 0, 8, 0x66, 0x72, 0x65, 0x65,
            0, 0, 0, 16, 0x6D, 0x66, 0x68, 0x64, 0, 0, 0, 0, 0, 0, 0, 7,
        ])
        XCTAssertEqual(FourCC("moof").description, "moof")
    }

    /// 60 pictures from x264 (two key frames), in 1-s fragments.
    func encodedPictures() throws -> (units: [EncodedUnit], sps: [UInt8], pps: [UInt8]) {
        let settings = SyntheticVideoSettings(width: 320, height: 240, frameRate: 30)
        let encoder = try H264Encoder(settings: H264Settings(width: 320, height: 240, frameRate: 30, bitrateKbps: 400, keyFrameInterval: 30, threads: 1))
        var units: [EncodedUnit] = []
        for n in 0..<60 {
            units += try encoder.encode(SyntheticVideoSource.makeFrame(settings: settings, index: UInt64(n), epoch: epoch))
        }
        units += encoder.flush()
        return (units, encoder.sps, encoder.pps)
    }

    func write(_ units: [EncodedUnit], sps: [UInt8], pps: [UInt8]) throws -> ByteBuffer {
        let track = TrackDescription(id: 1, timescale: 90_000, media: .h264(try AVCConfiguration(sps: [sps], pps: [pps]), width: 320, height: 240))
        var file = FragmentedMP4.initializationSegment(tracks: [track])
        var decodeTime: UInt64 = 0
        var sequence: UInt32 = 1
        var index = 0
        while index < units.count {
            // A fragment from each key frame to the next.
            var end = index + 1
            while end < units.count && !units[end].isKeyFrame { end += 1 }
            let samples = units[index..<end].map { Sample(duration: 3000, isSync: $0.isKeyFrame, data: FragmentedMP4.avcSample(nalUnits: $0.parts)) }
            var fragment = FragmentedMP4.fragment(sequenceNumber: sequence, runs: [TrackRun(trackID: 1, baseDecodeTime: decodeTime, samples: samples)])
            file.writeBuffer(&fragment)
            decodeTime += UInt64(3000 * samples.count)
            sequence += 1
            index = end
        }
        return file
    }

    func testRoundTripKeepsEverySample() throws {
        let (units, sps, pps) = try encodedPictures()
        XCTAssertEqual(units.count, 60)
        let file = try write(units, sps: sps, pps: pps)
        let read = try FragmentedMP4Reader.read(file)
        XCTAssertEqual(read.wholeEnd, file.readableBytes)
        XCTAssertEqual(read.tracks.count, 1)
        guard case .h264(let configuration, let width, let height) = read.tracks[0].media else { return XCTFail("an H.264 track") }
        XCTAssertEqual(configuration.sequenceParameterSets, [sps])
        XCTAssertEqual(configuration.pictureParameterSets, [pps])
        XCTAssertEqual([width, height], [320, 240])
        XCTAssertEqual(read.tracks[0].timescale, 90_000)
        XCTAssertEqual(read.fragments.count, 2, "a fragment per key frame")
        let samples = read.fragments.flatMap { $0.flatMap(\.samples) }
        XCTAssertEqual(samples.count, 60)
        XCTAssertEqual(samples.map(\.isSync), units.map(\.isKeyFrame))
        XCTAssertEqual(read.fragments.map { $0[0].baseDecodeTime }, [0, 90_000])
        for (sample, unit) in zip(samples, units) {
            // Length-prefixed NAL units, as they came from the encoder.
            var data = sample.data
            var nals: [[UInt8]] = []
            while let length = data.readInteger(as: UInt32.self) { nals.append(data.readBytes(length: Int(length)) ?? []) }
            XCTAssertEqual(nals, unit.parts)
        }
    }

    /// What ffprobe and ffmpeg make of it: 60 frames of 320x240 H.264, two seconds, no
    /// decoder message.
    func testFFmpegDecodesWhatIsWritten() throws {
        let (units, sps, pps) = try encodedPictures()
        let path = try temporary("vigil.mp4", contents: try write(units, sps: sps, pps: pps))
        let probe = try run("/usr/bin/ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0",
                                                 "-show_entries", "stream=codec_name,width,height,nb_read_frames:format=duration", "-of", "default=nw=1", path])
        XCTAssertEqual(probe.err, "")
        let fields = Dictionary(uniqueKeysWithValues: probe.out.split(separator: "\n").compactMap { line -> (String, String)? in
            let kv = line.split(separator: "=", maxSplits: 1).map(String.init)
            return kv.count == 2 ? (kv[0], kv[1]) : nil
        })
        XCTAssertEqual(fields["codec_name"], "h264")
        XCTAssertEqual(fields["width"], "320")
        XCTAssertEqual(fields["height"], "240")
        XCTAssertEqual(fields["nb_read_frames"], "60")
        XCTAssertEqual(Double(fields["duration"] ?? "") ?? 0, 2.0, accuracy: 1.0 / 30)
        let decode = try run("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-i", path, "-f", "null", "-"])
        XCTAssertEqual(decode.err, "", "no decoder errors")
    }

    /// ffmpeg's own mp4 muxer, given the same pictures as Annex B: the same avcC bytes, the
    /// same sample bytes, sizes and sync flags, the same decode times.
    func testBoxesMatchFFmpegsMuxerForTheSameSamples() throws {
        let (units, sps, pps) = try encodedPictures()
        // Three-byte start codes: with four, ffmpeg keeps the extra zero as the previous NAL
        // unit's trailing_zero_8bits in the parameter sets it puts into avcC.
        let annexB = ByteBuffer(bytes: units.flatMap { $0.parts.flatMap { [0, 0, 1] + $0 } })
        let input = try temporary("in.h264", contents: annexB)
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("ffmpeg-\(UUID().uuidString).mp4").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let mux = try run("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-r", "30", "-i", input, "-c", "copy",
                                              "-movflags", "frag_keyframe+empty_moov+default_base_moof", "-video_track_timescale", "90000", output])
        XCTAssertEqual(mux.err, "")
        let theirs = try FragmentedMP4Reader.read(ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: output))))
        let ours = try FragmentedMP4Reader.read(try write(units, sps: sps, pps: pps))

        let theirMoov = try XCTUnwrap(Box.parseWhole(ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: output)))).boxes.first { $0.type == "moov" })
        let ourMoov = try XCTUnwrap(Box.parseWhole(try write(units, sps: sps, pps: pps)).boxes.first { $0.type == "moov" })
        func avcC(_ moov: Box) throws -> [UInt8] {
            let stsd = try XCTUnwrap(moov.child("trak", "mdia", "minf", "stbl", "stsd"))
            var entries = try stsd.fullBox().body
            entries.moveReaderIndex(forwardBy: 4)
            var entry = try XCTUnwrap(Box.parse(entries).first).body
            entry.moveReaderIndex(forwardBy: 78)
            return Array(try XCTUnwrap(Box.parse(entry).first { $0.type == "avcC" }).body.readableBytesView)
        }
        XCTAssertEqual(try avcC(ourMoov), try avcC(theirMoov), "avcC byte for byte")

        let theirSamples = theirs.fragments.flatMap { $0.flatMap(\.samples) }
        let ourSamples = ours.fragments.flatMap { $0.flatMap(\.samples) }
        XCTAssertEqual(ourSamples.count, theirSamples.count)
        XCTAssertEqual(ourSamples.map(\.data), theirSamples.map(\.data), "sample data byte for byte")
        XCTAssertEqual(ourSamples.map(\.isSync), theirSamples.map(\.isSync))
        XCTAssertEqual(ourSamples.map(\.duration), theirSamples.map(\.duration))
        XCTAssertEqual(ours.fragments.map { $0[0].baseDecodeTime }, theirs.fragments.map { $0[0].baseDecodeTime })
    }

    /// A file cut at any byte (a crash mid-write) reads as the whole fragments before the cut
    /// and says where they end; cut inside the moov, it is not a file.
    func testATornTailLeavesTheWholeFragments() throws {
        let (units, sps, pps) = try encodedPictures()
        let file = try write(units, sps: sps, pps: pps)
        let whole = try FragmentedMP4Reader.read(file)
        let boxes = Box.parseWhole(file).boxes
        let moov = try XCTUnwrap(boxes.first { $0.type == "moov" })
        let moovEnd = moov.offset + moov.size
        let fragmentEnds = boxes.filter { $0.type == "mdat" }.map { $0.offset + $0.size }
        let seed = TestSeed.value(default: 0x6D70_3400)
        var random = SeededRandom(seed: seed)
        for _ in 0..<200 {
            let cut = Int.random(in: 0..<file.readableBytes, using: &random)
            let torn = file.getSlice(at: file.readerIndex, length: cut)!
            guard cut >= moovEnd else {
                XCTAssertThrowsError(try FragmentedMP4Reader.read(torn), "cut at \(cut), inside the header; \(TestSeed.describe(seed))")
                continue
            }
            let read = try FragmentedMP4Reader.read(torn)
            let expected = fragmentEnds.filter { $0 <= cut }
            XCTAssertEqual(read.fragments.count, expected.count, "cut at \(cut); \(TestSeed.describe(seed))")
            XCTAssertEqual(read.wholeEnd, expected.last ?? moovEnd, "cut at \(cut); \(TestSeed.describe(seed))")
            XCTAssertEqual(read.fragments.map(\.count), Array(whole.fragments.prefix(expected.count)).map(\.count))
        }
    }

    /// Seeded mutations of a valid file: the reader answers or throws, never traps.
    func testMutatedFilesNeverCrashTheReader() throws {
        let (units, sps, pps) = try encodedPictures()
        let file = Array(try write(units, sps: sps, pps: pps).readableBytesView)
        let seed = TestSeed.value(default: 0x6D70_3401)
        var random = SeededRandom(seed: seed)
        var read = 0
        for _ in 0..<2000 {
            var bytes = file
            for _ in 0..<Int.random(in: 1...8, using: &random) {
                let at = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes[at] = UInt8.random(in: 0...255, using: &random)
                case 1: bytes[at] = [0x00, 0xFF, 0x01, 0x7F].randomElement(using: &random)!
                default: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...64, using: &random)))
                }
                if bytes.isEmpty { bytes = [0] }
            }
            if (try? FragmentedMP4Reader.read(ByteBuffer(bytes: bytes))) != nil { read += 1 }
        }
        XCTAssertGreaterThan(read, 0, "some mutations still read (sample bytes changed only); \(TestSeed.describe(seed))")
    }

    /// ISO/IEC 14496-15 §5.3.3.1.2: a High profile record carries chroma format and bit
    /// depths, read from the SPS.
    func testHighProfileRecordCarriesChromaAndBitDepth() throws {
        // profile_idc 100, level 31, sps_id 0 (ue "1"), chroma_format_idc 1 (ue "010"), bit
        // depths 0 and 0 ("1", "1"): bits 1 010 1 1 → 0b1010_1100.
        let sps: [UInt8] = [0x67, 100, 0, 31, 0b1010_1100, 0x80]
        let configuration = try AVCConfiguration(sps: [sps], pps: [[0x68, 0xCE, 0x3C, 0x80]])
        var body = ByteBuffer()
        configuration.write(into: &body)
        XCTAssertEqual(Array(body.readableBytesView.suffix(4)), [0xFD, 0xF8, 0xF8, 0x00])
        XCTAssertEqual(try AVCConfiguration(parsing: body), configuration)
        XCTAssertThrowsError(try AVCConfiguration(sps: [[0x68, 1, 2, 3]], pps: [[0x68]]), "a PPS is no SPS")
    }
}
