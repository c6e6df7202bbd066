import Access
import Logging
import MediaCore
import NIOCore
import Synchronization
import NIOPosix
import ServeWire
import NIOConcurrencyHelpers

/// Stored media served over RTSP at a path: a stream's recording (`PATH/playback`), later a
/// library of files. Each session gets a file player of its own.
public struct StoredMediaService: Sendable {
    /// The path clients open, without slashes around it (`live/playback`).
    public var path: String
    /// What access is checked against: the stream path, with `permission`.
    public var accessPath: String
    public var permission: Permission
    /// Whether the path names a collection (`vod`): every name below it (`vod/NAME…`) is
    /// passed to `open`; otherwise only the path itself is served.
    public var servesNames: Bool
    /// Opens a reader for a request. Called off the event loops; may block on the disk.
    public var open: @Sendable (_ request: StoredMediaRequest) throws(StoredMediaError) -> any StoredMediaReader

    public init(
        path: String, accessPath: String, permission: Permission = .playback, servesNames: Bool = false,
        open: @escaping @Sendable (_ request: StoredMediaRequest) throws(StoredMediaError) -> any StoredMediaReader
    ) {
        self.path = path
        self.accessPath = accessPath
        self.permission = permission
        self.servesNames = servesNames
        self.open = open
    }
}

/// What a request for stored media names: below a collection, the name as written in the URL
/// (not yet percent-decoded: the collection checks it); and the URL's query.
public struct StoredMediaRequest: Sendable, Hashable {
    public var name: String
    public var query: String?

    public init(name: String, query: String?) {
        self.name = name
        self.query = query
    }
}

/// Why stored media cannot be opened, said for the client (and mapped to an RTSP status).
public enum StoredMediaError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The URL's query is malformed (a `start=` that is no instant): 400.
    case badQuery(String)
    /// Nothing recorded or stored there: 404.
    case nothing(String)
    /// A name that must not be served (traversal, a NUL, a link out of the library): 404 as
    /// well, so a refusal tells nothing about what exists; logged.
    case refused(String)

    public var description: String {
        switch self {
        case .badQuery(let reason): return "bad query: \(reason)"
        case .nothing(let reason): return reason
        case .refused(let reason): return "refused: \(reason)"
        }
    }
}

/// A reader handed between the event loop and the blocking pool. Only pool tasks touch the
/// reader (a non-Sendable class by design: it blocks on files), one at a time inside the
/// mutex, which owns it from the start.
final class StoredReaderCell: Sendable {
    private let reader: Mutex<any StoredMediaReader>
    let tracks: [StoredTrack]
    let timeline: StoredTimeline
    let start: Int64
    let end: Int64

    init(_ reader: sending any StoredMediaReader) {
        tracks = reader.tracks
        timeline = reader.timeline
        start = reader.start
        end = reader.end
        self.reader = Mutex(reader)
    }

    func withReader<T: Sendable>(_ body: (any StoredMediaReader) throws -> T) throws -> T {
        try reader.withLock { reader in try body(reader) }
    }
}

/// The offer behind a `StoredMediaService`: DESCRIBE opens a reader to say what is there;
/// the SETUP that makes a session opens another for that session's file player. Opening and
/// reading happen on the blocking pool. Confined to the server's event loop.
final class StoredMediaOffer: MediaOffer {
    var service: StoredMediaService
    let eventLoop: any EventLoop
    let ports: PlaybackPorts
    let pool: NIOThreadPool
    let configuration: RTSPServer.Configuration
    let logger: Logger
    /// File players alive now (every session of this offer has one).
    var players = 0
    /// Readers a DESCRIBE opened, by what they read, for the SETUP that follows it: opening
    /// indexes the file (an elementary stream is scanned whole), which should happen once per
    /// viewer, not twice. Kept a short while, then closed.
    private var described: [String: (cell: StoredReaderCell, at: NIODeadline)] = [:]
    static let describedLifetime: TimeAmount = .seconds(10)

    init(service: StoredMediaService, eventLoop: any EventLoop, ports: PlaybackPorts, pool: NIOThreadPool, configuration: RTSPServer.Configuration, logger: Logger) {
        self.service = service
        self.eventLoop = eventLoop
        self.ports = ports
        self.pool = pool
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "stream"] = "\(service.path)"
        self.logger = logger
    }

    var path: String { service.accessPath }
    var permission: Permission { service.permission }

    /// The segments of the offer's own path.
    var depth: Int { service.path.split(separator: "/").count }

    /// The name a target asks for below a collection (without a trailing track control).
    func name(in target: RequestTarget) -> String {
        var rest = Array(target.segments.dropFirst(depth))
        if let last = rest.last, Track.index(fromControl: last) != nil { rest.removeLast() }
        return rest.joined(separator: "/")
    }

    private func openReader(_ target: RequestTarget) -> EventLoopFuture<StoredReaderCell> {
        let open = service.open
        let request = StoredMediaRequest(name: name(in: target), query: target.query)
        let logger = self.logger
        return pool.runIfActive(eventLoop: eventLoop) { () throws -> StoredReaderCell in
            do {
                let reader = try open(request)
                return StoredReaderCell(reader)
            } catch let error as StoredMediaError {
                if case .refused(let reason) = error {
                    logger.notice("stored media request refused", metadata: ["name": "\(request.name.prefix(200))", "reason": "\(reason)"])
                }
                throw error
            }
        }
    }

    static func serveError(_ error: any Error, path: String) -> ServeError {
        switch error as? StoredMediaError {
        case .badQuery(let reason)?: return .badRequest(reason)
        default: return .notFound(path: path)
        }
    }

    private func key(_ target: RequestTarget) -> String { name(in: target) + "?" + (target.query ?? "") }

    private func keep(_ cell: StoredReaderCell, for target: RequestTarget) {
        let now = NIODeadline.now()
        described = described.filter { now - $0.value.at < Self.describedLifetime }
        described[key(target)] = (cell, now)
    }

    private func take(for target: RequestTarget) -> StoredReaderCell? {
        guard let kept = described.removeValue(forKey: key(target)), NIODeadline.now() - kept.at < Self.describedLifetime else { return nil }
        return kept.cell
    }

    func describe(
        _ target: RequestTarget, serverAddress: String, clientTakesAVPF: Bool,
        respond: @escaping (Result<SessionDescription, ServeError>) -> Void
    ) {
        let path = service.path
        openReader(target).assumeIsolated().whenComplete { [self] result in
            switch result {
            case .success(let cell):
                keep(cell, for: target)
                let tracks = FilePlayer.trackConfigurations(cell.tracks)
                let duration = Double(cell.end - cell.start) / 1e9
                // In npt, which every client reads for the length (ffmpeg, GStreamer). GStreamer's
                // ONVIF mode then maps npt onto clock time from 1900, which the player takes.
                let range = RTSPRange.npt(start: 0, end: duration)
                let sdp = StreamHub.sessionDescription(
                    tracks: tracks, name: "Vigil \(path)", sessionID: UInt64(cell.start & 0x7FFF_FFFF_FFFF_FFFF),
                    serverAddress: serverAddress, clientTakesAVPF: clientTakesAVPF, type: "recvonly",
                    range: range.headerValue)
                respond(.success(sdp))
            case .failure(let error):
                respond(.failure(Self.serveError(error, path: "/" + path)))
            }
        }
    }

    func openSource(_ target: RequestTarget, respond: @escaping (Result<any SessionSource, ServeError>) -> Void) {
        guard players < configuration.maxFileViewers else {
            respond(.failure(.tooManyViewers(limit: configuration.maxFileViewers)))
            return
        }
        players += 1
        let opening = take(for: target).map { eventLoop.makeSucceededFuture($0) } ?? openReader(target)
        opening.assumeIsolated().whenComplete { [self] result in
            switch result {
            case .success(let cell):
                let player = FilePlayer(
                    path: service.path, reader: cell, eventLoop: eventLoop, ports: ports, pool: pool,
                    mtu: configuration.fileMTU, logger: logger
                ) { [weak self] in self?.players -= 1 }
                respond(.success(player))
            case .failure(let error):
                players -= 1
                respond(.failure(Self.serveError(error, path: "/" + service.path)))
            }
        }
    }
}
