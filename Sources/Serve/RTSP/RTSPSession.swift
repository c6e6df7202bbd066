import NIOCore

/// One viewer's RTSP session (RFC 2326 §3.4): its state, the tracks it set up, and when it
/// last showed a sign of life. Confined to the server's event loop.
final class RTSPSession {
    let id: String
    let hub: StreamHub
    /// The connection that created the session; closing it ends the session.
    let connectionID: ObjectIdentifier
    let peer: SocketAddress?
    var stateMachine = RTSPSessionStateMachine()
    /// Outputs by track index.
    var outputs: [Int: TrackOutput] = [:]
    var lastActivity: NIODeadline

    init(id: String, hub: StreamHub, connectionID: ObjectIdentifier, peer: SocketAddress?, now: NIODeadline) {
        self.id = id
        self.hub = hub
        self.connectionID = connectionID
        self.peer = peer
        self.lastActivity = now
    }

    var state: RTSPSessionStateMachine.State { stateMachine.state }

    func touch() {
        lastActivity = .now()
    }
}
