import Access
import Foundation
import Hummingbird
import MediaCore
import NIOCore
import NIOPosix
import Record

/// The recordings routes: `GET /api/v1/recordings/PATH?start=&end=` lists what is recorded
/// as spans and gaps (JSON), and `GET /api/v1/recordings/PATH/clip.mp4?start=&end=` (or
/// `duration=`) returns one MP4 of it, with `Content-Length`, `Accept-Ranges: bytes` and
/// 206 for a byte range. Both need the `playback` permission on PATH (a user, or a token in
/// `Authorization: Bearer` or `?token=`), whatever the API's own address.
extension StatusAPI {
    /// Longest clip one request may ask for: a day of 2 Mbit/s is 21 GB.
    static let longestClip: Int64 = 86_400 * 1_000_000_000
    /// Bytes read from the files per write to the client.
    static let clipChunkBytes = 256 * 1024

    func addRecordingRoutes(to router: Router<StatusRequestContext>, vigil: Vigil) {
        router.get("api/v1/recordings/**") { [weak self, weak vigil] request, context -> Response in
            guard let self, let vigil else { return Response(status: .serviceUnavailable) }
            var parts = context.parameters.getCatchAll().map(String.init)
            let wantsClip = parts.last == "clip.mp4"
            if wantsClip { parts.removeLast() }
            let path = parts.joined(separator: "/")
            if let refusal = await self.checkStream(request, context: context, permission: .playback, path: path) { return refusal }
            let configured = vigil.settings.streams.contains { $0.path == path && $0.record.enabled }
            let index = vigil.recordings.index
            let known: Bool
            if let index, !configured {
                known = try await !index.segments(stream: path, from: 0, to: .max).isEmpty
            } else {
                known = index != nil
            }
            guard let index, known else {
                return Self.text(.notFound, "no recordings for stream \"\(path)\"\n")
            }
            let query: RecordingQuery
            switch RecordingQuery.parse(request.uri.queryParameters, now: MediaClock.wallClockNanoseconds(), clip: wantsClip) {
            case .success(let parsed): query = parsed
            case .failure(let problem): return Self.text(.badRequest, "\(problem.description)\n")
            }
            let segments = try await index.segments(stream: path, from: query.start, to: query.end)
            if !wantsClip {
                let listing = RecordingListing(stream: path, from: query.start, to: query.end, segments: segments)
                return Response(
                    status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                    body: .init(byteBuffer: ByteBuffer(bytes: try RecordingListing.encoder.encode(listing))))
            }
            return try await self.clip(request, stream: path, query: query, segments: segments, leases: vigil.recordings.leases)
        }
    }

    /// Nil when the policy allows `permission` on stream `path` (credentials, a Bearer token,
    /// or `?token=`); else the refusal to answer with.
    /// `spendsTokenUse`: the request opens a session (an HLS playlist session), which spends
    /// one of a token's uses as an RTSP session does; other requests only need it unspent.
    func checkStream(
        _ request: Request, context: StatusRequestContext, permission: Permission, path: String, spendsTokenUse: Bool = false
    ) async -> Response? {
        var accessRequest = HTTPAccess.accessRequest(request, context: context, action: AccessAction(permission, path: path))
        accessRequest.spendsTokenUse = spendsTokenUse
        if case .none = accessRequest.credentials, let token = request.uri.queryParameters["token"] {
            accessRequest.credentials = .token(String(token))
        }
        switch await access.decide(accessRequest) {
        case .allowed: return nil
        case .refused(let refusal, let cause, let startedBurst):
            HTTPAccess.log(cause, startedBurst: startedBurst, action: accessRequest.action, peer: accessRequest.peer, logger: logger)
            return HTTPAccess.response(for: refusal)
        }
    }

    private func clip(
        _ request: Request, stream: String, query: RecordingQuery, segments: [RecordedSegment], leases: SegmentLeases
    ) async throws -> Response {
        let lease = leases.lease(segments.map(\.file))
        let plan: ClipPlan?
        do {
            plan = try await NIOThreadPool.singleton.runIfActive { try ClipPlan(segments: segments, from: query.start, to: query.end) }
        } catch {
            lease.release()
            logger.warning("clip could not be planned", metadata: ["stream": "\(stream)", "error": "\(error)"])
            return Self.text(.internalServerError, "the recording could not be read\n")
        }
        guard let plan else {
            lease.release()
            return Self.text(.notFound, "nothing recorded between start and end\n")
        }
        let headers: HTTPFields = [
            .contentType: "video/mp4", .cacheControl: "no-store",
            .contentDisposition: "attachment; filename=\"\(Self.clipName(stream: stream, start: plan.start))\"",
        ]
        return rangedResponse(request, length: plan.length, headers: headers, lease: lease) { try plan.read($0) }
    }

    /// 200 with `length` bytes, or 206 with the one byte range a `Range` header asks for (416
    /// when none of it exists), read by `read` on NIO's thread pool a chunk at a time as the
    /// client takes them; `lease` keeps the files from the cleaner until the body ends.
    func rangedResponse(
        _ request: Request, length: Int, headers: HTTPFields, lease: SegmentLeases.Lease,
        read: @escaping @Sendable (Range<Int>) throws -> ByteBuffer
    ) -> Response {
        var range = 0..<length
        var status = HTTPResponse.Status.ok
        var headers = headers
        headers[.acceptRanges] = "bytes"
        if let header = request.headers[.range], let wanted = ByteRange.parse(header) {
            guard let resolved = wanted.resolve(length: length) else {
                lease.release()
                return Response(status: .rangeNotSatisfiable, headers: [.contentRange: "bytes */\(length)", .acceptRanges: "bytes"])
            }
            range = resolved
            status = .partialContent
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound - 1)/\(length)"
        }
        let chosen = range
        let logger = self.logger
        let body = ResponseBody(contentLength: chosen.count) { writer in
            defer { lease.release() }
            var position = chosen.lowerBound
            while position < chosen.upperBound {
                let next = min(chosen.upperBound, position + Self.clipChunkBytes)
                let slice = position..<next
                let chunk: ByteBuffer
                do {
                    chunk = try await NIOThreadPool.singleton.runIfActive { try read(slice) }
                } catch {
                    logger.warning("recording read failed; closing the response", metadata: ["error": "\(error)"])
                    throw error
                }
                guard chunk.readableBytes == slice.count else {
                    logger.warning("recording shorter than it was; closing the response")
                    throw CancellationError()
                }
                try await writer.write(chunk)
                position = next
            }
            try await writer.finish(nil)
        }
        return Response(status: status, headers: headers, body: body)
    }

    static func clipName(stream: String, start: Int64) -> String {
        let name = stream.replacingOccurrences(of: "/", with: "-")
        let date = Date(timeIntervalSince1970: Double(start) / 1e9)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withYear, .withMonth, .withDay, .withTime, .withTimeZone]
        return "\(name)-\(formatter.string(from: date)).mp4"
    }

}

