import Foundation
import MediaCore
import XCTest

@testable import Capture

final class SyntheticSourceTests: XCTestCase {
    let epoch = MediaInstant(nanoseconds: 7_000_000_000)

    func meanLuma(_ frame: RawFrame) -> Double {
        let luma = frame.width * frame.height
        return Double(frame.bytes[0..<luma].reduce(0) { $0 + Int($1) }) / Double(luma)
    }

    /// One white picture exactly at each sync instant; every other picture dark; instants exact.
    func testSyncMarksAreExactlyOneWhitePictureEveryInterval() {
        for pattern in SyntheticVideoSettings.Pattern.allCases {
            for rate in [30, 25, 15] {
                let settings = SyntheticVideoSettings(width: 64, height: 48, frameRate: rate, pattern: pattern)
                var white: [UInt64] = []
                for n in UInt64(0)..<UInt64(rate * 5) {
                    let frame = SyntheticVideoSource.makeFrame(settings: settings, index: n, epoch: epoch)
                    XCTAssertEqual(frame.instant.nanoseconds, epoch.nanoseconds + Int64(n) * 1_000_000_000 / Int64(rate))
                    XCTAssertEqual(frame.bytes.count, 64 * 48 * 3 / 2)
                    if frame.bytes[0..<(64 * 48)].allSatisfy({ $0 == 255 }) && frame.bytes[(64 * 48)...].allSatisfy({ $0 == 128 }) {
                        white.append(n)
                    } else {
                        XCTAssertLessThan(meanLuma(frame), 160, "\(pattern) \(rate) fps picture \(n)")
                    }
                }
                let expected = stride(from: UInt64(0), to: UInt64(rate * 5), by: 2 * rate).map { $0 }
                XCTAssertEqual(white, expected, "\(pattern) at \(rate) fps")
                for n in white {
                    let instant = SyntheticVideoSource.makeFrame(settings: settings, index: n, epoch: epoch).instant
                    XCTAssertEqual((instant.nanoseconds - epoch.nanoseconds) % 2_000_000_000, 0)
                }
            }
        }
    }

    func testPicturesMoveAndNoiseIsFresh() {
        for pattern in SyntheticVideoSettings.Pattern.allCases {
            let settings = SyntheticVideoSettings(width: 160, height: 120, frameRate: 30, pattern: pattern)
            var generator = SyntheticPicture(settings: settings)
            let a = generator.frame(index: 1, epoch: epoch).bytes
            let b = generator.frame(index: 2, epoch: epoch).bytes
            XCTAssertNotEqual(a, b, "\(pattern): consecutive pictures differ")
        }
    }

    /// The beep starts at exactly the sync instant, lasts 100 ms at 1 kHz, and the sound
    /// between beeps stays below −30 dBFS.
    func testBeepStartsOnTheSyncInstant() {
        let settings = SyntheticAudioSettings()
        var samples: [Int16] = []
        var instants: [MediaInstant] = []
        for k in UInt64(0)..<250 {  // 5 s of 20 ms chunks
            let chunk = SyntheticAudioSource.makeChunk(settings: settings, index: k, epoch: epoch)
            XCTAssertEqual(chunk.samples.count, 160)
            instants.append(chunk.instant)
            samples += chunk.samples
        }
        XCTAssertEqual(instants[100].nanoseconds - epoch.nanoseconds, 2_000_000_000, "chunk 100 starts at 2 s")
        let loud = Int16(32767 * pow(10, -20.0 / 20))
        for mark in [0, 16_000, 32_000] {
            XCTAssertGreaterThan(samples[mark], loud, "beep at full level on the mark's own sample")
            XCTAssertLessThan(abs(Int(samples[mark - (mark > 0 ? 1 : 0)])), mark > 0 ? Int(loud) : Int.max, "silence just before")
            // 100 ms of beep: 800 samples, 100 cycles of 1 kHz → ~200 zero crossings.
            let beep = samples[mark..<(mark + 800)]
            let crossings = zip(beep, beep.dropFirst()).filter { ($0 < 0) != ($1 < 0) }.count
            XCTAssertEqual(Double(crossings), 200, accuracy: 4)
            let after = samples[(mark + 800)..<(mark + 900)]
            XCTAssertLessThan(after.map { abs(Int($0)) }.max() ?? 0, Int(loud))
        }
        // Between beeps: RMS below −30 dBFS.
        let quiet = samples[1000..<15_000].map { Double($0) / 32768 }
        let rms = sqrt(quiet.reduce(0) { $0 + $1 * $1 } / Double(quiet.count))
        XCTAssertLessThan(20 * log10(rms), -30)
        XCTAssertGreaterThan(20 * log10(rms), -50, "the tone is there")
    }

    /// Both sources pace in real time, stop within a frame, and hand nothing over early: each
    /// picture reaches a reader no earlier than its capture instant, each chunk no earlier than
    /// its end (`instant + duration`: a chunk is captured when its last sample is). The reader
    /// reads the media clock the moment `pop` returns, so a late unit (a loaded machine) passes
    /// and only an early one fails.
    func testSourcesPaceInRealTimeAndStopPromptly() throws {
        let videoQueue = BoundedQueue<RawFrame>(capacity: 100)
        let audioQueue = BoundedQueue<PCMChunk>(capacity: 100)
        let start = MediaClock.now() + .milliseconds(20)
        let videoSettings = SyntheticVideoSettings(width: 64, height: 48, frameRate: 30)
        let video = SyntheticVideoSource(settings: videoSettings, epoch: start, output: videoQueue)
        let audio = SyntheticAudioSource(settings: SyntheticAudioSettings(), epoch: start, output: audioQueue)
        let videoReader = Reader(videoQueue)
        let audioReader = Reader(audioQueue)
        video.start()
        audio.start()
        Thread.sleep(forTimeInterval: 0.52)
        let stopBegan = MediaClock.now()
        video.stop()
        audio.stop()
        XCTAssertLessThan((MediaClock.now() - stopBegan).seconds, 0.2, "stop within a frame or chunk")
        XCTAssertEqual(Double(video.framesProduced), 15, accuracy: 3)
        XCTAssertEqual(Double(audio.chunksProduced), 25, accuracy: 3)
        videoQueue.close()
        audioQueue.close()
        let pictures = videoReader.finish()
        let chunks = audioReader.finish()

        XCTAssertEqual(UInt64(pictures.count), video.framesProduced, "the reader saw every picture")
        XCTAssertEqual(UInt64(chunks.count), audio.chunksProduced, "the reader saw every chunk")
        let videoMargin = pictures.map { ($1 - $0.instant).seconds * 1000 }.min() ?? .nan
        let audioMargin = chunks.map { ($1 - ($0.instant + $0.duration)).seconds * 1000 }.min() ?? .nan
        print("Synthetic sources: earliest picture \(videoMargin) ms after its instant, earliest chunk \(audioMargin) ms after its end")
        // Each picture was handed over no earlier than its capture instant.
        for (frame, received) in pictures {
            XCTAssertGreaterThanOrEqual(received, frame.instant, "picture \(frame.sequence) received \((frame.instant - received).seconds * 1000) ms before its instant")
        }
        // Each chunk was handed over no earlier than the end of its last sample.
        for (chunk, received) in chunks {
            XCTAssertGreaterThanOrEqual(received, chunk.instant + chunk.duration, "chunk at \(chunk.instant) received \((chunk.instant + chunk.duration - received).seconds * 1000) ms before its end")
        }
        // Instants on the frame grid, in order; a picture skipped on a stalled machine leaves
        // a gap in the sequence, which the source counts.
        let sequences = pictures.map(\.0.sequence)
        XCTAssertEqual(sequences, sequences.sorted())
        XCTAssertEqual(Set(sequences).count, sequences.count, "no picture twice")
        for (frame, _) in pictures {
            XCTAssertEqual(frame.instant, SyntheticVideoSource.instant(of: frame.sequence, settings: videoSettings, epoch: start))
        }
        if let last = sequences.last {
            // At most: the source may skip once more after the last picture, just as it stops.
            XCTAssertLessThanOrEqual(last + 1 - UInt64(sequences.count), video.framesSkipped, "every gap is a skipped picture")
        }
    }
}

/// Pops a queue on its own thread until the queue is closed and drained, stamping each item
/// with the media clock the moment `pop` hands it over.
///
/// `@unchecked Sendable`: `items` is written by the reader thread alone until it signals
/// `done`, and read only after `finish()` has waited for that signal.
private final class Reader<Element: Sendable>: @unchecked Sendable {
    private var items: [(Element, MediaInstant)] = []
    private let done = DispatchSemaphore(value: 0)

    init(_ queue: BoundedQueue<Element>) {
        let thread = Thread { [self] in
            while let item = queue.pop() {
                items.append((item, MediaClock.now()))
            }
            done.signal()
        }
        thread.start()
    }

    /// Waits for the queue to be closed and drained; the items with their arrival instants.
    func finish() -> [(Element, MediaInstant)] {
        done.wait()
        return items
    }
}
