import Access
import Logging
import NIOCore
import ServeWire

/// Serves one RTSP connection (RFC 2326): answers requests in order, and passes RTCP that a
/// viewer interleaves on the connection to its stream.
///
/// A PLAY's answer can wait for a key frame; requests that arrive meanwhile queue behind it,
/// so responses always go out in request order.
///
/// A connection has to earn its descriptor: it is admitted only within the caps on open
/// connections (else 503 and closed), must finish its first request within request_timeout,
/// and then show a sign of life — a request, or RTCP for one of its sessions, interleaved or
/// over UDP — at least every session_timeout.
final class RTSPConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = RTSPInbound
    typealias OutboundOut = ByteBuffer

    static let supportedMethods = "OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER"

    /// Where the connection is in its life.
    private enum Phase {
        /// Not active yet.
        case connecting
        /// Admitted; its first request has not arrived whole.
        case awaitingFirstRequest
        /// Admitted and has sent a request.
        case open
        /// Over a cap: waiting briefly for a request whose CSeq the 503 can carry.
        case refusing
        /// Answered and closing, or closed.
        case closing
    }

    private let server: RTSPServerState
    private var logger: Logger
    private var channel: (any Channel)?
    private var phase = Phase.connecting
    /// The peer's IP address, the key of the per-address cap.
    private var address = "?"
    private var waitsAsRefused = false
    /// The request or idle deadline, or the end of a refused connection's grace.
    private var deadline: Scheduled<Void>?
    private var lastRequestAt = NIODeadline.now()
    /// When the connection last noticed one of its sessions had ended.
    private var sessionEndedAt: NIODeadline?
    /// Sessions this connection created; their RTCP (over UDP too) keeps it alive.
    private var ownSessions: [RTSPSession] = []
    private var queued: [RTSPRequest] = []
    private var awaitingResponse = false
    /// Interleaved RTCP channels of this connection's sessions, by channel number.
    private var rtcpChannels: [UInt8: TrackOutput] = [:]
    /// What this connection's interleaved outputs share (one per connection, made at the
    /// first interleaved SETUP), so a picture's flush takes the audio written before it.
    private var sharedInterleavedConnection: InterleavedConnection?
    private var connectionID: ObjectIdentifier { ObjectIdentifier(self) }
    /// This connection to the access check (digest nonces are bound to it).
    private let accessConnection: ConnectionID
    /// Stream paths this connection was admitted to, and as whom. A viewer's later requests on
    /// the connection (SETUP of the next track, after DESCRIBE) are not asked again; a token
    /// admitted at DESCRIBE was only checked, and the SETUP that creates the session spends
    /// one of its uses (one use is one new session).
    private var admitted: [AccessAction: Principal] = [:]
    /// The token each path was admitted with: clients build SETUP URLs from Content-Base,
    /// which carries no query, so the SETUP that spends the use presents the token of the
    /// DESCRIBE before it.
    private var admittedTokens: [String: String] = [:]
    /// The query of each offer's last DESCRIBE on this connection (`?start=…` of a playback
    /// URL): SETUP URLs are built from Content-Base, which carries none.
    private var describedQueries: [String: String] = [:]
    /// An `Authentication-Info` value (a next nonce) for the next response.
    private var authenticationInfo: String?

    init(server: RTSPServerState) {
        self.server = server
        self.logger = server.logger
        self.accessConnection = server.nextAccessConnection()
    }

    func channelActive(context: ChannelHandlerContext) {
        channel = context.channel
        logger[metadataKey: "peer"] = "\(context.remoteAddress.map { "\($0)" } ?? "?")"
        address = context.remoteAddress?.ipAddress ?? "?"
        switch server.admit(context.channel, id: connectionID, address: address) {
        case .admitted:
            phase = .awaitingFirstRequest
            logger.debug("connection opened")
            schedule(in: server.configuration.requestTimeout, context: context)
        case .refused(let refusal):
            phase = .refusing
            logger.debug("connection refused", metadata: ["limit": "\(refusal)"])
            if server.refusalsWaiting < RTSPServerState.maxRefusalsWaiting {
                server.refusalsWaiting += 1
                waitsAsRefused = true
                schedule(in: RTSPServerState.refusalGrace, context: context)
            } else {
                refuse(cseq: nil)
            }
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        stopWaitingAsRefused()
        // Only an admitted connection holds a place (a refused one never had one).
        if server.connections[connectionID] != nil {
            server.connectionClosed(connectionID, address: address)
            logger.debug("connection closed")
        }
        phase = .closing
        if let access = server.access {
            let connection = accessConnection
            Task { await access.connectionClosed(connection) }
        }
        rtcpChannels.removeAll()
        sharedInterleavedConnection = nil
        queued.removeAll()
        ownSessions.removeAll()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .request(let request):
            switch phase {
            case .refusing:
                refuse(cseq: request.cseq)
                return
            case .connecting, .closing:
                return
            case .awaitingFirstRequest:
                phase = .open
                deadline?.cancel()
                schedule(in: server.configuration.sessionTimeout, context: context)
            case .open:
                break
            }
            lastRequestAt = .now()
            queued.append(request)
            drain()
        case .interleaved(let frame):
            // Counts as a sign of life through the session: the hub touches it for valid RTCP.
            guard case .open = phase, let output = rtcpChannels[frame.channel] else { return }
            output.session.source.receiveRTCP(frame.payload, track: output.trackIndex, from: nil, output: output)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if case .refusing = phase {
            refuse(cseq: nil)
        } else if let parseError = error as? RTSPParseError {
            // The byte stream cannot be trusted past a malformed request: answer and close.
            logger.debug("malformed request", metadata: ["error": "\(parseError)"])
            var headers = RTSPHeaders()
            headers.add(name: "Connection", value: "close")
            send(RTSPResponse(status: parseError.status, headers: headers), cseq: nil, context: context)
            context.close(promise: nil)
        } else {
            logger.debug("connection error", metadata: ["error": "\(error)"])
            context.close(promise: nil)
        }
    }

    // MARK: - Limits

    private func schedule(in delay: TimeAmount, context: ChannelHandlerContext) {
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [weak self] in
            self?.deadlinePassed()
        }
    }

    private func deadlinePassed() {
        deadline = nil
        guard let channel, channel.isActive else { return }
        switch phase {
        case .connecting, .closing:
            return
        case .refusing:
            refuse(cseq: nil)
        case .awaitingFirstRequest:
            logger.debug("connection closed: no complete request within request_timeout", metadata: [
                "requestTimeout": "\(server.configuration.requestTimeout)",
            ])
            server.noteClosed(idle: false)
            phase = .closing
            channel.close(promise: nil)
        case .open:
            let timeout = server.configuration.sessionTimeout
            let now = NIODeadline.now()
            let live = ownSessions.filter { server.sessions[$0.id] === $0 }
            if live.count < ownSessions.count {
                // A session ended (timed out, its stream removed): the client gets a whole
                // session_timeout to find out (454) before its connection goes too.
                sessionEndedAt = now
                ownSessions = live
            }
            if !live.isEmpty {
                // Sessions live on RTCP (over UDP too, which never passes through here) and
                // requests; the server's reaper ends them when they fall silent, and then
                // the connection follows.
                let latest = live.map(\.lastActivity).reduce(lastRequestAt, max)
                let again = latest + timeout > now ? latest + timeout - now : min(RTSPServer.reapInterval, .nanoseconds(timeout.nanoseconds / 2))
                deadline = channel.eventLoop.assumeIsolated().scheduleTask(in: again) { [weak self] in
                    self?.deadlinePassed()
                }
                return
            }
            // No session: the latest sign of life is a request, or a session ending.
            let latest = max(lastRequestAt, sessionEndedAt ?? lastRequestAt)
            if now - latest >= timeout {
                logger.debug("connection closed: no request and no RTCP within session_timeout", metadata: [
                    "sessionTimeout": "\(timeout)",
                ])
                server.noteClosed(idle: true)
                phase = .closing
                channel.close(promise: nil)
            } else {
                deadline = channel.eventLoop.assumeIsolated().scheduleTask(in: latest + timeout - now) { [weak self] in
                    self?.deadlinePassed()
                }
            }
        }
    }

    /// Answers a refused connection with 503 (with the request's CSeq when one arrived) and
    /// closes it.
    private func refuse(cseq: String?) {
        guard case .refusing = phase, let channel else { return }
        phase = .closing
        deadline?.cancel()
        deadline = nil
        stopWaitingAsRefused()
        var headers = RTSPHeaders()
        headers.add(name: "Connection", value: "close")
        write(RTSPResponse(status: .serviceUnavailable, headers: headers), cseq: cseq, channel: channel)
        channel.close(promise: nil)
    }

    private func stopWaitingAsRefused() {
        if waitsAsRefused {
            waitsAsRefused = false
            server.refusalsWaiting -= 1
        }
    }

    // MARK: - Requests

    private func drain() {
        while !awaitingResponse, !queued.isEmpty, let channel, channel.isActive {
            let request = queued.removeFirst()
            handle(request, channel: channel)
        }
    }

    private func handle(_ request: RTSPRequest, channel: any Channel) {
        logger.debug("request", metadata: ["method": "\(request.method)", "uri": "\(request.uri)"])
        guard let cseq = request.cseq else {
            respond(error: .missingCSeq, to: request, cseq: nil)
            return
        }
        if let id = request.session, let session = server.sessions[id] {
            session.touch()
        }
        if let access = server.access, let (action, spendsToken) = accessNeed(of: request) {
            if let principal = admitted[action], !(spendsToken && principal == .token) {
                dispatch(request, cseq: cseq, channel: channel)
            } else {
                check(request, action: action, spendsToken: spendsToken, cseq: cseq, access: access, channel: channel)
            }
            return
        }
        dispatch(request, cseq: cseq, channel: channel)
    }

    // MARK: - Access

    /// The stream path a request must be allowed to read, and whether it starts a session (a
    /// token's use is spent then), or nil when the request needs no check: OPTIONS, and
    /// requests within a session, whose unguessable ID is the proof (it was handed out only
    /// after a check).
    private func accessNeed(of request: RTSPRequest) -> (action: AccessAction, spendsToken: Bool)? {
        let startsSession: Bool
        switch request.method {
        case "DESCRIBE": startsSession = false
        case "SETUP" where request.session == nil: startsSession = true
        default: return nil
        }
        guard let target = RequestTarget(request.uri) else { return nil }  // answered 400 later
        // An unknown path is checked as it is written, so that without credentials a 404
        // cannot tell which paths exist.
        guard let offer = server.resolve(target)?.offer else {
            return (AccessAction(.read, path: target.segments.joined(separator: "/")), startsSession)
        }
        return (AccessAction(offer.permission, path: offer.path), startsSession)
    }

    /// Asks the access check about `request`; the connection's later requests wait (responses
    /// stay in request order) until it answers on the loop.
    private func check(_ request: RTSPRequest, action: AccessAction, spendsToken: Bool, cseq: String, access: AccessPolicy, channel: any Channel) {
        var credentials = PresentedCredentials(authorization: request.headers["Authorization"])
        if case .none = credentials, let token = RequestTarget(request.uri)?.queryValue("token") ?? admittedTokens[action.path] {
            credentials = .token(token)
        }
        // An address the socket cannot name (never for TCP) is checked as 0.0.0.0: no allow
        // list contains it.
        let peer = (try? IPAddress(address)) ?? IPAddress(bytes: [0, 0, 0, 0])!
        let accessRequest = AccessRequest(
            action: action, peer: peer, connection: accessConnection,
            method: request.method, uri: request.uri, credentials: credentials, spendsTokenUse: spendsToken)
        awaitingResponse = true
        let promise = channel.eventLoop.makePromise(of: AccessDecision.self)
        promise.completeWithTask { await access.decide(accessRequest) }
        let handler = NIOLoopBound(self, eventLoop: channel.eventLoop)
        promise.futureResult.whenSuccess { decision in
            let this = handler.value
            this.awaitingResponse = false
            guard let channel = this.channel, channel.isActive else { return }
            this.carryOut(decision, for: request, action: action, cseq: cseq, channel: channel)
            this.drain()
        }
    }

    private func carryOut(_ decision: AccessDecision, for request: RTSPRequest, action: AccessAction, cseq: String, channel: any Channel) {
        let path = action.path
        switch decision {
        case .allowed(let principal, let info):
            admitted[action] = principal
            if principal == .token, let token = RequestTarget(request.uri)?.queryValue("token") ?? admittedTokens[path] {
                admittedTokens[path] = token
            }
            authenticationInfo = info
            dispatch(request, cseq: cseq, channel: channel)
        case .refused(let refusal, let cause, let startedBurst):
            // Never the password or the token: the cause names neither.
            if startedBurst {
                logger.warning("access refused; failures from this address are backed off", metadata: [
                    "address": "\(address)", "path": "\(path)", "cause": "\(cause)",
                ])
            } else {
                logger.debug("access refused", metadata: ["path": "\(path)", "cause": "\(cause)"])
            }
            var headers = RTSPHeaders()
            let status: RTSPStatus
            switch refusal {
            case .needsCredentials(let challenges):
                status = .unauthorized
                for challenge in challenges { headers.add(name: "WWW-Authenticate", value: challenge) }
            case .forbidden:
                status = .forbidden
            case .rateLimited(let retryAfter):
                // RFC 2326 §12.31: 503 with Retry-After, in whole seconds rounded up.
                status = .serviceUnavailable
                let (seconds, attoseconds) = retryAfter.components
                headers.add(name: "Retry-After", value: "\(seconds + (attoseconds > 0 ? 1 : 0))")
            }
            respond(RTSPResponse(status: status, headers: headers), cseq: cseq)
        }
    }

    private func dispatch(_ request: RTSPRequest, cseq: String, channel: any Channel) {
        switch request.method {
        case "OPTIONS":
            var headers = RTSPHeaders()
            headers.add(name: "Public", value: Self.supportedMethods)
            respond(RTSPResponse(status: .ok, headers: headers), cseq: cseq)
        case "DESCRIBE":
            describe(request, cseq: cseq, channel: channel)
        case "SETUP":
            setup(request, cseq: cseq, channel: channel)
        case "PLAY":
            play(request, cseq: cseq)
        case "PAUSE":
            pause(request, cseq: cseq)
        case "TEARDOWN":
            teardown(request, cseq: cseq)
        case "GET_PARAMETER", "SET_PARAMETER":
            keepAlive(request, cseq: cseq)
        case "ANNOUNCE", "RECORD", "REDIRECT":
            var headers = RTSPHeaders()
            headers.add(name: "Allow", value: Self.supportedMethods)
            respond(RTSPResponse(status: .methodNotAllowed, headers: headers), cseq: cseq)
        default:
            respond(error: .methodNotImplemented(request.method), to: request, cseq: cseq)
        }
    }

    private func describe(_ request: RTSPRequest, cseq: String, channel: any Channel) {
        guard let target = RequestTarget(request.uri) else {
            respond(RTSPResponse(status: .badRequest), cseq: cseq)
            return
        }
        guard let (offer, control) = server.resolve(target), control.isEmpty else {
            respond(error: .notFound(path: "/" + target.segments.joined(separator: "/")), to: request, cseq: cseq)
            return
        }
        let address = channel.localAddress?.ipAddress ?? "0.0.0.0"
        let takesAVPF = TrackConfiguration.Profile.takesAVPF(userAgent: request.headers["User-Agent"])
        let urlPath = target.segments.joined(separator: "/")
        describedQueries[urlPath] = target.query
        awaitingResponse = true
        offer.describe(target, serverAddress: address, clientTakesAVPF: takesAVPF) { [weak self] result in
            guard let self else { return }
            self.awaitingResponse = false
            switch result {
            case .success(let description):
                let sdp = description.serialized()
                var headers = RTSPHeaders()
                headers.add(name: "Content-Base", value: target.base(forStreamPath: urlPath))
                headers.add(name: "Content-Type", value: "application/sdp")
                var body = channel.allocator.buffer(capacity: sdp.utf8.count)
                body.writeString(sdp)
                self.respond(RTSPResponse(status: .ok, headers: headers, body: body), cseq: cseq)
            case .failure(let error):
                self.respond(error: error, to: request, cseq: cseq)
            }
            self.drain()
        }
    }

    private func setup(_ request: RTSPRequest, cseq: String, channel: any Channel) {
        guard var target = RequestTarget(request.uri) else {
            respond(RTSPResponse(status: .badRequest), cseq: cseq)
            return
        }
        guard let (offer, control) = server.resolve(target) else {
            respond(error: .notFound(path: "/" + target.segments.joined(separator: "/")), to: request, cseq: cseq)
            return
        }
        guard let transportValue = request.headers["Transport"] else {
            respond(RTSPResponse(status: .badRequest), cseq: cseq)
            return
        }
        guard let specs = try? TransportHeader.parse(transportValue) else {
            respond(error: .unsupportedTransport(transportValue), to: request, cseq: cseq)
            return
        }
        // Find the session, or make one with a source of its own.
        if let id = request.session {
            guard let existing = server.sessions[id] else {
                respond(error: .sessionNotFound(id), to: request, cseq: cseq)
                return
            }
            guard existing.offer == ObjectIdentifier(offer) else {
                respond(RTSPResponse(status: .aggregateOperationNotAllowed), cseq: cseq)
                return
            }
            setup(request, cseq: cseq, channel: channel, session: existing, isNew: false, control: control, specs: specs, transportValue: transportValue)
            return
        }
        guard server.sessions.count < server.configuration.maxSessions else {
            respond(error: .tooManyViewers(limit: server.configuration.maxSessions), to: request, cseq: cseq)
            return
        }
        if target.query == nil {
            let urlPath = target.segments.dropLast(control.isEmpty ? 0 : control.split(separator: "/").count).joined(separator: "/")
            target.query = describedQueries[urlPath]
        }
        awaitingResponse = true
        offer.openSource(target) { [weak self] result in
            guard let self else { return }
            self.awaitingResponse = false
            switch result {
            case .success(let source):
                guard let channel = self.channel, channel.isActive else {
                    // The client left while its source was opened: nobody will tear it down.
                    return
                }
                let session = RTSPSession(
                    id: self.server.makeSessionID(), source: source, offer: ObjectIdentifier(offer), connectionID: self.connectionID,
                    peer: channel.remoteAddress, now: .now())
                if !self.setup(request, cseq: cseq, channel: channel, session: session, isNew: true, control: control, specs: specs, transportValue: transportValue) {
                    source.stop(session, goodbye: false)
                }
            case .failure(let error):
                self.respond(error: error, to: request, cseq: cseq)
            }
            self.drain()
        }
    }

    /// Adds (or replaces) one track's output of `session`; false when refused, in which case
    /// a new session is not kept.
    @discardableResult
    private func setup(
        _ request: RTSPRequest, cseq: String, channel: any Channel, session: RTSPSession, isNew: Bool, control: String,
        specs: [TransportSpec], transportValue: String
    ) -> Bool {
        let source = session.source
        let tracks = source.trackConfigurations
        let trackIndex: Int
        if control.isEmpty {
            guard tracks.count == 1 else {
                respond(RTSPResponse(status: .aggregateOperationNotAllowed), cseq: cseq)
                return false
            }
            trackIndex = 0
        } else if let index = Track.index(fromControl: control), tracks.indices.contains(index) {
            trackIndex = index
        } else {
            respond(error: .unknownTrack(control), to: request, cseq: cseq)
            return false
        }
        let ports = source.serverPorts(track: trackIndex)
        let multicast = source.multicastGroup(track: trackIndex)
        guard let spec = specs.first(where: { Self.isSupported($0, udpAvailable: ports != nil, multicastAvailable: multicast != nil) }) else {
            respond(error: .unsupportedTransport(transportValue), to: request, cseq: cseq)
            return false
        }
        let addsTrack = session.outputs[trackIndex] == nil
        if case .failure(let error) = session.stateMachine.apply(.setup, addsTrack: addsTrack) {
            respond(error: error, to: request, cseq: cseq, session: session)
            return false
        }
        if !addsTrack, session.state == .playing {
            // Changing the transport of a playing track is not supported; keep it as it is.
            respond(error: .methodNotValidInState(method: "SETUP", state: "Playing"), to: request, cseq: cseq, session: session)
            return false
        }

        // Build the output.
        let ssrcText = String(tracks[trackIndex].ssrc, radix: 16, uppercase: true).leftPadded(to: 8)
        let output: TrackOutput
        let replyTransport: String
        if spec.isMulticast, let group = multicast {
            // The server chooses the group and ports (RFC 2326 §12.39): a client's own
            // destination is not honoured, so nobody can aim the stream elsewhere.
            output = TrackOutput(trackIndex: trackIndex, transport: .multicast, session: session)
            replyTransport =
                "\(spec.profile);multicast;destination=\(group.group);port=\(group.port)-\(group.port + 1);ttl=\(group.ttl);ssrc=\(ssrcText)"
        } else if spec.lowerTransport == .tcp {
            let pair = interleavedChannels(requested: spec.interleaved, trackIndex: trackIndex)
            output = TrackOutput(
                trackIndex: trackIndex,
                transport: .interleaved(interleavedConnection(on: channel), rtp: pair.rtp, rtcp: pair.rtcp), session: session)
            rtcpChannels[pair.rtcp] = output
            replyTransport = "\(spec.profile)/TCP;unicast;interleaved=\(pair.rtp)-\(pair.rtcp);ssrc=\(ssrcText)"
        } else {
            guard let clientPorts = spec.clientPort, let peerIP = channel.remoteAddress?.ipAddress,
                let udp = ports,
                let rtpAddress = try? SocketAddress(ipAddress: peerIP, port: clientPorts.lowerBound),
                let rtcpAddress = try? SocketAddress(
                    ipAddress: peerIP,
                    port: clientPorts.upperBound > clientPorts.lowerBound ? clientPorts.upperBound : clientPorts.lowerBound + 1)
            else {
                respond(error: .unsupportedTransport(transportValue), to: request, cseq: cseq)
                return false
            }
            output = TrackOutput(trackIndex: trackIndex, transport: .udp(rtp: rtpAddress, rtcp: rtcpAddress), session: session)
            let rtcpPort = rtcpAddress.port ?? (clientPorts.lowerBound + 1)
            replyTransport =
                "\(spec.profile);unicast;client_port=\(clientPorts.lowerBound)-\(rtcpPort);server_port=\(udp.rtpPort)-\(udp.rtcpPort);ssrc=\(ssrcText)"
        }
        if let old = session.outputs[trackIndex] {
            rtcpChannels = rtcpChannels.filter { $0.value !== old }
        }
        session.outputs[trackIndex] = output
        if isNew {
            server.sessions[session.id] = session
            ownSessions.append(session)
            logger.info("session created", metadata: ["session": "\(session.id)", "stream": "\(source.path)"])
        }
        var headers = RTSPHeaders()
        headers.add(name: "Transport", value: replyTransport)
        respond(RTSPResponse(status: .ok, headers: headers), cseq: cseq, session: session)
        return true
    }

    private static func isSupported(_ spec: TransportSpec, udpAvailable: Bool, multicastAvailable: Bool) -> Bool {
        // RTP/AVPF (RFC 4585) is AVP plus feedback, which Vigil takes either way.
        guard spec.profile == "RTP/AVP" || spec.profile == "RTP/AVPF" else { return false }
        if spec.isMulticast { return multicastAvailable && udpAvailable && spec.lowerTransport == .udp }
        switch spec.lowerTransport {
        case .tcp: return true
        case .udp: return udpAvailable && spec.clientPort != nil
        }
    }

    private func interleavedConnection(on channel: any Channel) -> InterleavedConnection {
        if let shared = sharedInterleavedConnection { return shared }
        let made = InterleavedConnection(channel: channel)
        sharedInterleavedConnection = made
        return made
    }

    /// The interleaved channel pair for a track: the client's choice when it made one that is
    /// free on this connection, else the first free pair from 2 × track.
    private func interleavedChannels(requested: ClosedRange<Int>?, trackIndex: Int) -> (rtp: UInt8, rtcp: UInt8) {
        let used = Set(rtcpChannels.values.flatMap { output -> [UInt8] in
            if case .interleaved(_, let rtp, let rtcp) = output.transport { return [rtp, rtcp] }
            return []
        })
        if let requested, requested.lowerBound >= 0, requested.lowerBound < 255 {
            let rtp = UInt8(requested.lowerBound)
            let rtcp = UInt8(min(requested.upperBound > requested.lowerBound ? requested.upperBound : requested.lowerBound + 1, 255))
            if !used.contains(rtp) && !used.contains(rtcp) { return (rtp, rtcp) }
        }
        var rtp = UInt8(min(2 * trackIndex, 254))
        while used.contains(rtp) || used.contains(rtp + 1) { rtp = rtp &+ 2 }
        return (rtp, rtp + 1)
    }

    private func session(for request: RTSPRequest, cseq: String) -> RTSPSession? {
        guard let id = request.session else {
            respond(error: .sessionNotFound("(none)"), to: request, cseq: cseq)
            return nil
        }
        guard let session = server.sessions[id] else {
            respond(error: .sessionNotFound(id), to: request, cseq: cseq)
            return nil
        }
        return session
    }

    /// PLAY and PAUSE act on the whole session (aggregate control); a per-track URL is only
    /// accepted when the session has that one track.
    private func checkAggregate(_ request: RTSPRequest, session: RTSPSession, cseq: String) -> Bool {
        guard let target = RequestTarget(request.uri), let (offer, control) = server.resolve(target), ObjectIdentifier(offer) == session.offer else {
            respond(error: .notFound(path: request.uri), to: request, cseq: cseq, session: session)
            return false
        }
        if !control.isEmpty && session.outputs.count > 1 {
            respond(error: .onlyAggregateOperationAllowed, to: request, cseq: cseq, session: session)
            return false
        }
        return true
    }

    /// What a PLAY asks for, read from its headers; a header that cannot be read is answered
    /// (457 for a Range, 456 for a Scale or Speed) and nil returned.
    private func playRequest(_ request: RTSPRequest, cseq: String, session: RTSPSession) -> PlayRequest? {
        let target = RequestTarget(request.uri)
        let controlDepth = target.flatMap { server.resolve($0) }.map { $0.control.isEmpty ? 0 : $0.control.split(separator: "/").count } ?? 0
        let urlPath = target.map { $0.segments.dropLast(controlDepth).joined(separator: "/") } ?? session.source.path
        var play = PlayRequest(baseURL: target?.base(forStreamPath: urlPath) ?? "")
        do {
            if let range = request.headers["Range"] { play.range = try RTSPRange.parse(range) }
        } catch {
            respond(error: .invalidRange("\(error)"), to: request, cseq: cseq, session: session)
            return nil
        }
        do {
            if let scale = request.headers["Scale"] { play.scale = try PlaybackRate.parseScale(scale) }
            if let speed = request.headers["Speed"] { play.speed = try PlaybackRate.parseSpeed(speed) }
        } catch {
            respond(error: .headerFieldNotValid("\(error)"), to: request, cseq: cseq, session: session)
            return nil
        }
        play.seekStyle = request.headers["Seek-Style"].flatMap(SeekStyle.init(headerValue:))
        play.onvifReplay = Self.required(request).contains("onvif-replay")
        play.rateControl = request.headers["Rate-Control"]?.trimmed().lowercased() != "no"
        play.intraOnly = request.headers["Frames"]?.trimmed().lowercased().hasPrefix("intra") ?? false
        // ONVIF `Immediate: yes` (abandon what the current PLAY sends, start the new one at
        // once) needs nothing read: every PLAY already does (RFC 7826 §13.4: a PLAY in Play
        // state replaces the current one; nothing is queued). PlaybackTests shows it.
        play.cseq = UInt8(truncatingIfNeeded: Int(cseq) ?? 0)
        return play
    }

    /// The option tags of a request's `Require` headers (RFC 2326 §12.32), lowercased.
    static func required(_ request: RTSPRequest) -> [String] {
        request.headers.values(name: "Require").flatMap { $0.split(separator: ",") }.map { $0.trimmed().lowercased() }
    }

    /// Option tags Vigil supports in `Require`.
    static let supportedOptions: Set<String> = ["onvif-replay"]

    private func play(_ request: RTSPRequest, cseq: String) {
        guard let session = session(for: request, cseq: cseq), checkAggregate(request, session: session, cseq: cseq) else { return }
        let unsupported = Self.required(request).filter { !Self.supportedOptions.contains($0) }
        if !unsupported.isEmpty {
            var headers = RTSPHeaders()
            headers.add(name: "Unsupported", value: unsupported.joined(separator: ", "))
            respond(RTSPResponse(status: .optionNotSupported, headers: headers), cseq: cseq, session: session)
            return
        }
        guard let play = playRequest(request, cseq: cseq, session: session) else { return }
        if case .failure(let error) = session.stateMachine.apply(.play) {
            respond(error: error, to: request, cseq: cseq, session: session)
            return
        }
        awaitingResponse = true
        session.source.play(session, request: play) { [weak self] result in
            guard let self else { return }
            self.awaitingResponse = false
            switch result {
            case .success(let answer):
                var headers = RTSPHeaders()
                headers.add(name: "Range", value: answer.range.headerValue)
                if !answer.rtpInfo.isEmpty { headers.add(name: "RTP-Info", value: RTPInfoEntry.headerValue(answer.rtpInfo)) }
                if play.scale != nil || answer.scale.map({ $0 != 1 }) == true {
                    headers.add(name: "Scale", value: PlaybackRate.format(answer.scale ?? 1))
                }
                if play.speed != nil { headers.add(name: "Speed", value: PlaybackRate.format(answer.speed ?? 1)) }
                self.respond(RTSPResponse(status: .ok, headers: headers), cseq: cseq, session: session)
            case .failure(let error):
                self.respond(error: error, to: request, cseq: cseq, session: session)
            }
            self.drain()
        }
    }

    private func pause(_ request: RTSPRequest, cseq: String) {
        guard let session = session(for: request, cseq: cseq), checkAggregate(request, session: session, cseq: cseq) else { return }
        if case .failure(let error) = session.stateMachine.apply(.pause) {
            respond(error: error, to: request, cseq: cseq, session: session)
            return
        }
        session.source.pause(session)
        respond(RTSPResponse(status: .ok), cseq: cseq, session: session)
    }

    private func teardown(_ request: RTSPRequest, cseq: String) {
        guard let session = session(for: request, cseq: cseq) else { return }
        _ = session.stateMachine.apply(.teardown)
        rtcpChannels = rtcpChannels.filter { $0.value.session !== session }
        server.end(session, goodbye: true, reason: "teardown")
        ownSessions.removeAll { $0 === session }
        respond(RTSPResponse(status: .ok), cseq: cseq)
    }

    /// GET_PARAMETER and SET_PARAMETER with no body are keep-alives (RFC 2326 §10.8–10.9).
    private func keepAlive(_ request: RTSPRequest, cseq: String) {
        var session: RTSPSession?
        if let id = request.session {
            guard let found = server.sessions[id] else {
                respond(error: .sessionNotFound(id), to: request, cseq: cseq)
                return
            }
            session = found
        }
        if request.method == "SET_PARAMETER" && request.body.readableBytes > 0 {
            respond(RTSPResponse(status: RTSPStatus(code: 451, reason: "Parameter Not Understood")), cseq: cseq, session: session)
            return
        }
        respond(RTSPResponse(status: .ok), cseq: cseq, session: session)
    }

    // MARK: - Responses

    private func respond(error: ServeError, to request: RTSPRequest, cseq: String?, session: RTSPSession? = nil) {
        logger.debug("request refused", metadata: ["method": "\(request.method)", "error": "\(error)"])
        var headers = RTSPHeaders()
        if case .methodNotImplemented = error {
            headers.add(name: "Public", value: Self.supportedMethods)
        }
        respond(RTSPResponse(status: error.status, headers: headers), cseq: cseq, session: session)
    }

    private func respond(_ response: RTSPResponse, cseq: String?, session: RTSPSession? = nil) {
        guard let channel else { return }
        var response = response
        if let session {
            response.headers.replaceOrAdd(
                name: "Session", value: "\(session.id);timeout=\(server.configuration.sessionTimeout.nanoseconds / 1_000_000_000)")
        }
        write(response, cseq: cseq, channel: channel)
    }

    private func send(_ response: RTSPResponse, cseq: String?, context: ChannelHandlerContext) {
        write(response, cseq: cseq, channel: context.channel)
    }

    private func write(_ response: RTSPResponse, cseq: String?, channel: any Channel) {
        var response = response
        var headers = RTSPHeaders()
        if let cseq { headers.add(name: "CSeq", value: cseq) }
        headers.add(name: "Server", value: server.configuration.serverName)
        if let info = authenticationInfo {
            headers.add(name: "Authentication-Info", value: info)
            authenticationInfo = nil
        }
        for (name, value) in response.headers { headers.add(name: name, value: value) }
        response.headers = headers
        var buffer = channel.allocator.buffer(capacity: 256 + response.body.readableBytes)
        response.write(into: &buffer)
        channel.writeAndFlush(buffer, promise: nil)
    }
}

extension String {
    func leftPadded(to length: Int, with pad: Character = "0") -> String {
        count >= length ? self : String(repeating: pad, count: length - count) + self
    }
}

extension StringProtocol {
    /// Without surrounding spaces and tabs (RFC 2326 LWS).
    func trimmed() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
