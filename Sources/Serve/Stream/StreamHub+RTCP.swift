import Logging
import MediaCore
import NIOCore
import ServeWire

extension StreamHub {
    /// Builds the compound RTCP packet a track sends: SR + SDES CNAME, and BYE when leaving
    /// (RFC 3550 §6.1: every compound starts with a report and carries the CNAME).
    ///
    /// The NTP and RTP times of the report are computed for one media-clock instant — now —
    /// so the pair is exact whatever the send jitter (RFC 3550 §6.4.1).
    func makeRTCP(track: Track, goodbye: Bool, allocator: ByteBufferAllocator) -> ByteBuffer {
        let times = track.clock.senderReportTimes(at: MediaClock.now(), anchor: anchor)
        var packets: [RTCPPacket] = [
            .senderReport(SenderReport(
                ssrc: track.configuration.ssrc, ntp: times.ntp, rtpTimestamp: times.rtp,
                packetCount: track.packetizer.packetCount, octetCount: track.packetizer.octetCount, reports: [])),
            .sourceDescription(.cname(ssrc: track.configuration.ssrc, configuration.cname)),
        ]
        if goodbye {
            packets.append(.goodbye(Goodbye(ssrcs: [track.configuration.ssrc], reason: nil)))
        }
        var buffer = allocator.buffer(capacity: 128)
        buffer.moveWriterIndex(forwardBy: Self.interleavedHeaderSize)
        buffer.moveReaderIndex(forwardBy: Self.interleavedHeaderSize)
        RTCPCompound.write(packets, into: &buffer)
        track.averageRTCPSize = (1.0 / 16.0) * Double(buffer.readableBytes + 28) + (15.0 / 16.0) * track.averageRTCPSize
        return buffer
    }

    /// Sends one compound RTCP packet to one viewer of `track`.
    func sendRTCP(to output: TrackOutput, track: Track, goodbye: Bool) {
        let allocator: ByteBufferAllocator
        switch output.transport {
        case .udp, .multicast, .path: allocator = track.udp?.rtcp.allocator ?? ByteBufferAllocator()
        case .interleaved(let connection, _, _): allocator = connection.channel.allocator
        }
        let packet = makeRTCP(track: track, goodbye: goodbye, allocator: allocator)
        send(rtcp: packet, to: output, track: track)
        flushRTCP(output: output, track: track)
    }

    private func send(rtcp packet: ByteBuffer, to output: TrackOutput, track: Track) {
        switch output.transport {
        case .udp(_, let rtcpAddress):
            track.udp?.rtcp.write(AddressedEnvelope(remoteAddress: rtcpAddress, data: packet), promise: nil)
        case .multicast:
            guard let group = track.multicast?.rtcp else { return }
            track.udp?.rtcp.write(AddressedEnvelope(remoteAddress: group, data: packet), promise: nil)
        case .interleaved(let connection, _, let rtcpChannel):
            let channel = connection.channel
            guard channel.isWritable else { return }
            var header = channel.allocator.buffer(capacity: Self.interleavedHeaderSize)
            InterleavedFrame.writeHeader(channel: rtcpChannel, length: packet.readableBytes, into: &header)
            channel.write(header, promise: nil)
            channel.write(packet, promise: nil)
        case .path(let path):
            path.send(rtcp: packet, track: track.index)
        }
    }

    private func flushRTCP(output: TrackOutput, track: Track) {
        switch output.transport {
        case .udp, .multicast: track.udp?.rtcp.flush()
        case .interleaved(let connection, _, _):
            connection.channel.flush()
            connection.audioHeldSince = nil
        case .path(let path): path.flush()
        }
    }

    /// Schedules the next sender report of every track (RFC 3550 §6.2, §6.3, A.7), and the
    /// bitrate decisions.
    func startReports() {
        eventLoop.assertInEventLoop()
        for track in tracks { scheduleReport(track: track) }
        if bitrateController != nil { scheduleBitrateDecision() }
    }

    private func scheduleBitrateDecision() {
        bitrateTimer = eventLoop.assumeIsolated().scheduleTask(in: .seconds(1)) { [weak self] in
            guard let self, !self.isShutDown else { return }
            self.steerBitrate()
            self.scheduleBitrateDecision()
        }
    }

    /// Once a second: a new bitrate for the shared encoder if the controller has one, and
    /// which viewers fall back to key frames only. Every change is logged with its reason.
    func steerBitrate() {
        guard var controller = bitrateController else { return }
        let active = Set(tracks.flatMap { $0.outputs.map { $0.session.id } })
        let decision = controller.decide(now: Double(NIODeadline.now().uptimeNanoseconds) / 1e9)
        let slow = controller.keyFramesOnly.intersection(active)
        bitrateController = controller
        if let decision {
            logger.notice("video bitrate changed", metadata: ["kbps": "\(decision.kbps)", "reason": "\(decision.reason)"])
            bitrateSetter?(decision.kbps)
        }
        for track in tracks where track.configuration.kind == .video {
            for output in track.outputs {
                let keyFramesOnly = slow.contains(output.session.id)
                if keyFramesOnly != output.keyFramesOnly {
                    logger.notice(keyFramesOnly ? "viewer far below the stream's rate: key frames only" : "viewer back to every picture",
                        metadata: ["session": "\(output.session.id)"])
                }
                output.keyFramesOnly = keyFramesOnly
                output.statistics.keyFramesOnly = keyFramesOnly
            }
        }
    }

    func scheduleReport(track: Track) {
        guard !isShutDown else { return }
        let members = track.outputs.count + 1
        // RTCP gets 5 % of the session bandwidth; the sender's share is computed inside.
        let rtcpBandwidth = Double(configuration.sessionBandwidthKbps) * 1000 / 8 * 0.05
        let interval = RTCPInterval.compute(
            members: members, senders: 1, rtcpBandwidth: rtcpBandwidth, weSent: true,
            averageRTCPSize: track.averageRTCPSize, initial: !track.sentFirstReport,
            randomUnit: Double.random(in: 0..<1),
            minimumInterval: configuration.reducedMinimumRTCPInterval
                ? RTCPInterval.reducedMinimumInterval(sessionBandwidthKbps: configuration.sessionBandwidthKbps)
                : RTCPInterval.defaultMinimumInterval)
        track.reportTimer = eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(interval * 1e9))) { [weak self, weak track] in
            guard let self, let track else { return }
            self.sendReports(track: track)
            track.sentFirstReport = true
            self.scheduleReport(track: track)
        }
    }

    /// One sender report for the track, built once and sent to every viewer of it; and each
    /// viewer's statistics in the debug log at the same pace.
    func sendReports(track: Track) {
        guard !track.outputs.isEmpty else { return }
        let now = NIODeadline.now()
        dropSilentViewers(track: track, now: now)
        guard !track.outputs.isEmpty else { return }
        if logger.logLevel <= .debug, now >= track.nextStatisticsLog {
            // Reports go out several times a second; the statistics every few seconds are enough.
            track.nextStatisticsLog = now + .seconds(5)
            for output in track.outputs {
                let s = output.statistics
                let loss: String = s.fractionLost.map { "\(($0 * 1000).rounded() / 1000)" } ?? "-"
                let jitter: String = s.jitter.map { "\($0)" } ?? "-"
                let rtt: String = s.roundTripSeconds.map { "\(($0 * 1000).rounded() / 1000)" } ?? "-"
                var metadata: Logger.Metadata = ["session": "\(output.session.id)", "track": "\(track.index)"]
                metadata["sent"] = "\(s.packetsSent)"
                metadata["dropped"] = "\(s.packetsDropped)"
                metadata["resent"] = "\(s.packetsResent)"
                metadata["fractionLost"] = "\(loss)"
                metadata["jitter"] = "\(jitter)"
                metadata["rtt"] = "\(rtt)"
                metadata["keyFramesOnly"] = "\(s.keyFramesOnly)"
                logger.debug("viewer statistics", metadata: metadata)
            }
        }
        let allocator = track.udp?.rtcp.allocator ?? ByteBufferAllocator()
        let packet = makeRTCP(track: track, goodbye: false, allocator: allocator)
        var usedUDP = false
        var sentToGroup = false
        for output in track.outputs {
            if case .multicast = output.transport {
                // One report for the whole group.
                if sentToGroup { continue }
                sentToGroup = true
            }
            send(rtcp: packet, to: output, track: track)
            switch output.transport {
            case .interleaved(let connection, _, _):
                connection.channel.flush()
                connection.audioHeldSince = nil
            case .path(let path):
                path.flush()
            case .udp, .multicast:
                usedUDP = true
            }
        }
        if usedUDP { track.udp?.rtcp.flush() }
    }

    /// Takes a compound RTCP packet from a viewer (UDP from `address`, or interleaved from
    /// `output`): receiver reports about this track's SSRC become the viewer's statistics.
    func receiveRTCP(_ buffer: ByteBuffer, track index: Int, from address: SocketAddress?, output: TrackOutput?) {
        eventLoop.assertInEventLoop()
        guard tracks.indices.contains(index) else { return }
        let track = tracks[index]
        // Anybody can send datagrams to the server's RTCP port: one that comes from no viewer's
        // address costs this dictionary lookup and a count, never a parse.
        guard let output = output ?? address.flatMap({ track.outputsByAddress[$0] }) else {
            track.rtcpFromStrangers &+= 1
            return
        }
        let packets: [RTCPPacket]
        do {
            packets = try RTCPCompound.parse(buffer)
        } catch {
            logger.debug("malformed RTCP from a viewer", metadata: ["session": "\(output.session.id)", "error": "\(error)"])
            return
        }
        output.session.touch()
        output.noteReport(at: NIODeadline.now())
        let arrival = NTPTimestamp(unixNanoseconds: MediaClock.wallClockNanoseconds())
        for packet in packets {
            let reports: [ReceptionReport]
            switch packet {
            case .receiverReport(let rr): reports = rr.reports
            case .senderReport(let sr): reports = sr.reports
            case .goodbye(let bye):
                // RFC 3550 §6.6: the viewer is leaving. Stop its media now; its RTSP session
                // goes on until TEARDOWN or the timeout, as RFC 2326 has it.
                output.statistics.byeReceived = true
                if !bye.ssrcs.isEmpty {
                    logger.info("viewer said BYE; its media stops", metadata: ["session": "\(output.session.id)"])
                    stop(output.session, goodbye: false)
                    return
                }
                continue
            case .other:
                if let feedback = FeedbackMessage(packet) { handle(feedback, from: output, track: track) }
                continue
            default: continue
            }
            for report in reports where report.ssrc == track.configuration.ssrc {
                output.statistics.receiverReports += 1
                output.statistics.fractionLost = Double(report.fractionLost) / 256
                output.statistics.cumulativeLost = report.cumulativeLost
                output.statistics.jitter = report.jitter
                if track.configuration.kind == .video {
                    bitrateController?.observe(
                        viewer: output.session.id, fractionLost: Double(report.fractionLost) / 256,
                        jitterSeconds: Double(report.jitter) / Double(track.configuration.clockRate),
                        now: Double(NIODeadline.now().uptimeNanoseconds) / 1e9)
                }
                if let rtt = RoundTrip.seconds(
                    arrivalNTP: arrival, lastSenderReport: report.lastSenderReport,
                    delaySinceLastSenderReport: report.delaySinceLastSenderReport)
                {
                    output.statistics.roundTripSeconds = rtt
                }
                logger.trace("receiver report", metadata: [
                    "session": "\(output.session.id)", "track": "\(index)",
                    "fractionLost": "\(report.fractionLost)", "jitter": "\(report.jitter)",
                ])
            }
        }
    }

    /// RFC 3550 §6.3.5: a receiver that has reported and then falls silent for several of its
    /// own report intervals is gone (its host went away without TEARDOWN, or its path died).
    /// Its media stops; the RTSP session ends on its own timeout. Only UDP viewers: a TCP
    /// viewer's connection tells. The limit is five of the viewer's own intervals and never
    /// under `configuration.viewerReportTimeout`, because some clients report rarely (ffmpeg
    /// sends a report per ~280 kB received: every 35 s on a 64 kbit/s track).
    func dropSilentViewers(track: Track, now: NIODeadline) {
        let silent = track.outputs.filter { output in
            guard !output.isInterleaved, let last = output.lastReportAt else { return false }
            let limit = max(configuration.viewerReportTimeout, output.reportInterval * 5)
            return now - last > limit
        }
        for output in silent {
            logger.info("viewer stopped reporting; its media stops", metadata: [
                "session": "\(output.session.id)", "track": "\(track.index)",
                "silentSeconds": "\((now - output.lastReportAt!).nanoseconds / 1_000_000_000)",
            ])
            stop(output.session, goodbye: true)
        }
    }

    /// Takes a compound RTCP packet sent to the multicast group. Its sender is one of the
    /// multicast viewers on the host it came from: the one that reported with this SSRC
    /// before, or else the first there not yet known by its SSRC. Our own reports, looped
    /// back by the group, are left alone.
    func receiveGroupRTCP(_ buffer: ByteBuffer, track index: Int, from address: SocketAddress) {
        eventLoop.assertInEventLoop()
        guard tracks.indices.contains(index) else { return }
        let track = tracks[index]
        // The group's port hears every host on the segment: only a host with a multicast
        // viewer here is worth a parse. (A scan of the outputs, not a lookup: multicast
        // viewers are kept with the others, and the listener exists only while there are some.
        // Not counted as strangers: our own reports loop back here too.)
        let host = address.ipAddress
        let fromViewerHost = track.outputs.contains {
            if case .multicast = $0.transport { return $0.session.peer?.ipAddress == host }
            return false
        }
        guard fromViewerHost, let packets = try? RTCPCompound.parse(buffer) else { return }
        let reporter: UInt32?
        switch packets.first {
        case .receiverReport(let rr): reporter = rr.ssrc
        case .senderReport(let sr): reporter = sr.ssrc
        default: reporter = nil
        }
        guard let reporter, reporter != track.configuration.ssrc else { return }
        let candidates = track.outputs.filter {
            if case .multicast = $0.transport { return $0.session.peer?.ipAddress == address.ipAddress }
            return false
        }
        guard let output = candidates.first(where: { $0.reporterSSRC == reporter })
            ?? candidates.first(where: { $0.reporterSSRC == nil })
        else { return }
        if output.reporterSSRC == nil {
            output.reporterSSRC = reporter
            logger.debug("multicast viewer reports to the group", metadata: [
                "session": "\(output.session.id)", "track": "\(index)", "ssrc": "\(reporter)",
            ])
        }
        receiveRTCP(buffer, track: index, from: nil, output: output)
    }

    /// Repair a viewer asked for: a key frame (PLI, FIR; rate-limited across viewers, since
    /// the encoder is shared), or the packets it lost sent again from the history (generic
    /// NACK, RFC 4585 §6.2.1): as they were, or in the RFC 4588 retransmission stream.
    func handle(_ feedback: FeedbackMessage, from output: TrackOutput, track: Track) {
        let ssrc = track.configuration.ssrc
        if feedback.asksForKeyFrame(of: ssrc) {
            output.statistics.keyFrameRequests += 1
            track.keyFrameRequests += 1
            logger.debug("key frame requested", metadata: ["session": "\(output.session.id)"])
            requestKeyFrame()
            return
        }
        switch feedback {
        case .receiverEstimatedMaximumBitrate(_, let bits, let ssrcs) where ssrcs.contains(ssrc):
            output.statistics.estimatedBitsPerSecond = bits
            return
        case .transportWideFeedback:
            output.statistics.transportFeedbacks += 1
            return
        default:
            break
        }
        guard case .genericNACK(_, let source, let lost) = feedback, source == ssrc else { return }
        output.statistics.nacksReceived += 1
        track.nacksReceived += 1
        if case .multicast = output.transport { return }  // a repair for one member would reach all
        let allocator: ByteBufferAllocator
        switch output.transport {
        case .interleaved(let connection, _, _): allocator = connection.channel.allocator
        default: allocator = track.udp?.rtp.allocator ?? ByteBufferAllocator()
        }
        var packets: [ByteBuffer] = []
        switch track.configuration.repair {
        case .none: return
        case .resend: packets = lost.compactMap { track.packet(sequence: $0) }
        case .retransmissionStream where !output.takesRetransmissionStream:
            // A path that negotiated no rtx stream (WebRTC answers none) gets the originals.
            packets = lost.compactMap { track.packet(sequence: $0) }
        case .retransmissionStream:
            for sequence in lost {
                guard let original = track.packet(sequence: sequence),
                    let packet = track.retransmission?.retransmission(of: original, allocator: allocator)
                else { continue }
                packets.append(packet)
            }
        }
        for packet in packets {
            switch output.transport {
            case .udp(let address, _):
                track.udp?.rtp.write(AddressedEnvelope(remoteAddress: address, data: packet), promise: nil)
            case .multicast:
                continue
            case .path(let path):
                path.send(rtp: packet, track: track.index)
            case .interleaved(let connection, let rtpChannel, _):
                let channel = connection.channel
                guard channel.isWritable else { continue }
                var header = channel.allocator.buffer(capacity: Self.interleavedHeaderSize)
                InterleavedFrame.writeHeader(channel: rtpChannel, length: packet.readableBytes, into: &header)
                channel.write(header, promise: nil)
                channel.write(packet, promise: nil)
            }
        }
        switch output.transport {
        case .udp, .multicast: track.udp?.rtp.flush()
        case .interleaved(let connection, _, _):
            connection.channel.flush()
            connection.audioHeldSince = nil
        case .path(let path): path.flush()
        }
        track.resentPackets += UInt64(packets.count)
        output.statistics.packetsResent += UInt64(packets.count)
    }

    /// Ends the stream: BYE to every viewer, timers cancelled, sockets closed.
    func shutdown() -> EventLoopFuture<Void> {
        eventLoop.assertInEventLoop()
        for pending in pendingPlays {
            pending.timeout?.cancel()
            pending.respond(.failure(.notFound(path: path)))
        }
        pendingPlays.removeAll()
        heldAudioFlush?.cancel()
        flushHeldAudio(all: true)
        scheduledKeyFrameRequest?.cancel()
        scheduledKeyFrameRequest = nil
        bitrateTimer?.cancel()
        var closes: [EventLoopFuture<Void>] = []
        for track in tracks {
            track.reportTimer?.cancel()
            for output in track.outputs {
                sendRTCP(to: output, track: track, goodbye: true)
            }
            track.outputs.removeAll()
            track.outputsByAddress.removeAll()
            if let udp = track.udp {
                closes.append(udp.rtp.close())
                closes.append(udp.rtcp.close())
            }
            if case .listening(let listener) = track.groupListener { closes.append(listener.close()) }
            track.groupListener = .none
            track.udp = nil
        }
        isShutDown = true
        return EventLoopFuture.andAllComplete(closes, on: eventLoop)
    }
}
