import Access
import Logging
import NIOCore
import ServeWire

/// What all RTSP connections share: the streams by path, the sessions by ID, the open
/// connections. Confined to the server's event loop: the server holds it in a
/// `NIOLoopBoundBox`, and the connection handlers, on the same loop, hold it directly.
final class RTSPServerState {
    let configuration: RTSPServer.Configuration
    let eventLoop: any EventLoop
    let logger: Logger
    /// Changed by reloads, on the event loop.
    var hubs: [String: StreamHub]
    /// Stored media by path (`live/playback`); also changed by reloads, on the event loop.
    var storedMedia: [String: StoredMediaOffer] = [:]
    /// The UDP ports every file viewer shares.
    let playbackPorts: PlaybackPorts
    var sessions: [String: RTSPSession] = [:]
    /// The admitted connections.
    var connections: [ObjectIdentifier: any Channel] = [:]
    var reaper: Scheduled<Void>?
    /// Which multicast group offset each stream has (stream n → base + n), kept for the life
    /// of the stream so a reload never moves an unchanged stream's group.
    var multicastIndex: [ObjectIdentifier: Int] = [:]
    var isShuttingDown = false
    /// The one access check; nil serves everyone.
    let access: AccessPolicy?
    private var accessConnections: UInt64 = 0

    /// A number for a new connection, unique for the life of the server: digest nonces are
    /// bound to it.
    func nextAccessConnection() -> ConnectionID {
        accessConnections += 1
        return ConnectionID(accessConnections)
    }
    /// The caps on open connections, and the burst of refusals in progress.
    private var limiter: ConnectionLimiter
    /// Refused connections waiting (at most `refusalGrace`) for their request, so that the
    /// 503 can carry its CSeq.
    var refusalsWaiting = 0
    private(set) var connectionCounts = RTSPConnectionSnapshot()

    /// At most this many refused connections wait for their request; beyond, the 503 goes out
    /// at once without a CSeq. Each waiting one holds a descriptor, so a flood must not make
    /// the wait cost more than a few.
    static let maxRefusalsWaiting = 64
    /// How long a refused connection waits for its request. A client sends its first request
    /// right after connecting, so it is there within a round trip on any usable path.
    static let refusalGrace: TimeAmount = .milliseconds(250)

    init(
        configuration: RTSPServer.Configuration, hubs: [StreamHub], storedMedia: [StoredMediaService] = [], eventLoop: any EventLoop,
        logger: Logger, access: AccessPolicy? = nil
    ) {
        self.access = access
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.logger = logger
        self.hubs = Dictionary(hubs.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        self.playbackPorts = PlaybackPorts(eventLoop: eventLoop)
        self.limiter = ConnectionLimiter(limits: .init(
            total: configuration.maxConnections, perAddress: configuration.maxConnectionsPerAddress))
        for service in storedMedia {
            self.storedMedia[service.path] = makeOffer(service)
        }
    }

    func makeOffer(_ service: StoredMediaService) -> StoredMediaOffer {
        StoredMediaOffer(
            service: service, eventLoop: eventLoop, ports: playbackPorts, pool: .singleton, configuration: configuration, logger: logger)
    }

    // MARK: - Connections

    /// Counts a new connection in, or says which cap it ran into.
    func admit(_ channel: any Channel, id: ObjectIdentifier, address: String) -> ConnectionLimiter.Decision {
        let (decision, report) = limiter.admit(address: address, now: .now())
        if let report { log(report) }
        switch decision {
        case .admitted:
            connections[id] = channel
            connectionCounts.accepted += 1
        case .refused:
            connectionCounts.refused += 1
        }
        connectionCounts.open = limiter.open
        return decision
    }

    /// An admitted connection was cut off: no complete request within request_timeout, or
    /// no sign of life within session_timeout.
    func noteClosed(idle: Bool) {
        if idle {
            connectionCounts.closedIdle += 1
        } else {
            connectionCounts.timedOut += 1
        }
    }

    private func log(_ report: ConnectionLimiter.Report) {
        switch report {
        case .limitReached(let refusal, let address, let open, let fromAddress, let limit):
            logger.warning("RTSP connection limit reached: new connections get 503 until there is room", metadata: [
                "limit": "\(refusal)=\(limit)", "address": "\(address)",
                "open": "\(open)", "openFromAddress": "\(fromAddress)",
            ])
        case .limitCleared(let burst):
            logger.info("RTSP connection limits have room again", metadata: [
                "refused": "\(burst.refused)", "refusedByMaxConnections": "\(burst.refusedTotal)",
                "refusedByMaxConnectionsPerAddress": "\(burst.refusedPerAddress)",
            ])
        }
    }

    /// Finds what a request names — stored media or a live stream, the longest path that
    /// matches — and the part of the path after it (a track control).
    func resolve(_ target: RequestTarget) -> (offer: any MediaOffer, control: String)? {
        for count in stride(from: target.segments.count, through: 1, by: -1) {
            let path = target.segments[..<count].joined(separator: "/")
            if let stored = storedMedia[path] {
                if stored.service.servesNames {
                    // A collection: what follows is a name, then perhaps a track control.
                    guard count < target.segments.count else { continue }
                    let last = target.segments[target.segments.count - 1]
                    let isControl = Track.index(fromControl: last) != nil && target.segments.count > count + 1
                    return (stored, isControl ? last : "")
                }
                return (stored, target.segments[count...].joined(separator: "/"))
            }
            if let hub = hubs[path] {
                return (hub, target.segments[count...].joined(separator: "/"))
            }
        }
        return nil
    }

    /// A session ID of 64 random bits in hex: unguessable enough that one viewer cannot
    /// tear down another's session by counting (RFC 2326 §12.37 asks for randomness).
    func makeSessionID() -> String {
        var id: String
        repeat {
            id = String(UInt64.random(in: 1...UInt64.max), radix: 16, uppercase: true)
        } while sessions[id] != nil
        return id
    }

    /// Ends a session: stops its media (with RTCP BYE when asked) and forgets it.
    func end(_ session: RTSPSession, goodbye: Bool, reason: String) {
        session.source.stop(session, goodbye: goodbye)
        if sessions.removeValue(forKey: session.id) != nil {
            logger.info("session ended", metadata: [
                "session": "\(session.id)", "stream": "\(session.source.path)", "reason": "\(reason)",
                "peer": "\(session.peer.map { "\($0)" } ?? "?")",
            ])
        }
    }

    /// Reports the end of a burst of refused connections, once it is over.
    func reportQuietLimits() {
        if let report = limiter.endBurstIfQuiet(now: .now()) { log(report) }
    }

    /// Ends sessions that showed no sign of life (request or RTCP) within the timeout.
    func reapIdleSessions() {
        let limit = NIODeadline.now() - configuration.sessionTimeout
        for session in sessions.values where session.lastActivity < limit {
            end(session, goodbye: true, reason: "timeout")
        }
    }

    /// An admitted connection closed: its place is free and its sessions end.
    func connectionClosed(_ id: ObjectIdentifier, address: String) {
        connections[id] = nil
        limiter.release(address: address)
        connectionCounts.open = limiter.open
        for session in sessions.values where session.connectionID == id {
            end(session, goodbye: true, reason: "connection closed")
        }
    }
}

/// What the connection limits have done since the server started.
public struct RTSPConnectionSnapshot: Sendable, Hashable {
    /// Admitted and still open.
    public var open = 0
    public var accepted = 0
    /// Answered 503 for max_connections or max_connections_per_address.
    public var refused = 0
    /// Closed for no complete request within request_timeout.
    public var timedOut = 0
    /// Closed for no sign of life within session_timeout.
    public var closedIdle = 0
}
