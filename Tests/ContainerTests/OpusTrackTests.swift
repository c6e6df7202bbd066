import Container
import Encode
import Foundation
import MediaCore
import NIOCore
import TestSeeds
import XCTest

/// Opus in fragmented MP4 ("Encapsulation of Opus in ISO Base Media File Format"): Vigil's
/// encoder through Vigil's writer, decoded by ffmpeg; the `Opus`/`dOps` sample entry against
/// what ffmpeg's mp4 muxer writes; write → read.
final class OpusTrackTests: XCTestCase {
    let epoch = MediaInstant(nanoseconds: 10_000_000_000)
    static let inputRate = 16_000
    static let toneFrequency = 1000.0
    /// −12 dBFS.
    static let toneAmplitude = 8192.0

    /// Two seconds of a 1 kHz tone at 16 kHz.
    static func tone(count: Int = 2 * inputRate) -> [Int16] {
        (0..<count).map { Int16(toneAmplitude * sin(2 * .pi * toneFrequency * Double($0) / Double(inputRate))) }
    }

    /// The tone through Vigil's encoder in 20 ms chunks: 100 units.
    func encodedTone() throws -> (units: [EncodedUnit], preSkip: Int) {
        let encoder = try OpusEncoder(sampleRate: Self.inputRate)
        let samples = Self.tone()
        var units: [EncodedUnit] = []
        for start in stride(from: 0, to: samples.count, by: 320) {
            let instant = epoch + MediaDuration(nanoseconds: Int64(start) * 1_000_000_000 / Int64(Self.inputRate))
            units += try encoder.encode(PCMChunk(samples: Array(samples[start..<start + 320]), sampleRate: Self.inputRate, channels: 1, instant: instant))
        }
        return (units, encoder.preSkip)
    }

    /// An fMP4 of one Opus track, a fragment per second (50 samples of 960 at 48 kHz).
    func write(_ units: [EncodedUnit], preSkip: Int) -> ByteBuffer {
        var file = FragmentedMP4.initializationSegment(tracks: [.opus(id: 1, preSkip: preSkip, inputSampleRate: Self.inputRate)])
        var decodeTime: UInt64 = 0
        for (index, start) in stride(from: 0, to: units.count, by: 50).enumerated() {
            let samples = units[start..<min(start + 50, units.count)].map {
                Sample(duration: UInt32($0.sampleCount), isSync: true, data: ByteBuffer(bytes: $0.parts[0]))
            }
            var fragment = FragmentedMP4.fragment(sequenceNumber: UInt32(index + 1), runs: [TrackRun(trackID: 1, baseDecodeTime: decodeTime, samples: samples)])
            file.writeBuffer(&fragment)
            decodeTime += UInt64(samples.reduce(0) { $0 + Int($1.duration) })
        }
        return file
    }

    /// §4.3.2, field by field: version 0, one channel, PreSkip 312 (0x0138), 16000 Hz input,
    /// gain 0, family 0 — all big-endian; the sample entry says 1 channel at 48000 (§4.3.1).
    func testOpusSpecificBoxFields() throws {
        let track = TrackDescription.opus(id: 2, preSkip: 312, inputSampleRate: 16_000)
        XCTAssertEqual(track.timescale, 48_000)
        guard case .audio(let format, let channels, let rate, let codecBox) = track.media else { return XCTFail("an audio track") }
        let box = try XCTUnwrap(codecBox)
        XCTAssertEqual([format, box.type], ["Opus", "dOps"])
        XCTAssertEqual([channels, rate], [1, 48_000])
        XCTAssertEqual(box.body, [
            0x00,  // Version
            0x01,  // OutputChannelCount
            0x01, 0x38,  // PreSkip 312
            0x00, 0x00, 0x3E, 0x80,  // InputSampleRate 16000
            0x00, 0x00,  // OutputGain 0 dB
            0x00,  // ChannelMappingFamily 0: no mapping table
        ])
        let parsed = try OpusConfiguration(parsing: ByteBuffer(bytes: box.body))
        XCTAssertEqual(parsed, OpusConfiguration(preSkip: 312, inputSampleRate: 16_000))
        XCTAssertThrowsError(try OpusConfiguration(parsing: ByteBuffer(bytes: [0x01] + box.body.dropFirst())), "version 1 is not read")
        XCTAssertThrowsError(try OpusConfiguration(parsing: ByteBuffer(bytes: Array(box.body.dropLast()) + [0x01])), "family 1 needs a table")
        XCTAssertThrowsError(try OpusConfiguration(parsing: ByteBuffer(bytes: Array(box.body.prefix(10)))), "cut short")
    }

    /// Write → read: the same track description, every packet as a sample of 960 ticks, all
    /// sync samples (§4.3.6.1), decode times a second apart.
    func testRoundTripKeepsEveryPacket() throws {
        let (units, preSkip) = try encodedTone()
        XCTAssertEqual(units.count, 100)
        let file = write(units, preSkip: preSkip)
        let read = try FragmentedMP4Reader.read(file)
        XCTAssertEqual(read.wholeEnd, file.readableBytes)
        XCTAssertEqual(read.tracks, [.opus(id: 1, preSkip: preSkip, inputSampleRate: Self.inputRate)])
        guard case .audio(_, _, _, let codecBox) = read.tracks[0].media else { return XCTFail("an audio track") }
        let box = try XCTUnwrap(codecBox)
        XCTAssertEqual(try OpusConfiguration(parsing: ByteBuffer(bytes: box.body)).preSkip, UInt16(preSkip))
        XCTAssertEqual(read.fragments.map { $0[0].baseDecodeTime }, [0, 48_000])
        let samples = read.fragments.flatMap { $0.flatMap(\.samples) }
        XCTAssertEqual(samples.map { Array($0.data.readableBytesView) }, units.map { $0.parts[0] })
        XCTAssertTrue(samples.allSatisfy { $0.duration == 960 && $0.isSync })
    }

    /// ffmpeg decodes what is written: Opus, 48 kHz, mono, no decoder message; two seconds less
    /// the pre-skip it drops (100 × 960 − 312 samples, within 20 ms of 2 s), and the input's tone:
    /// 1 kHz by zero crossings and by Goertzel against its neighbours, at the input's level, in
    /// phase with the input — which it is only when the pre-skip is dropped, since 312 samples
    /// are 6.5 periods of 1 kHz at 48 kHz: a missing or doubled pre-skip inverts it.
    func testFFmpegDecodesTheToneAfterThePreSkip() throws {
        let (units, preSkip) = try encodedTone()
        let path = try temporary("opus.mp4", contents: write(units, preSkip: preSkip))
        let probe = try run("/usr/bin/ffprobe", ["-v", "error", "-select_streams", "a:0",
                                                 "-show_entries", "stream=codec_name,sample_rate,channels", "-of", "default=nw=1", path])
        XCTAssertEqual(probe.err, "")
        XCTAssertEqual(probe.out.split(separator: "\n").sorted(), ["channels=1", "codec_name=opus", "sample_rate=48000"])

        let pcm = temporaryPath("decoded.s16")
        let decode = try run("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-i", path, "-f", "s16le", "-ac", "1", "-ar", "48000", pcm])
        XCTAssertEqual(decode.err, "", "no decoder errors")
        let decoded = try Data(contentsOf: URL(fileURLWithPath: pcm)).withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
        XCTAssertEqual(decoded.count, units.count * 960 - preSkip, "the pre-skip dropped, nothing else")
        XCTAssertEqual(Double(decoded.count) / 48_000, 2.0, accuracy: 0.020)

        // The middle, away from the encoder's start-up and the end.
        let body = decoded[4800..<(decoded.count - 4800)].map(Double.init)
        let seconds = Double(body.count) / 48_000
        let crossings = zip(body, body.dropFirst()).filter { ($0 < 0) != ($1 < 0) }.count
        XCTAssertEqual(Double(crossings), 2 * Self.toneFrequency * seconds, accuracy: 2 * Self.toneFrequency * seconds * 0.01, "zero crossings of 1 kHz")
        let tonePower = Self.goertzel(body, frequency: Self.toneFrequency, rate: 48_000)
        for other in [500.0, 1500.0, 2000.0, 3000.0] {
            XCTAssertGreaterThan(tonePower / Self.goertzel(body, frequency: other, rate: 48_000), 1000, "1 kHz 30 dB above \(other) Hz")
        }
        let rms = (body.reduce(0) { $0 + $1 * $1 } / Double(body.count)).squareRoot()
        XCTAssertEqual(20 * log10(rms / (Self.toneAmplitude / 2.0.squareRoot())), 0, accuracy: 1, "the input's level, within 1 dB")
        // Decoded sample n is input time n / 48000 s: correlate with the input tone there.
        let offset = 4800
        let reference = (0..<body.count).map { sin(2 * .pi * Self.toneFrequency * Double(offset + $0) / 48_000) }
        let correlation = zip(body, reference).reduce(0) { $0 + $1.0 * $1.1 } / (rms * (Double(body.count) / 2).squareRoot() * Double(body.count).squareRoot())
        XCTAssertGreaterThan(correlation, 0.9, "in phase with the input (normalized correlation \(correlation))")
    }

    /// The `dOps` box and `Opus` sample entry ffmpeg's mp4 muxer writes, byte for byte, twice:
    /// (1) for an Ogg Opus file from ffmpeg's own libopus fed the same 16 kHz PCM, whose
    /// OpusHead (RFC 7845 §5.1) gives pre-skip and input rate — our box built from those is
    /// theirs, and our encoder's pre-skip is the same; (2) for Vigil's own packets in an Ogg
    /// file written here, remuxed: the same entry, and every packet, duration and sync flag.
    func testSampleEntryMatchesFFmpegsMuxer() throws {
        // (1) ffmpeg's libopus.
        let pcm = try temporary("tone.s16", contents: ByteBuffer(bytes: Self.tone().flatMap { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] }))
        let ogg = temporaryPath("ffmpeg.opus")
        let encode = try run("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-f", "s16le", "-ar", "\(Self.inputRate)", "-ac", "1", "-i", pcm,
                                                 "-c:a", "libopus", "-b:a", "32k", ogg])
        XCTAssertEqual(encode.err, "")
        let head = try XCTUnwrap(Self.opusHead(in: try Data(contentsOf: URL(fileURLWithPath: ogg))), "an OpusHead in ffmpeg's Ogg")
        XCTAssertEqual(head.channels, 1)
        XCTAssertEqual(head.inputSampleRate, Self.inputRate)
        XCTAssertEqual(try OpusEncoder(sampleRate: Self.inputRate).preSkip, head.preSkip, "the same libopus delay")
        let theirs = try remuxedSampleEntry(ogg)
        let ours = try Self.sampleEntry(FragmentedMP4.initializationSegment(tracks: [.opus(id: 1, preSkip: head.preSkip, inputSampleRate: head.inputSampleRate)]))
        XCTAssertEqual(try Self.codecBox(ours), try Self.codecBox(theirs.entry), "dOps byte for byte")
        XCTAssertEqual(ours, theirs.entry, "the whole Opus sample entry byte for byte")

        // (2) Vigil's packets.
        let (units, preSkip) = try encodedTone()
        let vigilOgg = try temporary("vigil.opus", contents: ByteBuffer(bytes: OggOpusWriter.file(
            packets: units.map { $0.parts[0] }, preSkip: preSkip, inputSampleRate: Self.inputRate)))
        let remuxed = try remuxedSampleEntry(vigilOgg)
        let vigilEntry = try Self.sampleEntry(FragmentedMP4.initializationSegment(tracks: [.opus(id: 1, preSkip: preSkip, inputSampleRate: Self.inputRate)]))
        XCTAssertEqual(remuxed.entry, vigilEntry, "the same packets: the same sample entry")
        let theirSamples = remuxed.file.fragments.flatMap { $0.flatMap(\.samples) }
        let ourSamples = try FragmentedMP4Reader.read(write(units, preSkip: preSkip)).fragments.flatMap { $0.flatMap(\.samples) }
        XCTAssertEqual(theirSamples.map(\.data), ourSamples.map(\.data), "sample data byte for byte")
        XCTAssertEqual(theirSamples.map(\.duration), ourSamples.map(\.duration))
        XCTAssertEqual(theirSamples.map(\.isSync), ourSamples.map(\.isSync))
    }

    // MARK: - Helpers

    /// ffmpeg's fragmented mp4 of an Ogg Opus file, stream copied: its sample entry and the file.
    func remuxedSampleEntry(_ ogg: String) throws -> (entry: [UInt8], file: FragmentedMP4Reader.File) {
        let mp4 = temporaryPath("ffmpeg.mp4")
        let mux = try run("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-i", ogg, "-c", "copy",
                                              "-movflags", "frag_keyframe+empty_moov+default_base_moof", mp4])
        XCTAssertEqual(mux.err, "")
        let bytes = ByteBuffer(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: mp4))))
        return (try Self.sampleEntry(bytes), try FragmentedMP4Reader.read(bytes))
    }

    /// The whole first sample entry (header included) of the first track.
    static func sampleEntry(_ file: ByteBuffer) throws -> [UInt8] {
        let moov = try XCTUnwrap(Box.parseWhole(file).boxes.first { $0.type == "moov" })
        let stsd = try XCTUnwrap(moov.child("trak", "mdia", "minf", "stbl", "stsd"))
        var entries = try stsd.fullBox().body
        entries.moveReaderIndex(forwardBy: 4)
        let entry = try XCTUnwrap(Box.parse(entries).first)
        return Array(try XCTUnwrap(entries.getSlice(at: entries.readerIndex, length: entry.size)).readableBytesView)
    }

    /// The codec box (header included) after the 28 bytes of AudioSampleEntry fields.
    static func codecBox(_ entry: [UInt8]) throws -> [UInt8] {
        let body = ByteBuffer(bytes: Array(entry.dropFirst(8 + 28)))
        let box = try XCTUnwrap(Box.parse(body).first)
        XCTAssertEqual(box.type, "dOps")
        return Array(entry.dropFirst(8 + 28).prefix(box.size))
    }

    /// RFC 7845 §5.1 identification header, little-endian after the "OpusHead" magic: version,
    /// channel count, pre-skip, input sample rate.
    static func opusHead(in ogg: Data) -> (channels: Int, preSkip: Int, inputSampleRate: Int)? {
        let bytes = [UInt8](ogg)
        let magic = Array("OpusHead".utf8)
        guard let at = (0...(bytes.count - 19)).first(where: { Array(bytes[$0..<$0 + 8]) == magic }) else { return nil }
        let field = { (offset: Int, size: Int) in (0..<size).reduce(0) { $0 | Int(bytes[at + offset + $1]) << (8 * $1) } }
        return (field(9, 1), field(10, 2), field(12, 4))
    }

    /// The power at `frequency` in `samples` (the Goertzel recurrence).
    static func goertzel(_ samples: [Double], frequency: Double, rate: Double) -> Double {
        let coefficient = 2 * cos(2 * .pi * frequency / rate)
        var (s1, s2) = (0.0, 0.0)
        for x in samples { (s1, s2) = (x + coefficient * s1 - s2, s1) }
        return s1 * s1 + s2 * s2 - coefficient * s1 * s2
    }
}

/// Just enough Ogg (RFC 3533) and Ogg Opus (RFC 7845) to hand Vigil's packets to ffmpeg: the
/// identification and comment headers on their own pages, then one audio packet per page.
enum OggOpusWriter {
    static let serialNumber: UInt32 = 0x5649_4749  // "VIGI"

    static func file(packets: [[UInt8]], preSkip: Int, inputSampleRate: Int) -> [UInt8] {
        // RFC 7845 §5.1: magic, version 1, channels, pre-skip, input rate, gain, family (LE).
        var head = Array("OpusHead".utf8) + [1, 1]
        head += littleEndian(UInt64(preSkip), bytes: 2) + littleEndian(UInt64(inputSampleRate), bytes: 4) + [0, 0, 0]
        // §5.2: magic, vendor string, no user comments.
        let vendor = Array("Vigil tests".utf8)
        let tags = Array("OpusTags".utf8) + littleEndian(UInt64(vendor.count), bytes: 4) + vendor + littleEndian(0, bytes: 4)
        var file = page(head, flags: 0x02, granule: 0, sequence: 0)  // beginning of stream
        file += page(tags, flags: 0, granule: 0, sequence: 1)
        // §4: an audio page's granule position counts 48 kHz samples, pre-skip included, to the
        // end of its last packet; each of Vigil's packets is 20 ms.
        for (index, packet) in packets.enumerated() {
            let last = index == packets.count - 1
            file += page(packet, flags: last ? 0x04 : 0, granule: UInt64(960 * (index + 1)), sequence: UInt32(index + 2))
        }
        return file
    }

    /// RFC 3533 §6: one page holding one whole packet (lacing values of 255 then the rest).
    static func page(_ packet: [UInt8], flags: UInt8, granule: UInt64, sequence: UInt32) -> [UInt8] {
        var lacing = [UInt8](repeating: 255, count: packet.count / 255)
        lacing.append(UInt8(packet.count % 255))
        var page = Array("OggS".utf8) + [0, flags]
        page += littleEndian(granule, bytes: 8) + littleEndian(UInt64(serialNumber), bytes: 4) + littleEndian(UInt64(sequence), bytes: 4)
        page += [0, 0, 0, 0]  // CRC, filled in below
        page += [UInt8(lacing.count)] + lacing + packet
        let crc = checksum(page)
        for i in 0..<4 { page[22 + i] = UInt8(truncatingIfNeeded: crc >> (8 * i)) }
        return page
    }

    /// RFC 3533 §6: CRC-32, generator 0x04C11DB7, initial 0, not reflected, over the page with
    /// its CRC field zero.
    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0
        for byte in bytes {
            crc ^= UInt32(byte) << 24
            for _ in 0..<8 { crc = crc & 0x8000_0000 != 0 ? crc << 1 ^ 0x04C1_1DB7 : crc << 1 }
        }
        return crc
    }

    static func littleEndian(_ value: UInt64, bytes: Int) -> [UInt8] {
        (0..<bytes).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }
}

/// Seeded fuzzing of the `dOps` reader: any body either throws or reads back to itself.
final class OpusConfigurationFuzzTests: XCTestCase {
    func testAnyBodyThrowsOrRoundTrips() {
        let seed = TestSeed.value(default: 0xD0_B5)
        var random = SeededRandom(seed: seed)
        let valid = OpusConfiguration(outputChannelCount: 1, preSkip: 312, inputSampleRate: 16_000, outputGain: 0).body
        for index in 0..<20_000 {
            var bytes = index % 2 == 0 ? valid : (0..<Int.random(in: 0...14, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            if index % 2 == 0, !bytes.isEmpty {
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                if Bool.random(using: &random) { bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &random))) }
            }
            guard let parsed = try? OpusConfiguration(parsing: ByteBuffer(bytes: bytes)) else { continue }
            XCTAssertEqual(parsed.body, Array(bytes.prefix(parsed.body.count)), "case \(index) \(bytes), \(TestSeed.describe(seed))")
        }
    }
}
