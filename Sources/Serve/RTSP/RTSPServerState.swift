import Logging
import NIOCore
import ServeWire

/// What all RTSP connections share: the streams by path, the sessions by ID, the open
/// connections. Confined to the server's event loop.
final class RTSPServerState: @unchecked Sendable {
    let configuration: RTSPServer.Configuration
    let eventLoop: any EventLoop
    let logger: Logger
    /// Changed by reloads, on the event loop.
    var hubs: [String: StreamHub]
    var sessions: [String: RTSPSession] = [:]
    var connections: [ObjectIdentifier: any Channel] = [:]
    var reaper: RepeatedTask?
    var isShuttingDown = false

    init(configuration: RTSPServer.Configuration, hubs: [StreamHub], eventLoop: any EventLoop, logger: Logger) {
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.logger = logger
        self.hubs = Dictionary(hubs.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Finds the stream a request names and the part of the path after it (a track control).
    func resolve(_ target: RequestTarget) -> (hub: StreamHub, control: String)? {
        for count in stride(from: target.segments.count, through: 1, by: -1) {
            let path = target.segments[..<count].joined(separator: "/")
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
        session.hub.stop(session, goodbye: goodbye)
        if sessions.removeValue(forKey: session.id) != nil {
            logger.info("session ended", metadata: [
                "session": "\(session.id)", "stream": "\(session.hub.path)", "reason": "\(reason)",
                "peer": "\(session.peer.map { "\($0)" } ?? "?")",
            ])
        }
    }

    /// Ends sessions that showed no sign of life (request or RTCP) within the timeout.
    func reapIdleSessions() {
        let limit = NIODeadline.now() - configuration.sessionTimeout
        for session in sessions.values where session.lastActivity < limit {
            end(session, goodbye: true, reason: "timeout")
        }
    }

    func connectionClosed(_ id: ObjectIdentifier) {
        connections[id] = nil
        for session in sessions.values where session.connectionID == id {
            end(session, goodbye: true, reason: "connection closed")
        }
    }
}
