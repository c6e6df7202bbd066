#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import NIOCore

/// Pauses a listening socket while accepting fails for want of resources (EMFILE, ENFILE,
/// ENOBUFS, ENOMEM), with a back-off, and says so once per condition.
///
/// NIO alone spins here. After a failed `accept` the listening channel keeps its read pending,
/// so its descriptor stays in the (level-triggered) epoll set and the very next `epoll_wait`
/// wakes it again: the event loop runs `accept4` → EMFILE as fast as it can, at 100 % of a
/// core, and nothing is logged. The `ServerBootstrap.bind(host:port:)` that returns a future
/// installs no `AcceptBackoffHandler` at all; the async `bind` does, but that handler only
/// delays the *next* `read()`, which never comes because the read is still pending, so it
/// spins all the same (seen with `strace -e accept4` on Hummingbird's listener: thousands of
/// calls a second). Turning `autoRead` off does take the descriptor out of epoll, and turning
/// it on again registers it anew: that is the pause and the resume.
///
/// Add it first in the listening channel's pipeline, so it sees the error before any other
/// handler can swallow it.
public final class AcceptThrottle: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = any Channel
    public typealias InboundOut = any Channel

    /// The first pause: short, because descriptors are often freed within milliseconds (a
    /// viewer leaving, a refused connection closing).
    static let firstBackoff: TimeAmount = .milliseconds(20)
    /// The longest pause: a viewer waiting behind a full table waits at most this long after
    /// a descriptor frees, and a failing accept costs two system calls per pause.
    static let maximumBackoff: TimeAmount = .milliseconds(500)

    private let logger: Logger
    /// Open connections of the listener, for the warning (nil: not known).
    private let openConnections: (() -> Int)?
    private var backoff: TimeAmount?
    private var failures = 0
    private var pausedSince: NIODeadline?
    private var resume: Scheduled<Void>?

    /// - Parameters:
    ///   - logger: carries the listener's metadata (which port, which API).
    ///   - openConnections: called on the channel's event loop when the warning is logged.
    public init(logger: Logger, openConnections: (() -> Int)? = nil) {
        self.logger = logger
        self.openConnections = openConnections
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if let pausedSince {
            // An accept worked: the condition has cleared.
            logger.info("accepting connections again", metadata: [
                "pausedMilliseconds": "\((NIODeadline.now() - pausedSince).nanoseconds / 1_000_000)",
                "failedAccepts": "\(failures)",
            ])
            self.pausedSince = nil
            failures = 0
            backoff = nil
        }
        context.fireChannelRead(data)
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let ioError = error as? IOError, Self.isShortage(ioError.errnoCode) else {
            // ECONNABORTED and the like concern one connection that is gone already.
            logger.debug("accept failed", metadata: ["error": "\(error)"])
            return
        }
        failures += 1
        if pausedSince == nil {
            pausedSince = .now()
            // Counting the open descriptors would need one more of them; at EMFILE they are
            // the limit.
            var metadata: Logger.Metadata = [
                "error": "\(ioError.description)",
                "openFileLimit": "\(Self.openFileLimit().map(String.init) ?? "unlimited")",
            ]
            if let openConnections { metadata["openConnections"] = "\(openConnections())" }
            logger.warning("cannot accept connections: out of file descriptors or memory; accept paused until there is room", metadata: metadata)
        }
        let pause = backoff.map { min($0 * 2, Self.maximumBackoff) } ?? Self.firstBackoff
        backoff = pause
        pauseAccepting(context: context, for: pause)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        resume?.cancel()
        resume = nil
        context.fireChannelInactive()
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        resume?.cancel()
        resume = nil
    }

    private func pauseAccepting(context: ChannelHandlerContext, for pause: TimeAmount) {
        guard resume == nil, let options = context.channel.syncOptions else { return }
        let wasAutoRead = (try? options.getOption(ChannelOptions.autoRead)) ?? true
        // Off takes the descriptor out of epoll; on registers it again and reads.
        try? options.setOption(ChannelOptions.autoRead, value: false)
        let channel = context.channel
        resume = context.eventLoop.assumeIsolated().scheduleTask(in: pause) { [weak self] in
            self?.resume = nil
            guard channel.isActive else { return }
            try? channel.syncOptions?.setOption(ChannelOptions.autoRead, value: wasAutoRead)
            if !wasAutoRead { channel.read() }
        }
    }

    static func isShortage(_ code: Int32) -> Bool {
        code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM
    }

    /// The soft RLIMIT_NOFILE.
    static func openFileLimit() -> Int? {
        var limit = rlimit()
        #if os(Linux)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
        let resource = RLIMIT_NOFILE
        #endif
        guard getrlimit(resource, &limit) == 0 else { return nil }
        return limit.rlim_cur == rlim_t.max ? nil : Int(limit.rlim_cur)
    }
}
