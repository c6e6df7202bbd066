import Access
import Foundation
import Hummingbird
import NIOCore
import Synchronization

/// Stills for tools that want a picture, not a stream: `GET /PATH/snapshot.jpg` (the latest
/// picture; `?width=` scales it down) and `GET /PATH/stream.mjpeg` (motion JPEG as
/// `multipart/x-mixed-replace`, `[http] mjpeg_fps` pictures a second or fewer with `?fps=`).
/// Both need the `read` permission on PATH (a user, or a token in `Authorization: Bearer` or
/// `?token=`, checked once per request: an MJPEG stream is one request), whatever the API's
/// own address. Every JPEG comes from the stream's `Snapshots`: one encode per picture and
/// width, however many ask.
extension StatusAPI {
    static let snapshotName = "snapshot.jpg"
    static let mjpegName = "stream.mjpeg"
    /// The multipart boundary of MJPEG responses.
    static let mjpegBoundary = "vigil-mjpeg-frame"

    func addSnapshotRoutes(to router: Router<StatusRequestContext>, vigil: Vigil) {
        router.get("**") { [weak self, weak vigil] request, context -> Response in
            guard let self, let vigil else { return Response(status: .serviceUnavailable) }
            var parts = context.parameters.getCatchAll().map(String.init)
            if let answer = try await self.hls(parts, request: request, context: context, vigil: vigil) { return answer }
            guard let last = parts.popLast(), last == Self.snapshotName || last == Self.mjpegName, !parts.isEmpty else {
                return Self.text(.notFound, "not found\n")
            }
            let path = parts.joined(separator: "/")
            if let refusal = await self.checkStream(request, context: context, permission: .read, path: path) { return refusal }
            guard let stream = vigil.streams.first(where: { $0.settings.path == path }) else {
                return Self.text(.notFound, "no stream \"\(path)\"\n")
            }
            guard let snapshots = stream.pipeline.snapshots else {
                return Self.text(.notFound, "stream \"\(path)\" plays a file: it has no raw pictures to take a snapshot of\n")
            }
            let query = request.uri.queryParameters
            var width: Int?
            if let asked = query["width"] {
                guard let value = Int(asked), value > 0 else {
                    return Self.text(.badRequest, "width must be a positive whole number of pixels, not \"\(asked)\"\n")
                }
                width = value
            }
            if last == Self.snapshotName {
                return try await self.snapshot(snapshots, width: width, path: path)
            }
            var rate = vigil.settings.http.mjpegFrameRate
            if let asked = query["fps"] {
                guard let value = Int(asked), value > 0 else {
                    return Self.text(.badRequest, "fps must be a positive whole number, not \"\(asked)\"\n")
                }
                rate = min(rate, value)
            }
            return await self.mjpeg(snapshots, width: width, rate: rate, channel: context.channel)
        }
    }

    private func snapshot(_ snapshots: Snapshots, width: Int?, path: String) async throws -> Response {
        guard let picture = try await snapshots.latest(width: width) else {
            return Response(
                status: .serviceUnavailable, headers: [.retryAfter: "1", .contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: "no picture yet\n")))
        }
        var headers: HTTPFields = [
            .contentType: "image/jpeg",
            // The latest picture changes many times a second: never served from a cache.
            .cacheControl: "no-store",
        ]
        headers[Self.frameHeader] = "\(picture.sequence)"
        headers[Self.captureHeader] = String(format: "%.6f", Double(picture.instant.nanoseconds) / 1e9)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: picture.jpeg)))
    }

    /// The picture's frame counter at its source, so a client can tell pictures apart.
    static let frameHeader = HTTPFields.Element.Name("X-Vigil-Frame")!
    /// When it was captured, on the media clock, in seconds.
    static let captureHeader = HTTPFields.Element.Name("X-Vigil-Capture-Time")!

    /// Kernel send buffer of an MJPEG connection. Left to autotuning, Linux grows it to
    /// megabytes (4 MiB on loopback), which a stalled viewer would later receive as seconds of
    /// old pictures; fixed here (the kernel doubles it), the backlog stays a few pictures.
    static let mjpegSendBuffer: Int32 = 64 * 1024

    /// One part per tick: the latest picture, skipped when it has not changed since the last
    /// part, or when the connection still holds unsent bytes (NIO's writability: under its
    /// high-water mark). A viewer that reads slowly gets fewer pictures, never a queue: what
    /// waits for it is bounded by the send buffer and one part.
    private func mjpeg(_ snapshots: Snapshots, width: Int?, rate: Int, channel: any Channel) async -> Response {
        try? await channel.setOption(ChannelOptions.socketOption(.so_sndbuf), value: SocketOptionValue(Self.mjpegSendBuffer)).get()
        let interval = Duration.nanoseconds(1_000_000_000 / Int64(rate))
        let boundary = Self.mjpegBoundary
        let body = ResponseBody { [self] writer in
            mjpegStreams.add(1, ordering: .relaxed)
            defer { mjpegStreams.subtract(1, ordering: .relaxed) }
            var lastSequence: UInt64?
            let clock = ContinuousClock()
            var next = clock.now
            while !Task.isCancelled {
                let (writable, active) = (try? await channel.eventLoop.submit { (channel.isWritable, channel.isActive) }.get()) ?? (false, false)
                // Gone: nothing will ever be writable again, and no write is left to fail.
                guard active else { break }
                if writable, let picture = try await snapshots.latest(width: width), picture.sequence != lastSequence {
                    lastSequence = picture.sequence
                    var part = ByteBuffer()
                    part.writeString(
                        "--\(boundary)\r\nContent-Type: image/jpeg\r\nContent-Length: \(picture.jpeg.count)\r\n"
                            + "X-Vigil-Frame: \(picture.sequence)\r\n\r\n")
                    part.writeBytes(picture.jpeg)
                    part.writeString("\r\n")
                    try await writer.write(part)
                }
                next = next.advanced(by: interval)
                if next < clock.now { next = clock.now }
                try await Task.sleep(until: next, clock: clock)
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "multipart/x-mixed-replace; boundary=\(boundary)", .cacheControl: "no-store"],
            body: body)
    }
}
