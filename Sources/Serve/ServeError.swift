import ServeWire

/// What can go wrong while serving a request, with the facts to say so; mapped to an RTSP
/// status code in one place (`status`).
enum ServeError: Error, Hashable, CustomStringConvertible {
    case parse(RTSPParseError)
    case missingCSeq
    case notFound(path: String)
    case sessionNotFound(String)
    case methodNotValidInState(method: String, state: String)
    case unsupportedTransport(String)
    case methodNotImplemented(String)
    case methodNotAllowed(String)
    case onlyAggregateOperationAllowed
    case unknownTrack(String)
    case tooManyViewers(limit: Int)
    case noServerPorts
    case badRequest(String)
    /// RFC 2326 §11.3.12: the Range cannot be played.
    case invalidRange(String)
    /// A playback header (Scale, Speed, Range) that cannot be read: RFC 2326 §11.3.10.
    case headerFieldNotValid(String)

    var status: RTSPStatus {
        switch self {
        case .parse(let error): return error.status
        case .missingCSeq: return .badRequest
        case .notFound, .unknownTrack: return .notFound
        case .sessionNotFound: return .sessionNotFound
        case .methodNotValidInState: return .methodNotValidInThisState
        case .unsupportedTransport: return .unsupportedTransport
        case .methodNotImplemented: return .notImplemented
        case .methodNotAllowed: return .methodNotAllowed
        case .onlyAggregateOperationAllowed: return .onlyAggregateOperationAllowed
        case .tooManyViewers: return .serviceUnavailable
        case .noServerPorts: return .internalServerError
        case .badRequest: return .badRequest
        case .invalidRange: return .invalidRange
        case .headerFieldNotValid: return .headerFieldNotValid
        }
    }

    var description: String {
        switch self {
        case .parse(let error): return "malformed request: \(error)"
        case .missingCSeq: return "request without CSeq"
        case .notFound(let path): return "no stream at \(path)"
        case .sessionNotFound(let id): return "no session \(id)"
        case .methodNotValidInState(let method, let state): return "\(method) is not valid in state \(state)"
        case .unsupportedTransport(let value): return "no supported transport in \(value)"
        case .methodNotImplemented(let method): return "method \(method) is not implemented"
        case .methodNotAllowed(let method): return "method \(method) is not allowed on a live stream"
        case .onlyAggregateOperationAllowed: return "only aggregate PLAY/PAUSE are allowed"
        case .unknownTrack(let control): return "no track \(control)"
        case .tooManyViewers(let limit): return "viewer limit \(limit) reached"
        case .noServerPorts: return "no UDP server ports could be bound"
        case .badRequest(let reason): return "bad request: \(reason)"
        case .invalidRange(let reason): return "invalid range: \(reason)"
        case .headerFieldNotValid(let reason): return "header not valid: \(reason)"
        }
    }
}
