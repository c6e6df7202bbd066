import ArgumentParser
import Capture
import Encode
import Foundation
import MediaCore

/// `vigil encode-h263`: raw I420 pictures on stdin → an H.263 elementary stream on stdout,
/// through the same encoder the stream uses. Hidden: for benchmarks and tests.
struct EncodeH263: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode-h263",
        abstract: "Encode raw I420 from stdin to an H.263 stream on stdout (benchmarks, tests).",
        shouldDisplay: false)

    @Option(help: "Source picture width.") var width: Int
    @Option(help: "Source picture height.") var height: Int
    @Option(help: "Frames per second (capture instants are n / fps).") var fps = 30
    @Option(help: "Target bitrate in kbit/s.") var kbps = 384
    @Option(help: "Frames between intra pictures (default: 2 s worth).") var keyint: Int?
    @Flag(help: "Scale to the nearest standard format instead of a custom (PLUSPTYPE) size.") var standardFormat = false
    @Option(help: "Encode at most this many frames.") var frames: Int?

    /// Reads from stdin until `buffer` is full or the input ends; returns the bytes read.
    static func readFully(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        var filled = 0
        while filled < buffer.count {
            let n = read(STDIN_FILENO, buffer.baseAddress! + filled, buffer.count - filled)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            filled += n
        }
        return filled
    }

    static func writeFully(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { raw in
            var written = 0
            while written < raw.count {
                let n = write(STDOUT_FILENO, raw.baseAddress! + written, raw.count - written)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw ValidationError("stdout: write failed (errno \(errno))") }
                written += n
            }
        }
    }

    func run() throws {
        let format = H263PictureFormat.forSource(width: width, height: height, allowCustom: !standardFormat)
        let encoder = try H263Encoder(settings: H263Settings(
            width: width, height: height, format: format, frameRate: fps, bitrateKbps: kbps, keyFrameInterval: keyint))
        let frameSize = PixelFormat.i420.frameSize(width: width, height: height)
        // One picture buffer, reused: the frame shares it while it is encoded, and it is
        // unique again (no copy) when the next picture is read into it.
        var buffer = [UInt8](repeating: 0, count: frameSize)
        var output: [UInt8] = []
        var index: Int64 = 0
        var encodeNanoseconds: UInt64 = 0
        while frames.map({ index < Int64($0) }) ?? true {
            let filled = buffer.withUnsafeMutableBytes { Self.readFully(into: $0) }
            guard filled == frameSize else { break }
            let frame = RawFrame(
                format: .i420, width: width, height: height, bytes: buffer,
                instant: MediaInstant(nanoseconds: index * 1_000_000_000 / Int64(fps)), sequence: UInt64(index))
            let started = DispatchTime.now().uptimeNanoseconds
            let units = try encoder.encode(frame)
            encodeNanoseconds += DispatchTime.now().uptimeNanoseconds - started
            output.removeAll(keepingCapacity: true)
            for unit in units {
                for part in unit.parts { output += part }
            }
            try Self.writeFully(output)
            index += 1
        }
        let seconds = Double(encodeNanoseconds) / 1e9
        FileHandle.standardError.write(Data(
            "encoded \(index) frames at \(format) in \(String(format: "%.3f", seconds)) s (\(String(format: "%.1f", Double(index) / max(seconds, 1e-9))) fps)\n".utf8))
    }
}
