import Encode
import Foundation
import MediaCore
import NIOPosix
import Synchronization

/// The latest raw picture of a stream, and JPEGs of it on demand.
///
/// The video encoder's thread hands every picture here before encoding it (a reference to
/// its bytes, no copy). A JPEG is made only when someone asks, once per picture and width:
/// requests for the same picture wait for the one encode in progress, and later ones get the
/// cached bytes until a newer picture arrives. So a burst of 100 snapshot requests, or any
/// number of MJPEG viewers, costs one JPEG encode per picture.
public final class Snapshots: Sendable {
    /// One JPEG of one picture.
    public struct Picture: Sendable {
        public var jpeg: [UInt8]
        public var width: Int
        public var height: Int
        /// The source's frame counter and capture instant of the picture.
        public var sequence: UInt64
        public var instant: MediaInstant
    }

    private struct Key: Hashable {
        var sequence: UInt64
        var width: Int?
    }

    private struct State {
        var latest: RawFrame?
        /// Encodes done or running for the latest picture, by width asked.
        var jpegs: [Key: Task<Picture, any Error>] = [:]
        var encodes: UInt64 = 0
    }

    private let state = Mutex(State())
    private let quality: Int

    public init(quality: Int) {
        self.quality = quality
    }

    /// The encoder thread's hand-off: `frame` is now the latest picture.
    public func offer(_ frame: RawFrame) {
        state.withLock { state in
            state.latest = frame
            // Encodes for older pictures finish for those already waiting; nobody new joins them.
            state.jpegs = state.jpegs.filter { $0.key.sequence == frame.sequence }
        }
    }

    /// JPEG encodes so far (for the status API and the tests).
    public var encodes: UInt64 { state.withLock { $0.encodes } }

    /// Whether any picture has arrived yet.
    public var hasPicture: Bool { state.withLock { $0.latest != nil } }

    /// A JPEG of the latest picture, `width` pixels wide at most (nil: the picture's own);
    /// nil before the first picture.
    public func latest(width: Int? = nil) async throws -> Picture? {
        let task: Task<Picture, any Error>? = state.withLock { state in
            guard let frame = state.latest else { return nil }
            let width = width.flatMap { $0 < frame.width ? $0 : nil }
            let key = Key(sequence: frame.sequence, width: width)
            if let running = state.jpegs[key] { return running }
            state.encodes += 1
            let quality = self.quality
            let task = Task {
                try await NIOThreadPool.singleton.runIfActive {
                    let encoder = try JPEGEncoder(quality: quality)
                    let jpeg = try encoder.encode(frame, width: width)
                    let size = JPEGEncoder.outputSize(of: frame, width: width)
                    return Picture(jpeg: jpeg, width: size.width, height: size.height, sequence: frame.sequence, instant: frame.instant)
                }
            }
            state.jpegs[key] = task
            return task
        }
        return try await task?.value
    }
}
