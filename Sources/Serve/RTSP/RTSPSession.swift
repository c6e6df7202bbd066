import NIOCore

/// One viewer's RTSP session (RFC 2326 §3.4): its state, what it plays, the tracks it set up,
/// and when it last showed a sign of life. Confined to the server's event loop.
final class RTSPSession {
    let id: String
    /// What the session plays: the live hub it shares, or a file player of its own.
    let source: any SessionSource
    /// The URL's offer the session was made from; later SETUPs must name the same one.
    let offer: ObjectIdentifier
    /// The connection that created the session; closing it ends the session.
    let connectionID: ObjectIdentifier
    let peer: SocketAddress?
    var stateMachine = RTSPSessionStateMachine()
    /// Outputs by track index.
    var outputs: [Int: TrackOutput] = [:]
    var lastActivity: NIODeadline
    /// Media is flowing (a PLAY was answered and no PAUSE came since).
    var hasStarted = false

    init(id: String, source: any SessionSource, offer: ObjectIdentifier, connectionID: ObjectIdentifier, peer: SocketAddress?, now: NIODeadline) {
        self.id = id
        self.source = source
        self.offer = offer
        self.connectionID = connectionID
        self.peer = peer
        self.lastActivity = now
    }

    var state: RTSPSessionStateMachine.State { stateMachine.state }

    func touch() {
        lastActivity = .now()
    }
}
