import Access
import Encode
import Foundation
import HLS
import Hummingbird
import MediaCore
import NIOCore
import NIOPosix
import Record

/// HLS on the HTTP API:
/// - `GET /PATH/index.m3u8`: the multivariant playlist of a live stream, pointing at
/// - `GET /PATH/hls/stream.m3u8[?_HLS_msn=M[&_HLS_part=P]]`: its low-latency media playlist
///   (blocking reload), and `PATH/hls/init-N.mp4`, `seg-M.m4s`, `part-M.P.m4s` from memory;
/// - `GET /PATH/playback/index.m3u8?start=&end=`: a VOD playlist of what is recorded, whose
///   segments are byte ranges of `PATH/playback/hls/ID.mp4` (the recorded files as they are).
///
/// A playlist request passes the access check (`read` live, `playback` recorded: a user, a
/// Bearer token or `?token=`) and opens a session; every URI in the playlists it gets carries
/// the session (`?s=`), and requests with it are not checked again.
extension StatusAPI {
    static let playlistContentType = "application/vnd.apple.mpegurl"
    static let liveMediaPlaylist = "stream.m3u8"

    /// The answer to an HLS URL (`parts` are the path's segments), nil when it is none.
    func hls(_ parts: [String], request: Request, context: StatusRequestContext, vigil: Vigil) async throws -> Response? {
        guard let last = parts.last, parts.count >= 2 else { return nil }
        let head = Array(parts.dropLast())
        if last == "index.m3u8" {
            if head.last == "playback", head.count >= 2 {
                return try await playbackPlaylist(path: head.dropLast().joined(separator: "/"), request: request, context: context, vigil: vigil)
            }
            return await liveMultivariant(path: head.joined(separator: "/"), request: request, context: context, vigil: vigil)
        }
        guard head.count >= 2, head.last == "hls" else { return nil }
        let owner = Array(head.dropLast())
        if owner.last == "playback", owner.count >= 2 {
            return try await playbackFile(
                path: owner.dropLast().joined(separator: "/"), name: last, request: request, context: context, vigil: vigil)
        }
        let path = owner.joined(separator: "/")
        if last == Self.liveMediaPlaylist {
            return await liveMediaPlaylist(path: path, request: request, context: context, vigil: vigil)
        }
        return await liveResource(path: path, name: last, request: request, context: context, vigil: vigil)
    }

    // MARK: Sessions

    /// The session for a playlist request: the one it names, or a new one once the access
    /// check allows it.
    private func playlistSession(_ request: Request, context: StatusRequestContext, path: String, permission: Permission) async -> Outcome<String> {
        if let id = request.uri.queryParameters["s"].map(String.init), hlsService.useSession(id, path: path, permission: permission) {
            return .value(id)
        }
        if let refusal = await checkStream(request, context: context, permission: permission, path: path, spendsTokenUse: true) {
            return .answer(refusal)
        }
        return .value(hlsService.openSession(path: path, permission: permission))
    }

    /// Nil when a part, segment or file request may be answered: its session, or (without
    /// one) the access check.
    private func resourceRefusal(_ request: Request, context: StatusRequestContext, path: String, permission: Permission) async -> Response? {
        if let id = request.uri.queryParameters["s"].map(String.init), hlsService.useSession(id, path: path, permission: permission) {
            return nil
        }
        return await checkStream(request, context: context, permission: permission, path: path)
    }

    // MARK: Live

    private func liveMuxer(path: String, vigil: Vigil) -> Outcome<(VigilStream, LiveHLS)> {
        guard vigil.settings.http.hls.enabled else { return .answer(Self.text(.notFound, "HLS is off ([http] hls = false)\n")) }
        guard let stream = vigil.streams.first(where: { $0.settings.path == path }) else {
            return .answer(Self.text(.notFound, "no stream \"\(path)\"\n"))
        }
        switch hlsService.muxer(for: stream, anchor: vigil.anchor) {
        case .success(let muxer): return .value((stream, muxer))
        case .failure(let reason): return .answer(Self.text(.notFound, "stream \"\(path)\" has no HLS: \(reason)\n"))
        }
    }

    private func liveMultivariant(path: String, request: Request, context: StatusRequestContext, vigil: Vigil) async -> Response {
        let session: String
        switch await playlistSession(request, context: context, path: path, permission: .read) {
        case .value(let id): session = id
        case .answer(let refusal): return refusal
        }
        let stream: VigilStream
        let muxer: LiveHLS
        switch liveMuxer(path: path, vigil: vigil) {
        case .value(let found): (stream, muxer) = found
        case .answer(let response): return response
        }
        let video = stream.pipeline.encodedVideo
        var codecs: [String] = []
        if let h264 = stream.pipeline.videoEncoder as? H264Encoder, let avc1 = HLSCodecs.avc1(sps: h264.sps) { codecs.append(avc1) }
        var audioKbps = 0
        if muxer.configuration.writer.audio != nil {
            codecs.append("opus")
            audioKbps = 64
        }
        let playlist = MultivariantPlaylist(
            uri: "hls/\(Self.liveMediaPlaylist)?s=\(session)", bandwidth: (video.bitrateKbps + audioKbps) * 1100,
            codecs: codecs, width: video.width, height: video.height, frameRate: Double(video.frameRate))
        return Self.playlist(playlist.render())
    }

    private func liveMediaPlaylist(path: String, request: Request, context: StatusRequestContext, vigil: Vigil) async -> Response {
        let query = request.uri.queryParameters
        func number(_ name: String) -> Outcome<Int?> {
            guard let text = query[Substring(name)] else { return .value(nil) }
            guard text.count <= 9, let value = Int(text), value >= 0 else {
                return .answer(Self.text(.badRequest, "\(name) must be a whole number, not \"\(text.prefix(32))\"\n"))
            }
            return .value(value)
        }
        let msn: Int?
        let part: Int?
        switch (number("_HLS_msn"), number("_HLS_part")) {
        case (.answer(let response), _), (_, .answer(let response)): return response
        case (.value(let m), .value(let p)): (msn, part) = (m, p)
        }
        if part != nil && msn == nil {
            // RFC 8216bis §6.2.5.2: _HLS_part without _HLS_msn is an error.
            return Self.text(.badRequest, "_HLS_part needs _HLS_msn\n")
        }
        let session: String
        switch await playlistSession(request, context: context, path: path, permission: .read) {
        case .value(let id): session = id
        case .answer(let refusal): return refusal
        }
        let muxer: LiveHLS
        switch liveMuxer(path: path, vigil: vigil) {
        case .value(let found): muxer = found.1
        case .answer(let response): return response
        }
        let playlist = muxer.configuration.playlist
        let position: HLSPosition
        let timeout: Duration
        if let msn {
            let window = muxer.window
            let last = window.segments.last?.sequence ?? (window.upcomingSequence - 1)
            // §6.2.5.2: a request more than two segments past the playlist's last is refused.
            guard msn <= last + 2 else {
                return Self.text(.badRequest, "_HLS_msn \(msn) is more than two segments past the last (\(last))\n")
            }
            position = part.map { .part(msn, $0) } ?? .segment(msn)
            // §6.2.5.2: answer within three target durations, or 503.
            timeout = .seconds(3 * playlist.targetDuration)
        } else {
            // A new muxer waits for its first key frame and first whole segment.
            position = .firstSegment
            timeout = .seconds(3 * playlist.targetDuration + 2)
        }
        let reached = await muxer.wait(for: position, timeout: timeout)
        hlsService.touch(muxer)
        guard reached else {
            return Response(
                status: .serviceUnavailable, headers: [.retryAfter: "1", .contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(string: "the playlist did not reach that part in time\n")))
        }
        return Self.playlist(playlist.render(muxer.window, query: "?s=\(session)").render())
    }

    private func liveResource(path: String, name: String, request: Request, context: StatusRequestContext, vigil: Vigil) async -> Response {
        guard let resource = LivePlaylist.resource(named: name) else { return Self.text(.notFound, "not found\n") }
        if let refusal = await resourceRefusal(request, context: context, path: path, permission: .read) { return refusal }
        let muxer: LiveHLS
        switch liveMuxer(path: path, vigil: vigil) {
        case .value(let found): muxer = found.1
        case .answer(let response): return response
        }
        let timeout = Duration.seconds(3 * muxer.configuration.playlist.targetDuration)
        var window = muxer.window
        switch resource {
        case .map(let number):
            guard let bytes = window.maps[number] else { return Self.text(.notFound, "no initialization segment \(number)\n") }
            return Self.media(bytes)
        case .segment(let sequence):
            if window.segment(sequence)?.isComplete != true {
                // The segment being made (or the next) is waited for; older ones are gone.
                let first = window.segments.first?.sequence ?? window.upcomingSequence
                guard sequence >= first, sequence <= window.upcomingSequence else { return Self.text(.notFound, "segment \(sequence) is not in the live window\n") }
                let reached = await muxer.wait(for: .segment(sequence), timeout: timeout)
                hlsService.touch(muxer)
                guard reached else { return Self.notYet() }
                window = muxer.window
            }
            guard let segment = window.segment(sequence), segment.isComplete else { return Self.text(.notFound, "segment \(sequence) is gone\n") }
            return Self.media(segment.bytes)
        case .part(let sequence, let index):
            if window.part(sequence, index) == nil {
                // A part not made yet is waited for (the preload hint names one); only the
                // next few are, not any a client makes up.
                let last = window.lastPart ?? (window.upcomingSequence, -1)
                let near = (sequence == last.sequence && index <= last.part + 3) || (sequence == last.sequence + 1 && index <= 2)
                    || (sequence == window.upcomingSequence && index <= 2)
                guard near, index < 1000 else { return Self.text(.notFound, "part \(sequence).\(index) is not in the live window\n") }
                let reached = await muxer.wait(for: .part(sequence, index), timeout: timeout)
                hlsService.touch(muxer)
                guard reached else { return Self.notYet() }
                window = muxer.window
            }
            guard let part = window.part(sequence, index) else {
                return Self.text(.notFound, "segment \(sequence) ended before part \(index)\n")
            }
            return Self.media(part.bytes)
        }
    }

    // MARK: Recordings

    private func playbackPlaylist(path: String, request: Request, context: StatusRequestContext, vigil: Vigil) async throws -> Response {
        let session: String
        switch await playlistSession(request, context: context, path: path, permission: .playback) {
        case .value(let id): session = id
        case .answer(let refusal): return refusal
        }
        guard let index = vigil.recordings.index else { return Self.text(.notFound, "no recordings for stream \"\(path)\"\n") }
        let query: RecordingQuery
        switch RecordingQuery.parse(request.uri.queryParameters, now: MediaClock.wallClockNanoseconds(), clip: false) {
        case .success(let parsed): query = parsed
        case .failure(let problem): return Self.text(.badRequest, "\(problem.description)\n")
        }
        let segments = try await index.segments(stream: path, from: query.start, to: query.end)
        guard !segments.isEmpty else { return Self.text(.notFound, "nothing of \"\(path)\" is recorded between start and end\n") }
        let lease = vigil.recordings.leases.lease(segments.map(\.file))
        defer { lease.release() }
        let layouts: [(RecordedSegment, RecordedLayout)]
        do {
            layouts = try await NIOThreadPool.singleton.runIfActive {
                try segments.compactMap { segment -> (RecordedSegment, RecordedLayout)? in
                    do throws(RecordError) {
                        return (segment, try RecordedLayout(path: segment.file))
                    } catch {
                        // A file the cleaner took meanwhile: leave it out.
                        if FileManager.default.fileExists(atPath: segment.file) { throw error }
                        return nil
                    }
                }
            }
        } catch {
            logger.warning("recording playlist could not be read", metadata: ["stream": "\(path)", "error": "\(error)"])
            return Self.text(.internalServerError, "the recording could not be read\n")
        }
        let playlist = RecordingPlaylist.make(layouts.map { ($0.0.id, $0.0.start, $0.1) }, from: query.start, to: query.end, query: "?s=\(session)")
        guard let playlist else { return Self.text(.notFound, "nothing of \"\(path)\" is recorded between start and end\n") }
        return Self.playlist(playlist.render())
    }

    private func playbackFile(path: String, name: String, request: Request, context: StatusRequestContext, vigil: Vigil) async throws -> Response {
        guard name.hasSuffix(".mp4"), let id = Int64(name.dropLast(4)), id > 0 else { return Self.text(.notFound, "not found\n") }
        if let refusal = await resourceRefusal(request, context: context, path: path, permission: .playback) { return refusal }
        guard let index = vigil.recordings.index,
            let segment = try await index.segment(id: id, stream: path)
        else { return Self.text(.notFound, "no recording \(id) of \"\(path)\"\n") }
        let lease = vigil.recordings.leases.lease([segment.file])
        let file = segment.file
        let length: Int
        do {
            length = try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int ?? 0
        } catch {
            lease.release()
            return Self.text(.notFound, "recording \(id) is gone\n")
        }
        return rangedResponse(request, length: length, headers: [.contentType: "video/mp4", .cacheControl: "private, max-age=60"], lease: lease) {
            try RecordedLayout.read(path: file, range: $0)
        }
    }

    // MARK: Answers

    static func playlist(_ text: String) -> Response {
        // A playlist changes with every part: never from a cache.
        Response(
            status: .ok, headers: [.contentType: playlistContentType, .cacheControl: "no-cache"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func media(_ bytes: ByteBuffer) -> Response {
        // A name in the live window always means the same bytes (sequence numbers of a new
        // muxer start elsewhere), and the URI holds a session: private, and short-lived.
        Response(status: .ok, headers: [.contentType: "video/mp4", .cacheControl: "private, max-age=60"], body: .init(byteBuffer: bytes))
    }

    static func notYet() -> Response {
        Response(
            status: .serviceUnavailable, headers: [.retryAfter: "1", .contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: "not made in time\n")))
    }
}

/// A value, or the HTTP answer that stands in for it (a refusal, a 404).
enum Outcome<Value> {
    case value(Value)
    case answer(Response)
}

/// The VOD playlist of recorded files: one segment per run of fragments that starts on a
/// key frame, as byte ranges of the file; each file its own initialization segment and,
/// after the first, a discontinuity (every file's media time starts at zero).
enum RecordingPlaylist {
    static func make(_ files: [(id: Int64, start: Int64, layout: RecordedLayout)], from: Int64, to: Int64, query: String) -> MediaPlaylist? {
        var entries: [MediaPlaylist.Entry] = []
        var longest: Int64 = 0
        var first = true
        for file in files {
            let chunks = file.layout.chunks.filter { chunk in
                let start = file.start + chunk.start
                return start < to && start + chunk.duration > from && chunk.duration > 0
            }
            guard !chunks.isEmpty else { continue }
            let uri = "hls/\(file.id).mp4\(query)"
            if !first { entries.append(.discontinuity) }
            first = false
            let initialization = file.layout.initialization
            entries.append(.map(uri: uri, range: .init(offset: initialization.lowerBound, length: initialization.count)))
            for chunk in chunks {
                entries.append(.programDateTime(nanoseconds: file.start + chunk.start))
                entries.append(.segment(
                    duration: Double(chunk.duration) / 1e9, uri: uri,
                    range: .init(offset: chunk.range.lowerBound, length: chunk.range.count)))
                longest = max(longest, chunk.duration)
            }
        }
        guard !entries.isEmpty else { return nil }
        var playlist = MediaPlaylist(version: 7, targetDuration: max(1, Int((Double(longest) / 1e9 - 1e-6).rounded(.up))))
        playlist.playlistType = .vod
        playlist.entries = entries
        playlist.ended = true
        return playlist
    }
}
