#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import VigilKit

/// The process's open-file limit (RLIMIT_NOFILE), which every connection draws on.
///
/// The soft limit is what counts, and it is often far below the hard one: 1024 under systemd
/// without LimitNOFILE= and in most shells, against a hard limit of 4096 to 524288. Vigil
/// takes the hard limit at start, and makes max_connections fit under whatever it gets, so a
/// flood meets a 503 from the connection cap before it can meet EMFILE.
enum OpenFileLimit {
    struct Values {
        var soft: Int
        var hard: Int
        /// The soft limit before `raise`, when it was raised.
        var raisedFrom: Int?
        /// Why it could not be raised (errno), if it was tried and failed.
        var failure: Int32?
    }

    /// Descriptors kept for everything but admitted RTSP connections: refused ones waiting
    /// for their request (64, `RTSPServerState.maxRefusalsWaiting`), the HTTP API's
    /// connections (32) and listener, and 64 for the rest — the event loops (epoll, eventfd,
    /// timerfd each), stdio, the journal, the token store, Foundation's own; plus per stream
    /// its UDP sockets (2 per track, one more per track while multicast viewers report), a
    /// camera and a microphone.
    static func reserved(streams: Int) -> Int { 64 + 32 + 64 + 8 * streams }

    #if os(Linux)
    private static var resource: __rlimit_resource_t { __rlimit_resource_t(RLIMIT_NOFILE.rawValue) }
    #else
    private static var resource: Int32 { RLIMIT_NOFILE }
    #endif

    private static func number(_ value: rlim_t) -> Int {
        value > rlim_t(Int32.max) ? Int(Int32.max) : Int(value)
    }

    /// Raises the soft limit to the hard limit (no system call when they are equal: the unit's
    /// seccomp filter refuses setrlimit).
    static func raise() -> Values? {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return nil }
        var values = Values(soft: number(limit.rlim_cur), hard: number(limit.rlim_max))
        guard limit.rlim_cur < limit.rlim_max else { return values }
        let before = values.soft
        var raised = limit
        raised.rlim_cur = limit.rlim_max
        if setrlimit(resource, &raised) == 0 {
            values.soft = values.hard
            values.raisedFrom = before
        } else {
            values.failure = errno
        }
        return values
    }

    /// max_connections, lowered if the soft limit cannot hold it with the reserve.
    static func fittingMaxConnections(_ settings: VigilSettings, softLimit: Int) -> Int {
        let budget = max(1, softLimit - reserved(streams: settings.streams.count))
        return min(settings.rtsp.maxConnections, budget)
    }

    /// Raises the limit, logs it, and fits the settings under it. Returns the soft limit, for
    /// fitting reloaded settings the same way.
    static func apply(to settings: inout VigilSettings, logger: Logger) -> Int? {
        guard let values = raise() else {
            logger.warning("cannot read the open-file limit (getrlimit); max_connections is used as configured")
            return nil
        }
        var metadata: Logger.Metadata = ["soft": "\(values.soft)", "hard": "\(values.hard)"]
        if let before = values.raisedFrom { metadata["raisedFrom"] = "\(before)" }
        if let failure = values.failure { metadata["raiseFailed"] = "\(String(cString: strerror(failure)))" }
        logger.info("open-file limit", metadata: metadata)
        let fitting = fittingMaxConnections(settings, softLimit: values.soft)
        if fitting < settings.rtsp.maxConnections {
            logger.warning("max_connections does not fit under the open-file limit; lowered (raise LimitNOFILE= or ulimit -n)", metadata: [
                "max_connections": "\(settings.rtsp.maxConnections)", "lowered": "\(fitting)",
                "openFileLimit": "\(values.soft)", "reserved": "\(reserved(streams: settings.streams.count))",
            ])
            settings.rtsp.maxConnections = fitting
            settings.rtsp.maxConnectionsPerAddress = min(settings.rtsp.maxConnectionsPerAddress, fitting)
        }
        return values.soft
    }
}
