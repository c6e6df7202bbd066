import Container
import Encode
import MediaCore
import NIOCore
import TestSeeds
import XCTest

@testable import Record

/// The muxing state machine alone: units in at chosen instants, file actions out, read back
/// with the container reader. Parameter sets are x264's own (an `H264Encoder` is opened for
/// them); the pictures' NAL units are stand-ins, which the muxer never looks into.
final class SegmentWriterTests: XCTestCase {
    /// A thirtieth of a second, rounded up so that 30 pictures make a whole second (a camera's
    /// instants fall on both sides of it; truncation would put picture 30 just before).
    static let frame = MediaDuration(nanoseconds: 33_333_334)
    static let audioChunk = MediaDuration.milliseconds(20)

    var sps: [UInt8] = []
    var pps: [UInt8] = []

    override func setUpWithError() throws {
        let encoder = try H264Encoder(settings: H264Settings(width: 320, height: 240, frameRate: 30, bitrateKbps: 300))
        sps = encoder.sps
        pps = encoder.pps
    }

    /// An instance set up for use outside its own tests (the fuzzer's corpus).
    static func make() throws -> SegmentWriterTests {
        let instance = SegmentWriterTests(name: "corpus") { _ in }
        try instance.setUpWithError()
        return instance
    }

    func picture(_ index: Int, key: Bool) -> EncodedUnit {
        EncodedUnit(
            codec: .h264, parts: [[key ? 0x65 : 0x41, UInt8(index & 0xFF), 1, 2, 3]],
            instant: MediaInstant(nanoseconds: Int64(index) * Self.frame.nanoseconds + 1_000_000_000), isKeyFrame: key,
            duration: Self.frame, parameters: key ? .h264(sps: sps, pps: pps) : nil)
    }

    func sound(_ index: Int) -> EncodedUnit {
        EncodedUnit(
            codec: .pcmu, parts: [[UInt8](repeating: 0xFF, count: 160)],
            instant: MediaInstant(nanoseconds: Int64(index) * Self.audioChunk.nanoseconds + 1_000_000_000), isKeyFrame: true,
            sampleCount: 160, duration: Self.audioChunk, parameters: .g711(sampleRate: 8000))
    }

    func writer(segment: MediaDuration = .seconds(4), part: MediaDuration = .seconds(1), audio: Bool = true) -> SegmentWriter {
        SegmentWriter(configuration: .init(
            segmentDuration: segment, partDuration: part, width: 320, height: 240,
            audio: audio ? RecordedAudio.g711(track: 1, muLaw: true, sampleRate: 8000) : nil))
    }

    /// Feeds 10 s of pictures (a key frame every 60) and audio, interleaved in time order.
    func feed(_ writer: inout SegmentWriter, seconds: Int = 10, audioLag: Int = 0) -> [SegmentWriter.Action] {
        var actions: [SegmentWriter.Action] = []
        let pictures = seconds * 30
        let sounds = seconds * 50
        var p = 0
        var a = 0
        while p < pictures || a < sounds {
            let pictureTime = Int64(p) * Self.frame.nanoseconds
            let soundTime = Int64(a + audioLag) * Self.audioChunk.nanoseconds
            if p < pictures && (a >= sounds || pictureTime <= soundTime) {
                actions += writer.take(picture(p, key: p % 60 == 0), track: 0)
                p += 1
            } else {
                actions += writer.take(sound(a), track: 1)
                a += 1
            }
        }
        return actions + writer.finish()
    }

    /// The files the actions make, as bytes.
    func files(_ actions: [SegmentWriter.Action]) -> [ByteBuffer] {
        var files: [ByteBuffer] = []
        for action in actions {
            switch action {
            case .open(_, let initialization): files.append(initialization)
            case .write(let fragment, _): files[files.count - 1].writeImmutableBuffer(fragment)
            case .close: break
            }
        }
        return files
    }

    func testSegmentsStartOnKeyFramesAndPartsCutOnThePictureAfterEachSecond() throws {
        var writer = writer()
        let actions = feed(&writer)
        let opens = actions.compactMap { if case .open(let start, _) = $0 { return start } else { return nil } }
        // Key frames every 2 s; a segment closes at the first key frame ≥ 4 s after its start.
        XCTAssertEqual(opens.map { ($0.nanoseconds - 1_000_000_000) / 1_000_000 }, [0, 4000, 8000])  // ms
        let closes = actions.compactMap { if case .close(let end) = $0 { return end } else { return nil } }
        XCTAssertEqual(closes.count, 3)
        let files = files(actions)
        XCTAssertEqual(files.count, 3)
        var totalPictures = 0
        var totalAudio = 0
        for (number, file) in files.enumerated() {
            let read = try FragmentedMP4Reader.read(file)
            XCTAssertEqual(read.wholeEnd, file.readableBytes)
            XCTAssertEqual(read.tracks.map(\.timescale), [90_000, 8000])
            let video = read.fragments.compactMap { $0.first { $0.trackID == 1 } }
            XCTAssertTrue(video.first?.samples.first?.isSync ?? false, "segment \(number) starts on a key frame")
            // Parts of 30 pictures: each cut at the first picture at or past the next whole second.
            for run in video.dropLast() { XCTAssertEqual(run.samples.count, 30, "segment \(number)") }
            // Continuous media time: each run starts where the last ended; 3000 ticks a picture.
            var expected: UInt64 = 0
            for run in video {
                XCTAssertEqual(run.baseDecodeTime, expected)
                for sample in run.samples { XCTAssertEqual(sample.duration, 3000) }
                expected += run.samples.reduce(0) { $0 + UInt64($1.duration) }
            }
            let audio = read.fragments.compactMap { $0.first { $0.trackID == 2 } }
            // Audio starts with the first chunk captured at or after the segment's key frame.
            let start = opens[number].nanoseconds - 1_000_000_000
            let firstChunk = (start + Self.audioChunk.nanoseconds - 1) / Self.audioChunk.nanoseconds
            var audioExpected = UInt64(((firstChunk * Self.audioChunk.nanoseconds - start) * 8000 + 500_000_000) / 1_000_000_000)
            for run in audio {
                XCTAssertEqual(run.baseDecodeTime, audioExpected, "audio continues sample-exactly")
                audioExpected += UInt64(run.samples.count * 160)
            }
            totalPictures += video.reduce(0) { $0 + $1.samples.count }
            totalAudio += audio.reduce(0) { $0 + $1.samples.count }
        }
        XCTAssertEqual(totalPictures, 300, "every picture recorded once")
        XCTAssertEqual(totalAudio, 500, "every audio unit recorded once")
    }

    func testAPartWaitsForAudioThatLagsItsPictures() throws {
        var writer = writer(segment: .seconds(60))
        // Audio arrives 100 ms (5 chunks) after the pictures of the same instant.
        let actions = feed(&writer, seconds: 4, audioLag: 5)
        let read = try FragmentedMP4Reader.read(files(actions)[0])
        var audioUnits = 0
        for fragment in read.fragments {
            let video = try XCTUnwrap(fragment.first { $0.trackID == 1 })
            let audio = try XCTUnwrap(fragment.first { $0.trackID == 2 }, "every part has its audio, however late it came")
            // Both runs cover the same span: a part holds the chunks captured from its first
            // picture on, so its audio starts less than one chunk (20 ms) after the pictures.
            let videoStart = Double(video.baseDecodeTime) / 90_000
            let audioStart = Double(audio.baseDecodeTime) / 8000
            XCTAssertGreaterThanOrEqual(audioStart, videoStart - 1e-6)
            XCTAssertLessThanOrEqual(audioStart, videoStart + 0.020 + 1e-6, "within one chunk, to the tick")
            audioUnits += audio.samples.count
        }
        XCTAssertEqual(read.fragments.count, 4)
        XCTAssertEqual(audioUnits, 200, "4 s of 20 ms chunks, none lost or doubled")
    }

    func testNothingIsWrittenBeforeTheFirstKeyFrame() {
        var writer = writer()
        XCTAssertTrue(writer.take(picture(1, key: false), track: 0).isEmpty)
        XCTAssertTrue(writer.take(sound(3), track: 1).isEmpty)
        XCTAssertEqual(writer.picturesBeforeKeyFrame, 1)
        guard case .open? = writer.take(picture(2, key: true), track: 0).first else { return XCTFail("opens on the key frame") }
        XCTAssertTrue(writer.isRecording)
    }

    func testNewParameterSetsStartANewSegmentAtTheirKeyFrame() throws {
        var writer = writer(segment: .seconds(60), audio: false)
        var actions: [SegmentWriter.Action] = []
        for index in 0..<90 { actions += writer.take(picture(index, key: index % 60 == 0), track: 0) }
        var changed = picture(90, key: true)
        changed.parameters = .h264(sps: sps + [0], pps: pps)
        actions += writer.take(changed, track: 0)
        actions += writer.take(picture(91, key: false), track: 0)
        actions += writer.finish()
        XCTAssertEqual(files(actions).count, 2)
    }

    func testPicturesGoingBackInTimeAreDropped() throws {
        var writer = writer(audio: false)
        var actions = writer.take(picture(10, key: true), track: 0)
        actions += writer.take(picture(5, key: false), track: 0)
        actions += writer.take(picture(11, key: false), track: 0)
        actions += writer.finish()
        let read = try FragmentedMP4Reader.read(files(actions)[0])
        XCTAssertEqual(read.fragments.flatMap { $0.flatMap(\.samples) }.count, 2)
    }
}

/// Recorded files as the recovery scan and clips meet them after a crash or a bad disk:
/// seeded cuts and byte mutations of a real segment never crash the box reader, and every
/// sample it reports lies inside the file.
final class RecordedFileFuzzTests: XCTestCase {
    func testMutatedSegmentsNeverCrashTheReaderOrClips() throws {
        let writerTests = try SegmentWriterTests.make()
        var writer = writerTests.writer()
        let file = writerTests.files(writerTests.feed(&writer, seconds: 3))[0]
        let original = Array(file.readableBytesView)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-fuzz-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("20251202T000000.000Z.mp4").path

        let seed = TestSeed.value(default: 0x0F_11E5)
        var random = SeededRandom(seed: seed)
        for index in 0..<600 {
            var bytes = original
            if index % 3 == 0 {
                bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &random)))
            } else {
                for _ in 0..<Int.random(in: 1...8, using: &random) where !bytes.isEmpty {
                    let at = Int.random(in: 0..<bytes.count, using: &random)
                    bytes[at] = Bool.random(using: &random) ? UInt8.random(in: 0...255, using: &random) : [0, 0xFF, 8, 1][Int.random(in: 0..<4, using: &random)]
                }
            }
            FileManager.default.createFile(atPath: path, contents: Data(bytes))
            let place = "case \(index), \(TestSeed.describe(seed))"
            guard let read = try? RecordedFile(path: path) else { continue }
            XCTAssertLessThanOrEqual(read.wholeEnd, bytes.count, place)
            for fragment in read.fragments {
                for run in fragment.runs {
                    for sample in run.samples { XCTAssertLessThanOrEqual(sample.offset + Int(sample.size), bytes.count, place) }
                }
            }
            let segment = RecordedSegment(id: 1, stream: "live", file: path, start: 0, duration: 3_000_000_000, bytes: Int64(bytes.count), complete: true)
            if let plan = try? ClipPlan(segments: [segment], from: 0, to: 3_000_000_000) {
                XCTAssertNoThrow(try plan.read(0..<plan.length), place)
            }
        }
    }
}
