import Container
import NIOCore
import XCTest

/// `MovieFile`'s sample tables, edit lists and fragments on boxes written by hand, field by
/// field (ISO/IEC 14496-12 §8.6–8.8): what ffmpeg's files do not have (stz2, co64, ctts
/// version 1, empty edits in version 1, a traf without tfdt) and what must be refused.
final class MovieSampleTableTests: XCTestCase {
    /// Five samples in two chunks (stsc: chunk 1 holds 2, from chunk 2 on 3 each), two stts
    /// runs, signed ctts, two sync samples, an empty edit of 500 ms then media_time 50.
    func testTablesByHand() throws {
        let moov = Self.movie(edits: { b in
            b.writeInteger(UInt32(2))  // entry_count
            b.writeInteger(UInt64(500))  // segment_duration: 500 ms in mvhd's 1/1000
            b.writeInteger(Int64(-1))  // media_time: an empty edit
            b.writeInteger(UInt32(0x0001_0000))  // rate 1.0
            b.writeInteger(UInt64(4000))
            b.writeInteger(Int64(50))  // media_time 50 at 1/8000
            b.writeInteger(UInt32(0x0001_0000))
        }, editsVersion: 1) { stbl in
            stbl.writeFullBox("stts", version: 0, flags: 0) { b in
                b.writeInteger(UInt32(2))
                b.writeInteger(UInt32(3)); b.writeInteger(UInt32(100))  // 3 samples of 100
                b.writeInteger(UInt32(2)); b.writeInteger(UInt32(200))  // 2 of 200
            }
            stbl.writeFullBox("ctts", version: 1, flags: 0) { b in
                b.writeInteger(UInt32(3))
                b.writeInteger(UInt32(1)); b.writeInteger(Int32(0))
                b.writeInteger(UInt32(1)); b.writeInteger(Int32(-50))
                b.writeInteger(UInt32(3)); b.writeInteger(Int32(25))
            }
            stbl.writeFullBox("stss", version: 0, flags: 0) { b in
                b.writeInteger(UInt32(2))
                b.writeInteger(UInt32(1)); b.writeInteger(UInt32(4))
            }
            stbl.writeFullBox("stsc", version: 0, flags: 0) { b in
                b.writeInteger(UInt32(2))
                b.writeInteger(UInt32(1)); b.writeInteger(UInt32(2)); b.writeInteger(UInt32(1))  // first_chunk, samples_per_chunk, sdi
                b.writeInteger(UInt32(2)); b.writeInteger(UInt32(3)); b.writeInteger(UInt32(1))
            }
            stbl.writeFullBox("stsz", version: 0, flags: 0) { b in
                b.writeInteger(UInt32(0))  // sample_size: each its own
                b.writeInteger(UInt32(5))
                for size: UInt32 in [10, 20, 30, 40, 50] { b.writeInteger(size) }
            }
            stbl.writeFullBox("co64", version: 0, flags: 0) { b in
                b.writeInteger(UInt32(2))
                b.writeInteger(UInt64(1000)); b.writeInteger(UInt64(0x1_0000_0000))  // past 4 GiB
            }
        }
        let tracks = try MovieFile.samples(moov: moov, fragments: [])
        XCTAssertEqual(tracks.count, 1)
        XCTAssertEqual(tracks[0].track.timescale, 8000)
        // 500 ms at 8 kHz = 4000 ticks of delay, less media_time 50: +3950.
        let expected: [(offset: Int, size: Int, decode: Int64, duration: UInt32, composition: Int32, sync: Bool)] = [
            (1000, 10, 0, 100, 0, true),
            (1010, 20, 100, 100, -50, false),
            (0x1_0000_0000, 30, 200, 100, 25, false),
            (0x1_0000_0000 + 30, 40, 300, 200, 25, true),
            (0x1_0000_0000 + 70, 50, 500, 200, 25, false),
        ]
        XCTAssertEqual(tracks[0].samples, expected.map {
            MovieSample(offset: $0.offset, size: $0.size, decodeTime: $0.decode, duration: $0.duration, compositionOffset: $0.composition,
                        isSync: $0.sync, presentationTime: $0.decode + Int64($0.composition) + 3950)
        })
    }

    /// stz2 (§8.7.3.3) with 4-bit fields, two to a byte, the first in the high nibble; and
    /// with 16-bit fields.
    func testCompactSampleSizes() throws {
        for (fieldSize, fields, sizes) in [(UInt8(4), [UInt8(0x3A), 0x70], [3, 10, 7]), (16, [0x01, 0x02, 0xFF, 0xFF, 0x00, 0x09], [258, 65535, 9])] {
            let moov = Self.movie { stbl in
                Self.writeOneChunk(of: 3, into: &stbl)
                stbl.writeFullBox("stz2", version: 0, flags: 0) { b in
                    b.writeBytes([0, 0, 0, fieldSize])  // reserved, field_size
                    b.writeInteger(UInt32(3))  // sample_count
                    b.writeBytes(fields)
                }
            }
            let samples = try MovieFile.samples(moov: moov, fragments: [])[0].samples
            XCTAssertEqual(samples.map(\.size), sizes, "field_size \(fieldSize)")
            XCTAssertEqual(samples.map(\.offset), [64, 64 + sizes[0], 64 + sizes[0] + sizes[1]])
            XCTAssertTrue(samples.allSatisfy(\.isSync), "no stss: all sync")
        }
    }

    /// ctts version 0 is unsigned by the spec; an offset of 0xFFFFFE00 is read as −512, as
    /// ffmpeg reads it (muxers have written negative offsets in version 0).
    func testCompositionOffsetsOfVersion0AreReadSigned() throws {
        let moov = Self.movie { stbl in
            Self.writeOneChunk(of: 1, into: &stbl)
            Self.writeSizes(count: 1, into: &stbl)
            stbl.writeFullBox("ctts", version: 0, flags: 0) { b in
                b.writeInteger(UInt32(1))
                b.writeInteger(UInt32(1)); b.writeInteger(UInt32(0xFFFF_FE00))
            }
        }
        XCTAssertEqual(try MovieFile.samples(moov: moov, fragments: [])[0].samples.map(\.compositionOffset), [-512])
    }

    /// What must be refused, each for the reason named.
    func testRefusals() {
        let cases: [(String, (inout ByteBuffer) -> Void)] = [
            ("co64 chunk_offset past Int.max", { stbl in
                Self.writeTimes(count: 1, into: &stbl)
                Self.writeSampleToChunk(samplesPerChunk: 1, into: &stbl)
                Self.writeSizes(count: 1, into: &stbl)
                stbl.writeFullBox("co64", version: 0, flags: 0) { b in b.writeInteger(UInt32(1)); b.writeInteger(UInt64(1) << 63) }
            }),
            ("a sample's end past Int.max", { stbl in
                Self.writeTimes(count: 2, into: &stbl)
                Self.writeSampleToChunk(samplesPerChunk: 2, into: &stbl)
                Self.writeSizes(count: 2, into: &stbl)
                stbl.writeFullBox("co64", version: 0, flags: 0) { b in b.writeInteger(UInt32(1)); b.writeInteger(UInt64(Int.max - 5)) }
            }),
            ("stsz sample_count over 10 million", { stbl in
                Self.writeOneChunk(of: 10_000_001, into: &stbl)
                stbl.writeFullBox("stsz", version: 0, flags: 0) { b in b.writeInteger(UInt32(1)); b.writeInteger(UInt32(10_000_001)) }
            }),
            ("stsz sizes past the box", { stbl in
                Self.writeOneChunk(of: 3, into: &stbl)
                stbl.writeFullBox("stsz", version: 0, flags: 0) { b in b.writeInteger(UInt32(0)); b.writeInteger(UInt32(3)); b.writeInteger(UInt32(7)) }
            }),
            ("stts entry_count past the box", { stbl in
                stbl.writeFullBox("stts", version: 0, flags: 0) { b in b.writeInteger(UInt32(2)); b.writeInteger(UInt32(1)); b.writeInteger(UInt32(1)) }
                Self.writeChunks(1, into: &stbl)
                Self.writeSizes(count: 1, into: &stbl)
            }),
            ("stts for fewer samples than stsz", { stbl in
                Self.writeTimes(count: 1, into: &stbl)
                Self.writeChunks(2, into: &stbl)
                Self.writeSizes(count: 2, into: &stbl)
            }),
            ("stsc placing more samples than stsz", { stbl in
                Self.writeTimes(count: 2, into: &stbl)
                Self.writeChunks(3, into: &stbl)
                Self.writeSizes(count: 2, into: &stbl)
            }),
            ("stsc starting at chunk 0", { stbl in
                Self.writeTimes(count: 1, into: &stbl)
                stbl.writeFullBox("stsc", version: 0, flags: 0) { b in
                    b.writeInteger(UInt32(1)); b.writeInteger(UInt32(0)); b.writeInteger(UInt32(1)); b.writeInteger(UInt32(1))
                }
                Self.writeSizes(count: 1, into: &stbl)
                stbl.writeFullBox("stco", version: 0, flags: 0) { b in b.writeInteger(UInt32(1)); b.writeInteger(UInt32(0)) }
            }),
            ("stsc placing more than 10 million samples", { stbl in
                Self.writeTimes(count: 1, into: &stbl)
                stbl.writeFullBox("stsc", version: 0, flags: 0) { b in
                    b.writeInteger(UInt32(1)); b.writeInteger(UInt32(1)); b.writeInteger(UInt32.max); b.writeInteger(UInt32(1))
                }
                Self.writeSizes(count: 1, into: &stbl)
                stbl.writeFullBox("stco", version: 0, flags: 0) { b in b.writeInteger(UInt32(3)); b.writeBytes([UInt8](repeating: 0, count: 12)) }
            }),
            ("no stsz", { stbl in
                Self.writeTimes(count: 1, into: &stbl)
                Self.writeChunks(1, into: &stbl)
            }),
        ]
        for (name, tables) in cases {
            XCTAssertThrowsError(try MovieFile.samples(moov: Self.movie(tables: tables), fragments: []), name) { error in
                XCTAssertTrue(error is ContainerError, "\(name): \(error)")
            }
        }
        let badEdit = Self.movie(edits: { b in
            b.writeInteger(UInt32(1)); b.writeInteger(UInt32(1000)); b.writeInteger(Int32(-2)); b.writeInteger(UInt32(0x0001_0000))
        }, tables: { stbl in
            Self.writeTimes(count: 1, into: &stbl)
            Self.writeChunks(1, into: &stbl)
            Self.writeSizes(count: 1, into: &stbl)
        })
        XCTAssertThrowsError(try MovieFile.samples(moov: badEdit, fragments: []), "elst media_time −2")
    }

    /// Vigil's own initialization segment (empty tables, no edit list) and two fragments written
    /// by hand: the first with a tfdt of 1000, the second without one, so it continues where
    /// the first ends (§8.8.12); data from the moof (default-base-is-moof), sizes from the trun,
    /// durations from tfhd's default_sample_duration, flags from trex's (0: sync).
    func testFragmentWithoutDecodeTimeContinuesTheTrack() throws {
        let track = TrackDescription(id: 7, timescale: 8000, media: .audio(format: "ulaw", channels: 1, sampleRate: 8000, codecBox: nil))
        var file = FragmentedMP4.initializationSegment(tracks: [track])
        func fragment(decodeTime: UInt64?, sizes: [UInt32]) {
            file.writeBox("moof") { moof in
                moof.writeFullBox("mfhd", version: 0, flags: 0) { $0.writeInteger(UInt32(1)) }
                moof.writeBox("traf") { traf in
                    // default-sample-duration present (0x08), default-base-is-moof (0x020000)
                    traf.writeFullBox("tfhd", version: 0, flags: 0x02_0008) { b in b.writeInteger(UInt32(7)); b.writeInteger(UInt32(160)) }
                    if let decodeTime { traf.writeFullBox("tfdt", version: 1, flags: 0) { $0.writeInteger(decodeTime) } }
                    // data-offset (0x01), sample-size (0x200)
                    traf.writeFullBox("trun", version: 0, flags: 0x0201) { b in
                        b.writeInteger(UInt32(sizes.count))
                        b.writeInteger(Int32(1000))  // from the moof; bytes there need not exist for layouts
                        for size in sizes { b.writeInteger(size) }
                    }
                }
            }
        }
        fragment(decodeTime: 1000, sizes: [160, 160])
        fragment(decodeTime: nil, sizes: [80])
        let top = try Box.parse(file)
        let moov = try XCTUnwrap(top.first { $0.type == "moov" })
        let moofs = top.filter { $0.type == "moof" }
        let samples = try MovieFile.samples(moov: moov, fragments: moofs)[0].samples
        XCTAssertEqual(samples.map(\.decodeTime), [1000, 1160, 1320])
        XCTAssertEqual(samples.map(\.presentationTime), [1000, 1160, 1320], "no edit list")
        XCTAssertEqual(samples.map(\.offset), [moofs[0].offset + 1000, moofs[0].offset + 1160, moofs[1].offset + 1000])
        XCTAssertEqual(samples.map(\.duration), [160, 160, 160])
        XCTAssertTrue(samples.allSatisfy(\.isSync), "trex flags 0: sync")
    }

    // MARK: - Writing the boxes

    /// A `moov` (mvhd at 1/1000) of one sound track 1 (`ulaw`, 8 kHz, media at 1/`timescale`)
    /// whose `stbl` holds an `stsd` and then what `tables` writes; with `edits`, an `edts`
    /// whose `elst` body (after version and flags) `edits` writes.
    static func movie(timescale: UInt32 = 8000, edits: ((inout ByteBuffer) -> Void)? = nil, editsVersion: UInt8 = 0,
                      tables: (inout ByteBuffer) -> Void) -> Box {
        var buffer = ByteBuffer()
        buffer.writeBox("moov") { moov in
            moov.writeFullBox("mvhd", version: 0, flags: 0) { b in
                b.writeInteger(UInt32(0)); b.writeInteger(UInt32(0))  // creation, modification
                b.writeInteger(UInt32(1000))  // timescale
                b.writeInteger(UInt32(0))  // duration
                b.writeRepeatingByte(0, count: 80)  // rate … next_track_ID, unread
            }
            moov.writeBox("trak") { trak in
                trak.writeFullBox("tkhd", version: 0, flags: 3) { b in
                    b.writeInteger(UInt32(0)); b.writeInteger(UInt32(0))
                    b.writeInteger(UInt32(1))  // track_ID
                    b.writeRepeatingByte(0, count: 72)
                }
                if let edits {
                    trak.writeBox("edts") { $0.writeFullBox("elst", version: editsVersion, flags: 0, edits) }
                }
                trak.writeBox("mdia") { mdia in
                    mdia.writeFullBox("mdhd", version: 0, flags: 0) { b in
                        b.writeInteger(UInt32(0)); b.writeInteger(UInt32(0))
                        b.writeInteger(timescale)
                        b.writeInteger(UInt32(0))
                        b.writeInteger(UInt32(0x55C4_0000))  // language "und", pre_defined
                    }
                    mdia.writeFullBox("hdlr", version: 0, flags: 0) { b in
                        b.writeInteger(UInt32(0))
                        b.writeInteger(FourCC("soun").rawValue)
                        b.writeRepeatingByte(0, count: 13)  // reserved, empty name
                    }
                    mdia.writeBox("minf") { minf in
                        minf.writeBox("stbl") { stbl in
                            stbl.writeFullBox("stsd", version: 0, flags: 0) { b in
                                b.writeInteger(UInt32(1))
                                b.writeBox("ulaw") { e in
                                    e.writeRepeatingByte(0, count: 6)
                                    e.writeInteger(UInt16(1))  // data_reference_index
                                    e.writeRepeatingByte(0, count: 8)  // version, revision, vendor
                                    e.writeInteger(UInt16(1))  // channelcount
                                    e.writeInteger(UInt16(16))  // samplesize
                                    e.writeInteger(UInt32(0))  // compression_ID, packet_size
                                    e.writeInteger(UInt32(8000) << 16)  // samplerate 16.16
                                }
                            }
                            tables(&stbl)
                        }
                    }
                }
            }
        }
        return try! Box.parse(buffer).first!
    }

    /// stts of `count` samples of 1 tick; stsc of one entry (`count` samples in chunk 1); stco
    /// of one chunk at 64.
    static func writeOneChunk(of count: UInt32, into stbl: inout ByteBuffer) {
        writeTimes(count: count, into: &stbl)
        stbl.writeFullBox("stsc", version: 0, flags: 0) { b in
            b.writeInteger(UInt32(1)); b.writeInteger(UInt32(1)); b.writeInteger(count); b.writeInteger(UInt32(1))
        }
        stbl.writeFullBox("stco", version: 0, flags: 0) { b in b.writeInteger(UInt32(1)); b.writeInteger(UInt32(64)) }
    }

    static func writeTimes(count: UInt32, into stbl: inout ByteBuffer) {
        stbl.writeFullBox("stts", version: 0, flags: 0) { b in b.writeInteger(UInt32(1)); b.writeInteger(count); b.writeInteger(UInt32(1)) }
    }

    /// stsc of one entry: `samplesPerChunk` in every chunk from the first.
    static func writeSampleToChunk(samplesPerChunk: UInt32, into stbl: inout ByteBuffer) {
        stbl.writeFullBox("stsc", version: 0, flags: 0) { b in
            b.writeInteger(UInt32(1)); b.writeInteger(UInt32(1)); b.writeInteger(samplesPerChunk); b.writeInteger(UInt32(1))
        }
    }

    /// stsc of one sample per chunk, for `count` chunks of stco at 0, 100, 200 …
    static func writeChunks(_ count: UInt32, into stbl: inout ByteBuffer) {
        writeSampleToChunk(samplesPerChunk: 1, into: &stbl)
        stbl.writeFullBox("stco", version: 0, flags: 0) { b in
            b.writeInteger(count)
            for chunk in 0..<count { b.writeInteger(chunk * 100) }
        }
    }

    /// stsz of `count` samples of 10 bytes.
    static func writeSizes(count: UInt32, into stbl: inout ByteBuffer) {
        stbl.writeFullBox("stsz", version: 0, flags: 0) { b in b.writeInteger(UInt32(10)); b.writeInteger(count) }
    }
}
