import ServeWire

/// The server side of an RTSP session — RFC 2326 Appendix A.2, playback only.
///
/// ```
///   state    message received   next state
///   Init     SETUP              Ready
///            TEARDOWN           Init
///   Ready    PLAY               Playing
///            SETUP              Ready
///            TEARDOWN           Init
///   Playing  PLAY               Playing
///            PAUSE              Ready
///            TEARDOWN           Init
///            SETUP              Playing   (Vigil: only for a track already set up)
/// ```
/// A value with no I/O: the connection handler asks it what a request may do and carries out
/// the answer, so every transition is testable without a socket.
struct RTSPSessionStateMachine: Sendable, Hashable {
    enum State: String, Sendable, Hashable {
        case initial = "Init"
        case ready = "Ready"
        case playing = "Playing"
    }

    enum Event: String, Sendable, Hashable {
        case setup = "SETUP"
        case play = "PLAY"
        case pause = "PAUSE"
        case teardown = "TEARDOWN"
    }

    private(set) var state: State = .initial

    /// Applies `event`, returning the state reached or the error to answer with.
    ///
    /// `addsTrack` says whether a SETUP adds a track the session did not have: adding media
    /// to a session that is already playing would need a new PLAY response with RTP-Info for
    /// it, which RFC 2326 leaves undefined, so it is refused with 455.
    mutating func apply(_ event: Event, addsTrack: Bool = false) -> Result<State, ServeError> {
        switch (state, event) {
        case (.initial, .setup), (.ready, .setup):
            state = .ready
        case (.playing, .setup) where !addsTrack:
            state = .playing
        case (.ready, .play), (.playing, .play):
            state = .playing
        case (.playing, .pause):
            state = .ready
        case (_, .teardown):
            state = .initial
        default:
            return .failure(.methodNotValidInState(method: event.rawValue, state: state.rawValue))
        }
        return .success(state)
    }
}
