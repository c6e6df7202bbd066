import Access
import Logging
import MediaCore
import NIOCore
import ServeWire

/// One live stream shared by all its viewers: one packetizer per track, each RTP packet built
/// once and written to every playing viewer from the same buffer.
///
/// All state is confined to `eventLoop` (the RTSP server's loop), so packets, RTSP requests
/// and RTCP for the stream never race; the hub is not `Sendable`, and the rest of the program
/// holds it through a `LiveStream`, whose every call hops to the loop. A viewer that cannot
/// keep up (its TCP connection is not writable) loses packets alone, counted in its
/// statistics; nobody else waits for it.
final class StreamHub {
    let configuration: StreamConfiguration
    let eventLoop: any EventLoop
    let logger: Logger
    let anchor: WallClockAnchor
    var tracks: [Track]

    /// PLAY requests waiting for the next key frame so that their first video packet starts a
    /// decodable picture and RTP-Info names exactly that packet.
    var pendingPlays: [PendingPlay] = []
    /// Asks the video encoder for a key frame.
    let keyFrameRequester: (@Sendable () -> Void)?
    /// Sets the video encoder's bitrate (kbit/s), with `bitrateController` deciding from the
    /// receiver reports how the shared encoder is steered.
    let bitrateSetter: (@Sendable (Int) -> Void)?
    var bitrateController: BitrateController?
    var bitrateTimer: Scheduled<Void>?
    /// Forced key frames cost bitrate; joins closer together than this share one.
    let minimumForcedKeyFrameInterval: TimeAmount = .milliseconds(500)
    /// How long a PLAY waits for a key frame before it starts anyway (the viewer then waits
    /// for one without holding up the response).
    let keyFrameWaitLimit: TimeAmount = .seconds(2)
    var lastForcedKeyFrame: NIODeadline?
    var scheduledKeyFrameRequest: Scheduled<Void>?
    var isShutDown = false

    /// Flush the shared UDP socket after this many queued datagrams, so a large fan-out goes
    /// out in `sendmmsg` batches without piling the whole frame up in the channel first.
    let datagramFlushBatch = 64
    /// Send the equal-size packets of a unit to each UDP viewer as one segmented write (UDP
    /// GSO) where the kernel supports it; see `DatagramBatch`.
    var usesUDPSegmentation = System.supportsUDPSegmentationOffload
    /// An RFC 2326 §10.12 interleaved header: '$', channel, 16-bit length.
    static let interleavedHeaderSize = InterleavedFrame.headerSize
    /// How long audio for a TCP viewer may wait for the next video unit's flush, so that the
    /// two leave in one system call (see `holdAudio(on:now:)`); zero flushes every unit.
    var interleavedAudioHold: TimeAmount
    /// Connections audio was left on for the next flush; some may have been flushed since (by
    /// a picture), which the hold timer skips.
    var heldAudio: [InterleavedConnection] = []
    var heldAudioFlush: Scheduled<Void>?

    struct PendingPlay {
        var session: RTSPSession
        var baseURL: String
        var respond: (Result<[RTPInfoEntry], ServeError>) -> Void
        var timeout: Scheduled<Void>?
    }

    init(
        configuration: StreamConfiguration, eventLoop: any EventLoop, anchor: WallClockAnchor, epoch: MediaInstant,
        encoder: LiveStream.EncoderControl = .init(), interleavedAudioHold: TimeAmount = LiveStream.defaultInterleavedAudioHold,
        logger: Logger
    ) {
        self.keyFrameRequester = encoder.requestKeyFrame
        self.bitrateSetter = encoder.setBitrate
        self.bitrateController = encoder.bitrateController
        self.interleavedAudioHold = interleavedAudioHold
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.anchor = anchor
        var logger = logger
        logger[metadataKey: "stream"] = "\(configuration.path)"
        self.logger = logger
        self.tracks = configuration.tracks.enumerated().map { index, track in
            Track(index: index, configuration: track, mtu: configuration.mtu, epoch: epoch)
        }
    }

    var path: String { configuration.path }

    /// Packetizes `unit` once and writes it to every viewer playing `track`.
    func deliver(_ unit: EncodedUnit, track index: Int) {
        eventLoop.assertInEventLoop()
        guard !isShutDown, tracks.indices.contains(index) else { return }
        let track = tracks[index]
        let timestamp = track.clock.timestamp(at: unit.instant)
        let isVideo = track.configuration.kind == .video

        if isVideo && unit.isKeyFrame && !pendingPlays.isEmpty {
            startPendingPlays(videoTrack: index, keyFrameSequence: track.packetizer.nextSequenceNumber, keyFrameTimestamp: timestamp)
        }

        track.packets.removeAll(keepingCapacity: true)
        track.datagramBatches.removeAll(keepingCapacity: true)
        track.datagramBatchesBuilt = false
        track.packetizer.packetize(parts: unit.parts, timestamp: timestamp, into: &track.packets)
        track.lastInstant = unit.instant
        track.unitsSent += 1
        if !isVideo {
            track.nextAudioTimestamp = timestamp &+ UInt32(truncatingIfNeeded: unit.sampleCount)
        }
        track.interleavedUnits.removeAll(keepingCapacity: true)
        if isVideo {
            for packet in track.packets { track.remember(packet) }
        }
        fanOut(track: track, isKeyFrame: unit.isKeyFrame, isVideo: isVideo)
    }

    private func fanOut(track: Track, isKeyFrame: Bool, isVideo: Bool) {
        let now = eventLoop.now
        let packets = track.packets
        let octets = packets.reduce(0) { $0 + $1.readableBytes - RTPHeader.size }
        var queuedDatagrams = 0
        var needsKeyFrame = false
        var groupListening = false
        for output in track.outputs {
            if isVideo && output.waitingForKeyFrame {
                if !isKeyFrame { continue }
                output.waitingForKeyFrame = false
            }
            if isVideo && output.keyFramesOnly && !isKeyFrame {
                // Its path carries far less than the stream: key frames only, so it still
                // sees a picture every key-frame interval without a broken chain between.
                output.statistics.picturesSkipped += 1
                continue
            }
            switch output.transport {
            case .multicast:
                groupListening = true
            case .udp(let rtpAddress, _):
                guard let channel = track.udp?.rtp else { continue }
                if usesUDPSegmentation && packets.count > 1 && output.udpSegmentation != .refused {
                    queuedDatagrams += writeSegmented(track: track, to: output, address: rtpAddress, on: channel)
                } else {
                    for packet in packets {
                        channel.write(AddressedEnvelope(remoteAddress: rtpAddress, data: packet), promise: nil)
                    }
                    queuedDatagrams += packets.count
                }
                if queuedDatagrams >= datagramFlushBatch {
                    channel.flush()
                    queuedDatagrams = 0
                }
            case .path(let path):
                guard path.isWritable else {
                    output.statistics.packetsDropped += UInt64(packets.count)
                    if isVideo {
                        output.waitingForKeyFrame = true
                        needsKeyFrame = true
                    }
                    continue
                }
                for packet in packets { path.send(rtp: packet, track: track.index) }
                path.flush()
            case .interleaved(let connection, let rtpChannel, _):
                let channel = connection.channel
                guard channel.isWritable else {
                    output.statistics.packetsDropped += UInt64(packets.count)
                    if isVideo {
                        output.waitingForKeyFrame = true
                        needsKeyFrame = true
                    }
                    continue
                }
                // The whole unit in one buffer, built once and shared by every TCP viewer on
                // this channel number: one write per viewer, not one per packet.
                channel.write(track.interleavedFrames(channel: rtpChannel, allocator: channel.allocator), promise: nil)
                if isVideo || interleavedAudioHold == .zero {
                    channel.flush()
                    connection.audioHeldSince = nil
                } else {
                    holdAudio(on: connection, now: now)
                }
            }
            output.statistics.packetsSent += UInt64(packets.count)
            output.statistics.octetsSent += UInt64(octets)
            track.packetsSent += UInt64(packets.count)
            track.octetsSent += UInt64(octets)
        }
        if groupListening, let group = track.multicast?.rtp, let channel = track.udp?.rtp {
            // Once on the wire for every multicast viewer; silent when none is playing.
            for packet in packets { channel.write(AddressedEnvelope(remoteAddress: group, data: packet), promise: nil) }
            queuedDatagrams += packets.count
        }
        if queuedDatagrams > 0 {
            track.udp?.rtp.flush()
        }
        if needsKeyFrame {
            requestKeyFrame()
        }
    }

    /// Leaves the audio just written to a TCP viewer unflushed: it goes out with the next
    /// video unit's flush on the same connection (the next picture, 33 ms away at 30 fps), or
    /// once it has waited `interleavedAudioHold`, whichever comes first. A G.711 packet every
    /// 20 ms would otherwise cost a write (and on the viewer's side a wake-up) of its own:
    /// with it riding along, a viewer of both tracks costs one system call per picture
    /// instead of 2.7. The RTP packets and their timestamps are unchanged, so players keep
    /// audio and video in sync as before; only audio's arrival is later, by at most the hold.
    private func holdAudio(on connection: InterleavedConnection, now: NIODeadline) {
        guard connection.audioHeldSince == nil else { return }
        connection.audioHeldSince = now
        heldAudio.append(connection)
        if heldAudioFlush == nil {
            heldAudioFlush = eventLoop.assumeIsolated().scheduleTask(deadline: now + interleavedAudioHold) { [weak self] in
                self?.flushHeldAudio()
            }
        }
    }

    /// Flushes the connections whose audio has waited the whole hold (no picture took it
    /// along), or all of them; and sets the timer again for the oldest still waiting.
    func flushHeldAudio(all: Bool = false) {
        heldAudioFlush = nil
        let now = eventLoop.now
        var waiting: [InterleavedConnection] = []
        for connection in heldAudio {
            guard let since = connection.audioHeldSince else { continue }  // left with a picture
            if all || since + interleavedAudioHold <= now {
                connection.audioHeldSince = nil
                connection.channel.flush()
            } else {
                waiting.append(connection)
            }
        }
        heldAudio = waiting
        // A connection flushed by a picture and held again sits where it was first held, so
        // the oldest hold is not always the first entry.
        if let oldest = waiting.compactMap(\.audioHeldSince).min() {
            heldAudioFlush = eventLoop.assumeIsolated().scheduleTask(deadline: oldest + interleavedAudioHold) { [weak self] in
                self?.flushHeldAudio()
            }
        }
    }

    /// Writes the unit's packets to one UDP viewer as `DatagramBatch`es (built once per unit
    /// for all viewers); returns the writes queued.
    private func writeSegmented(track: Track, to output: TrackOutput, address: SocketAddress, on channel: any Channel) -> Int {
        if !track.datagramBatchesBuilt {
            DatagramBatch.make(from: track.packets, allocator: channel.allocator, into: &track.datagramBatches)
            track.datagramBatchesBuilt = true
        }
        output.write(track.datagramBatches, to: address, on: channel, logger: logger)
        return track.datagramBatches.count
    }

    // MARK: - Viewers

    /// Starts (or resumes) `session`. With video, the response waits for the next key frame
    /// (forced now, within the rate limit) so that RTP-Info names the packet that starts it.
    func playLive(_ session: RTSPSession, baseURL: String, respond: @escaping (Result<[RTPInfoEntry], ServeError>) -> Void) {
        eventLoop.assertInEventLoop()
        let hasVideo = session.outputs.values.contains { tracks[$0.trackIndex].configuration.kind == .video }
        if !hasVideo || keyFrameRequester == nil {
            respond(.success(start(session, baseURL: baseURL, videoStart: nil)))
            return
        }
        var pending = PendingPlay(session: session, baseURL: baseURL, respond: respond, timeout: nil)
        let id = ObjectIdentifier(session)
        pending.timeout = eventLoop.assumeIsolated().scheduleTask(in: keyFrameWaitLimit) { [weak self] in
            guard let self, let i = self.pendingPlays.firstIndex(where: { ObjectIdentifier($0.session) == id }) else { return }
            let late = self.pendingPlays.remove(at: i)
            self.logger.notice("no key frame within the wait limit; starting the viewer without one", metadata: ["session": "\(late.session.id)"])
            late.respond(.success(self.start(late.session, baseURL: late.baseURL, videoStart: nil)))
        }
        // One key frame starts every PLAY waiting for it: only the first asks.
        let alreadyAsked = !pendingPlays.isEmpty
        pendingPlays.append(pending)
        if !alreadyAsked { requestKeyFrame() }
    }

    private func startPendingPlays(videoTrack: Int, keyFrameSequence: UInt16, keyFrameTimestamp: UInt32) {
        let plays = pendingPlays
        pendingPlays.removeAll()
        for play in plays {
            play.timeout?.cancel()
            let info = start(play.session, baseURL: play.baseURL, videoStart: (videoTrack, keyFrameSequence, keyFrameTimestamp))
            play.respond(.success(info))
        }
    }

    /// Adds the session's outputs to their tracks and returns its RTP-Info entries
    /// (RFC 2326 §12.33): for each track, the sequence number and RTP time of the first
    /// packet the viewer will get. The RTP time is left out where it cannot be known exactly
    /// (no audio sent yet; video starting without a key frame in hand): the client then takes
    /// it from the first packet, which is better than a guess.
    private func start(_ session: RTSPSession, baseURL: String, videoStart: (track: Int, sequence: UInt16, timestamp: UInt32)?) -> [RTPInfoEntry] {
        var info: [RTPInfoEntry] = []
        for (index, output) in session.outputs.sorted(by: { $0.key < $1.key }) {
            let track = tracks[index]
            let sequence: UInt16
            let timestamp: UInt32?
            if let videoStart, videoStart.track == index {
                sequence = videoStart.sequence
                timestamp = videoStart.timestamp
                output.waitingForKeyFrame = true  // released by the key frame being delivered now
            } else if track.configuration.kind == .audio {
                sequence = track.packetizer.nextSequenceNumber
                timestamp = track.nextAudioTimestamp
                output.waitingForKeyFrame = false
            } else {
                sequence = track.packetizer.nextSequenceNumber
                timestamp = nil
                output.waitingForKeyFrame = true
            }
            if !track.outputs.contains(where: { $0 === output }) {
                track.outputs.append(output)
                if case .udp(let rtp, let rtcp) = output.transport {
                    track.outputsByAddress[rtp] = output
                    track.outputsByAddress[rtcp] = output
                }
                if case .multicast = output.transport { updateGroupListener(track: track) }
            }
            info.append(RTPInfoEntry(url: "\(baseURL)\(Track.control(index))", sequence: sequence, timestamp: timestamp))
        }
        // A sender report right away lets the viewer put audio and video on one timeline
        // from its first packets instead of after the first regular RTCP interval. It goes
        // out just after the PLAY response, which the caller writes when this returns: on an
        // interleaved connection nothing may come before that response (clients that read the
        // response first, such as rtsp_load and some NVRs, would take the report for garbage).
        let outputs = Array(session.outputs.values)
        eventLoop.assumeIsolated().execute {
            for output in outputs {
                let track = self.tracks[output.trackIndex]
                guard track.outputs.contains(where: { $0 === output }) else { continue }  // stopped meanwhile
                self.sendRTCP(to: output, track: track, goodbye: false)
            }
        }
        logger.info("viewer playing", metadata: ["session": "\(session.id)", "viewers": "\(viewerCount)"])
        return info
    }

    /// Stops sending to `session` (PAUSE, TEARDOWN, or the connection went away).
    /// With `goodbye`, each of its tracks ends with an RTCP BYE (RFC 3550 §6.6).
    func stop(_ session: RTSPSession, goodbye: Bool) {
        eventLoop.assertInEventLoop()
        if let i = pendingPlays.firstIndex(where: { $0.session === session }) {
            let pending = pendingPlays.remove(at: i)
            pending.timeout?.cancel()
            pending.respond(.failure(.methodNotValidInState(method: "PLAY", state: "Init")))
        }
        bitrateController?.forget(viewer: session.id)
        for output in session.outputs.values {
            let track = tracks[output.trackIndex]
            if goodbye {
                sendRTCP(to: output, track: track, goodbye: true)
            }
            track.outputs.removeAll { $0 === output }
            if case .udp(let rtp, let rtcp) = output.transport {
                if track.outputsByAddress[rtp] === output { track.outputsByAddress[rtp] = nil }
                if track.outputsByAddress[rtcp] === output { track.outputsByAddress[rtcp] = nil }
            }
            if case .multicast = output.transport { updateGroupListener(track: track) }
        }
    }

    /// Asks the encoder for a key frame now, or as soon as the rate limit allows.
    func requestKeyFrame() {
        guard let requester = keyFrameRequester, scheduledKeyFrameRequest == nil else { return }
        // The loop's clock, which is the real one on a real loop (and steps in tests).
        let now = eventLoop.now
        let allowed = lastForcedKeyFrame.map { $0 + minimumForcedKeyFrameInterval } ?? now
        if now >= allowed {
            lastForcedKeyFrame = now
            requester()
        } else {
            scheduledKeyFrameRequest = eventLoop.assumeIsolated().scheduleTask(deadline: allowed) { [weak self] in
                guard let self else { return }
                self.scheduledKeyFrameRequest = nil
                self.lastForcedKeyFrame = self.eventLoop.now
                requester()
            }
        }
    }

    /// Viewers currently receiving at least one track.
    var viewerCount: Int {
        var sessions = Set<ObjectIdentifier>()
        for track in tracks {
            for output in track.outputs { sessions.insert(ObjectIdentifier(output.session)) }
        }
        return sessions.count
    }
}

extension StreamHub: MediaOffer, SessionSource {
    var permission: Permission { .read }

    func describe(
        _ target: RequestTarget, serverAddress: String, clientTakesAVPF: Bool,
        respond: @escaping (Result<SessionDescription, ServeError>) -> Void
    ) {
        respond(.success(sessionDescription(serverAddress: serverAddress, clientTakesAVPF: clientTakesAVPF)))
    }

    /// Every viewer of a live stream shares the hub.
    func openSource(_ target: RequestTarget, respond: @escaping (Result<any SessionSource, ServeError>) -> Void) {
        respond(isShutDown ? .failure(.notFound(path: path)) : .success(self))
    }

    var trackConfigurations: [TrackConfiguration] { tracks.map(\.configuration) }

    func serverPorts(track: Int) -> UDPPortPair? { tracks.indices.contains(track) ? tracks[track].udp : nil }

    func multicastGroup(track: Int) -> MulticastGroup? {
        guard tracks.indices.contains(track), let multicast = tracks[track].multicast else { return nil }
        return MulticastGroup(group: multicast.group, port: multicast.port, ttl: multicast.ttl)
    }

    /// Live media has no position: a Range or Scale is answered with what live is (`npt=now-`
    /// in effect, from the next key frame, at 1×); RFC 7826 §13.4.2 lets a server play what
    /// it can.
    func play(_ session: RTSPSession, request: PlayRequest, respond: @escaping (Result<PlayAnswer, ServeError>) -> Void) {
        if session.state == .playing, session.hasStarted {
            respond(.success(PlayAnswer(range: .npt(start: nil, end: nil), rtpInfo: [])))
            return
        }
        session.hasStarted = true
        playLive(session, baseURL: request.baseURL) { result in
            respond(result.map { PlayAnswer(range: .npt(start: 0, end: nil), rtpInfo: $0) })
        }
    }

    func pause(_ session: RTSPSession) {
        session.hasStarted = false
        stop(session, goodbye: false)
    }
}
