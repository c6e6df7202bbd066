import Logging
import MediaCore
import NIOCore
import NIOPosix
import ServeWire

/// One file viewer's player: its own packetizers and RTP clocks, its own pacing and sender
/// reports, over a stored-media reader (a recording, a file) that it drives from the blocking
/// pool. The paper in the seed gives each file client a sending thread of its own; here each
/// has a timer on the server's loop instead, and a player that is not playing has none.
///
/// Media time is the reader's timeline. RTP timestamps follow it (a gap in a recording is a
/// jump in them, and a seek lands where the timeline says), and for a recording the sender
/// reports pair them with the recording's own wall clock, so a player that syncs by SR sees
/// when each picture was taken. Pacing follows media time divided by the scale, except across
/// a gap, which is skipped at once.
///
/// Confined to the server's event loop.
final class FilePlayer: SessionSource {
    let path: String
    let trackConfigurations: [TrackConfiguration]
    private let reader: StoredReaderCell
    private let eventLoop: any EventLoop
    private let ports: PlaybackPorts
    private let pool: NIOThreadPool
    private var logger: Logger
    private let released: () -> Void
    private let cname: String

    private struct Lane {
        var packetizer: any RTPPacketizer
        let clock: RTPClock
        let isVideo: Bool
    }
    private var lanes: [Lane]
    /// The session played (the player serves exactly one); the session holds the player.
    private weak var session: RTSPSession?

    /// Units read ahead, in time order; `head` is the next to send.
    private var queue: [StoredUnit] = []
    private var head = 0
    private var readInFlight = false
    private var readerAtEnd = false
    /// Bumped by every seek and stop, so a read that comes back for an older position is dropped.
    private var generation = 0
    /// Whether any PLAY positioned the reader yet.
    private var positioned = false

    private var playing = false
    /// Uptime and media instant that match: a unit of instant t is due at
    /// `uptime + (t - media) / scale`.
    private var anchor: (uptime: NIODeadline, media: Int64) = (.uptimeNanoseconds(0), 0)
    private var scale = 1.0
    private var keyFramesOnly = false
    private var withAudio = true
    /// The end of the range asked for; nothing at or after it is sent.
    private var stopAt: Int64 = .max
    /// The instant of the last unit sent and when it was due.
    private var lastSent: (instant: Int64, due: NIODeadline)?
    private var timer: Scheduled<Void>?
    private var reportTimer: Scheduled<Void>?
    private var stopped = false
    /// ONVIF replay: the CSeq byte its extension carries, and whether the next unit starts a
    /// section (after a PLAY or a gap).
    private var replay: UInt8?
    private var sectionStarts: Set<Int> = []
    /// ONVIF `Rate-Control: no`: as fast as the viewer takes it.
    private var rateControl = true
    /// Units sent per turn of the loop without rate control, so other viewers get their turn.
    static let burst = 32
    /// Reverse play: where the next step back starts, where the first landed (the mirror of
    /// media time that paces and stamps it), and how far back it goes.
    private var reverse = false
    private var reverseCursor: Int64?
    private var reverseOrigin: Int64 = 0
    private var reverseFloor: Int64 = 0
    /// Reverse steps a GOP at a time: only a jump longer than this between two is a gap.
    static let reverseGapThreshold: Int64 = 10_000_000_000

    /// Read ahead at most this much media (times the scale), and at most this many units: what
    /// an idle (paused) player holds.
    static let readAhead: Int64 = 1_000_000_000
    static let readAheadUnits = 120
    /// A jump in the timeline longer than this is a gap in the recording: skipped, not waited.
    static let gapThreshold: Int64 = 1_000_000_000
    /// Units due within this of now go out together (one wake-up).
    static let sendSlack: TimeAmount = .milliseconds(2)
    /// A TCP viewer that cannot take more is asked again after this; its pacing stops meanwhile.
    static let stallRetry: TimeAmount = .milliseconds(10)
    static let reportInterval: TimeAmount = .seconds(1)
    /// Between the last packet and the BYE that ends a presentation.
    static let endGrace: TimeAmount = .milliseconds(250)
    static let scales: ClosedRange<Double> = 0.25...8

    init(
        path: String, reader: StoredReaderCell, eventLoop: any EventLoop, ports: PlaybackPorts, pool: NIOThreadPool, mtu: Int,
        logger: Logger, released: @escaping () -> Void
    ) {
        self.path = path
        self.reader = reader
        self.eventLoop = eventLoop
        self.ports = ports
        self.pool = pool
        self.logger = logger
        self.released = released
        var random = SystemRandomNumberGenerator()
        self.cname = "vigil-file-\(String(UInt64.random(in: 1...UInt64.max, using: &random), radix: 16))"
        let configurations = StoredMediaTracks.configurations(reader.tracks, using: &random)
        self.trackConfigurations = configurations
        let epoch = MediaInstant(nanoseconds: reader.start)
        self.lanes = configurations.map { configuration in
            Lane(
                packetizer: Track.makePacketizer(configuration, mtu: mtu),
                clock: RTPClock(clockRate: configuration.clockRate, timestampOffset: configuration.timestampOffset, epoch: epoch),
                isVideo: configuration.kind == .video)
        }
    }

    deinit {
        if !stopped { released() }
    }

    static func trackConfigurations(_ tracks: [StoredTrack]) -> [TrackConfiguration] {
        var random = SystemRandomNumberGenerator()
        return StoredMediaTracks.configurations(tracks, using: &random)
    }

    func serverPorts(track: Int) -> UDPPortPair? { ports.pair(position: track) }
    func multicastGroup(track: Int) -> MulticastGroup? { nil }

    // MARK: - Control

    func play(_ session: RTSPSession, request: PlayRequest, respond: @escaping (Result<PlayAnswer, ServeError>) -> Void) {
        guard !stopped else {
            respond(.failure(.notFound(path: path)))
            return
        }
        self.session = session
        // Where to go: nil resumes where the last PLAY left off (RFC 7826 §13.4.1).
        var target: Int64?
        var asClock = false
        var clockFromNTPEpoch = false
        stopAt = reader.end
        switch request.range {
        case nil, .npt(start: nil, _)?:
            target = positioned ? nil : reader.start
            if case .npt(_, let end?)? = request.range { stopAt = min(reader.end, reader.start + Self.nanoseconds(end)) }
        case .npt(let start?, let end)?:
            target = reader.start + Self.nanoseconds(start)
            if let end { stopAt = min(reader.end, reader.start + Self.nanoseconds(end)) }
        case .clock(let start, let end)? where start < 0:
            // Before 1970: time from NTP's epoch standing for npt, as GStreamer's ONVIF mode
            // writes it for a presentation announced in npt. Answered the same way.
            target = reader.start + (start - RTSPRange.ntpEpoch)
            if let end { stopAt = min(reader.end, reader.start + (end - RTSPRange.ntpEpoch)) }
            asClock = true
            clockFromNTPEpoch = true
        case .clock(let start, let end)?:
            guard reader.timeline == .wallClock else {
                respond(.failure(.invalidRange("clock= on media that has no wall clock; use npt=")))
                return
            }
            target = start
            asClock = true
            if let end { stopAt = min(reader.end, end) }
        }
        if let target, target >= reader.end {
            respond(.failure(.invalidRange("the range starts at or after the end of what is stored")))
            return
        }
        let requestedScale = request.scale ?? 1
        let magnitude = min(max(abs(requestedScale), Self.scales.lowerBound), Self.scales.upperBound)
        // Reverse play sends the key frame of each GOP, newest first (a decoder needs nothing
        // else to show them), at |scale| times the pace of the media it steps over.
        reverse = requestedScale < 0
        scale = magnitude
        reverseFloor = reader.start
        if reverse, case .npt(_, let end?)? = request.range { reverseFloor = reader.start + Self.nanoseconds(end) }
        if reverse, case .clock(_, let end?)? = request.range { reverseFloor = end }
        if reverse { stopAt = reader.end }
        keyFramesOnly = scale > 2 || request.intraOnly || reverse
        replay = request.onvifReplay ? request.cseq : nil
        rateControl = request.rateControl || !request.onvifReplay
        sectionStarts = Set(lanes.indices)
        withAudio = scale == 1 && !request.intraOnly
        let style = request.seekStyle ?? .randomAccessPoint
        halt()
        let answer: (Int64) -> Void = { [weak self] landed in
            guard let self else { return }
            // RFC 2326 §12.33 / RFC 7826 §18.45: rtptime is the RTP time of the Range start.
            // With First-Prior the Range is the instant asked for (pictures before it are sent
            // to decode from the key frame, and fall before the start); otherwise the key frame.
            let rangeStart = style == .firstPrior ? max(landed, target ?? landed) : landed
            let info = session.outputs.keys.sorted().map { index in
                RTPInfoEntry(
                    url: "\(request.baseURL)\(Track.control(index))", sequence: self.lanes[index].packetizer.nextSequenceNumber,
                    timestamp: self.lanes[index].clock.timestamp(at: MediaInstant(nanoseconds: rangeStart)))
            }
            let shift = clockFromNTPEpoch ? RTSPRange.ntpEpoch - self.reader.start : 0
            let range: RTSPRange = asClock
                ? .clock(start: rangeStart + shift, end: self.stopAt < self.reader.end ? self.stopAt + shift : nil)
                : .npt(start: Double(rangeStart - self.reader.start) / 1e9, end: Double(self.stopAt - self.reader.start) / 1e9)
            respond(.success(PlayAnswer(range: range, scale: self.reverse ? -self.scale : self.scale, speed: nil, rtpInfo: info)))
            self.start(session)
        }
        if let target {
            seek(to: target, style: style) { [weak self] result in
                guard let self else { return }
                switch result {
                case .success(let landed?): answer(landed)
                case .success(nil): respond(.failure(.invalidRange("nothing stored at or after the range's start")))
                case .failure(let error):
                    self.logger.warning("stored media could not be read", metadata: ["error": "\(error)"])
                    respond(.failure(.notFound(path: self.path)))
                }
            }
        } else {
            guard head < queue.count else {
                if readerAtEnd {
                    respond(.failure(.invalidRange("the presentation has ended")))
                } else {
                    // Paused before anything was read back: read on from where it was.
                    fetch { [weak self] in
                        guard let self else { return }
                        guard self.head < self.queue.count else {
                            respond(.failure(.invalidRange("the presentation has ended")))
                            return
                        }
                        answer(self.queue[self.head].unit.instant.nanoseconds)
                    }
                }
                return
            }
            answer(queue[head].unit.instant.nanoseconds)
        }
    }

    func pause(_ session: RTSPSession) {
        halt()
    }

    func stop(_ session: RTSPSession, goodbye: Bool) {
        guard !stopped else { return }
        halt()
        if goodbye { sendReports(goodbye: true) }
        for output in session.outputs.values { ports.unregister(output) }
        stopped = true
        generation += 1
        queue = []
        head = 0
        released()
    }

    /// Stops the clock; what was read ahead stays for a resume.
    private func halt() {
        playing = false
        timer?.cancel()
        timer = nil
        reportTimer?.cancel()
        reportTimer = nil
    }

    private func start(_ session: RTSPSession) {
        for output in session.outputs.values { ports.register(output) }
        playing = true
        lastSent = nil
        let first = head < queue.count ? queue[head].decodeInstant : reader.start
        anchor = (.now(), first)
        // The PLAY response was just written; the first report and media follow it.
        eventLoop.assumeIsolated().execute { [weak self] in
            guard let self, self.playing else { return }
            self.sendReports(goodbye: false)
            self.scheduleReport()
            self.pump()
        }
    }

    /// The next sender report, `reportInterval` from now, while playing.
    private func scheduleReport() {
        reportTimer = eventLoop.assumeIsolated().scheduleTask(in: Self.reportInterval) { [weak self] in
            guard let self, self.playing else { return }
            self.sendReports(goodbye: false)
            self.scheduleReport()
        }
    }

    // MARK: - Reading

    /// Positions the reader on the blocking pool and reads the first units; `done` gets the
    /// instant landed on.
    private func seek(to target: Int64, style: SeekStyle, done: @escaping (Result<Int64?, any Error>) -> Void) {
        generation += 1
        let generation = self.generation
        queue = []
        head = 0
        readerAtEnd = false
        readInFlight = true
        positioned = true
        let cell = reader
        let filter = UnitFilter(
            keyFramesOnly: keyFramesOnly, withAudio: withAudio, limit: stopAt, reverse: reverse, floor: reverseFloor, origin: nil)
        let seekTarget = style == .next ? target + 1 : target
        pool.runIfActive(eventLoop: eventLoop) { () throws -> ReadAhead in
            try cell.withReader { reader in
                if filter.reverse {
                    var batch = try filter.readBackwards(from: reader, cursor: target, units: Self.readAheadUnits / 8)
                    batch.landed = batch.units.first?.unit.instant.nanoseconds
                    return batch
                }
                guard var landed = try reader.seek(to: seekTarget) else { return ReadAhead(units: [], atEnd: true, landed: nil) }
                if style == .next, landed < target {
                    // The first key frame after the instant: read past the one before it.
                    let after = try reader.seek(to: target + 1)
                    landed = after ?? landed
                }
                var batch = try filter.read(from: reader, span: Self.readAhead, units: Self.readAheadUnits)
                batch.landed = landed
                return batch
            }
        }.assumeIsolated().whenComplete { [weak self] result in
            guard let self, generation == self.generation else { return }
            self.readInFlight = false
            switch result {
            case .success(let batch):
                self.queue = batch.units
                self.readerAtEnd = batch.atEnd
                self.reverseCursor = batch.cursor
                if let first = batch.units.first, self.reverse { self.reverseOrigin = first.unit.instant.nanoseconds }
                done(.success(batch.landed))
            case .failure(let error):
                self.readerAtEnd = true
                done(.failure(error))
            }
        }
    }

    /// Reads the next units after those queued, unless a read is running or the end is reached.
    private func fetch(then done: (() -> Void)? = nil) {
        guard !readInFlight, !readerAtEnd, !stopped else {
            done?()
            return
        }
        readInFlight = true
        let generation = self.generation
        let cell = reader
        let filter = UnitFilter(
            keyFramesOnly: keyFramesOnly, withAudio: withAudio, limit: stopAt, reverse: reverse, floor: reverseFloor, origin: reverseOrigin)
        let span = Int64(Double(Self.readAhead) * max(1, scale))
        let cursor = reverseCursor
        pool.runIfActive(eventLoop: eventLoop) { () throws -> ReadAhead in
            try cell.withReader { reader in
                if filter.reverse {
                    guard let cursor else { return ReadAhead(units: [], atEnd: true, landed: nil) }
                    return try filter.readBackwards(from: reader, cursor: cursor, units: Self.readAheadUnits / 8)
                }
                return try filter.read(from: reader, span: span, units: Self.readAheadUnits)
            }
        }.assumeIsolated().whenComplete { [weak self] result in
            guard let self, generation == self.generation else { return }
            self.readInFlight = false
            switch result {
            case .success(let batch):
                if self.head > 0 {
                    self.queue.removeFirst(self.head)
                    self.head = 0
                }
                self.queue += batch.units
                self.readerAtEnd = batch.atEnd
                self.reverseCursor = batch.cursor
            case .failure(let error):
                self.logger.warning("stored media could not be read; the presentation ends here", metadata: ["error": "\(error)"])
                self.readerAtEnd = true
            }
            done?()
            if self.playing && self.timer == nil { self.pump() }
        }
    }

    private struct ReadAhead: Sendable {
        var units: [StoredUnit]
        var atEnd: Bool
        var landed: Int64?
        /// Reverse: where the next step back starts.
        var cursor: Int64?
    }

    /// Which units a rate plays: key frames only above 2×, audio only at 1×.
    private struct UnitFilter: Sendable {
        var keyFramesOnly: Bool
        var withAudio: Bool
        var limit: Int64
        var reverse = false
        var floor: Int64 = .min
        /// Reverse: the first key frame's instant, the mirror of whose time paces and stamps
        /// the rest (nil: the first read sets it).
        var origin: Int64?

        /// Key frames going back from `cursor`, one per GOP, each stamped on the mirrored
        /// timeline (`2 × origin − instant`), which rises as the pictures go back.
        func readBackwards(from reader: any StoredMediaReader, cursor: Int64, units: Int) throws -> ReadAhead {
            var batch = ReadAhead(units: [], atEnd: false, landed: nil, cursor: cursor)
            var origin = self.origin
            var cursor = cursor
            while batch.units.count < units {
                guard cursor >= floor, let landed = try reader.seek(to: cursor), landed <= cursor, landed >= floor,
                    let stored = try reader.next(), stored.unit.codec.isVideo, stored.unit.isKeyFrame
                else {
                    batch.atEnd = true
                    batch.cursor = nil
                    break
                }
                if origin == nil { origin = landed }
                var mirrored = stored
                mirrored.decodeInstant = 2 * origin! - landed
                batch.units.append(mirrored)
                cursor = landed - 1
                batch.cursor = cursor
            }
            return batch
        }

        func read(from reader: any StoredMediaReader, span: Int64, units: Int) throws -> ReadAhead {
            var batch = ReadAhead(units: [], atEnd: false, landed: nil)
            var first: Int64?
            while batch.units.count < units {
                guard let stored = try reader.next(), stored.unit.instant.nanoseconds < limit else {
                    batch.atEnd = true
                    break
                }
                let isVideo = stored.unit.codec.isVideo
                if !isVideo && !withAudio { continue }
                if isVideo && keyFramesOnly && !stored.unit.isKeyFrame { continue }
                batch.units.append(stored)
                let instant = stored.unit.instant.nanoseconds
                if first == nil { first = instant }
                if let first, instant - first >= span { break }
            }
            return batch
        }
    }

    // MARK: - Sending

    private func due(_ instant: Int64) -> NIODeadline {
        anchor.uptime + .nanoseconds(Int64(Double(instant - anchor.media) / scale))
    }

    /// Sends every unit that is due, then sleeps until the next one.
    private func pump() {
        timer = nil
        guard playing, let session else { return }
        // A TCP viewer that cannot take more holds the clock: it is paced down to what it
        // takes, and the read-ahead stays bounded.
        for output in session.outputs.values {
            if case .interleaved(let connection, _, _) = output.transport, !connection.channel.isWritable {
                anchor.uptime = anchor.uptime + Self.stallRetry
                timer = eventLoop.assumeIsolated().scheduleTask(in: Self.stallRetry) { [weak self] in self?.pump() }
                return
            }
        }
        let now = NIODeadline.now()
        var sent = 0
        var flushUDP = [false, false]
        var flushed: [ObjectIdentifier: any Channel] = [:]
        while head < queue.count {
            let stored = queue[head]
            // Sent when it must be decoded (a picture B-frames refer to goes before them).
            let instant = stored.decodeInstant
            if !reverse && stored.unit.instant.nanoseconds >= stopAt {
                head = queue.count
                readerAtEnd = true
                break
            }
            if let last = lastSent, instant - last.instant > (reverse ? Self.reverseGapThreshold : Self.gapThreshold) {
                // A gap in the recording: go on at once (the timestamps show the jump).
                anchor = (max(now, last.due), instant)
            }
            let due = rateControl ? self.due(instant) : now
            if due > now + Self.sendSlack { break }
            if !rateControl && sent >= Self.burst { break }
            head += 1
            lastSent = (instant, due)
            // ONVIF: E on the last unit before a gap, D on the first after one.
            let next = head < queue.count ? queue[head].decodeInstant : nil
            let endsSection = next.map { $0 - instant > (reverse ? Self.reverseGapThreshold : Self.gapThreshold) } ?? false
            send(stored, session: session, flushUDP: &flushUDP, channels: &flushed, endsSection: endsSection)
            sent += 1
        }
        for (position, needed) in flushUDP.enumerated() where needed { ports.pair(position: position)?.rtp.flush() }
        for channel in flushed.values { channel.flush() }
        if head >= 64 {
            queue.removeFirst(head)
            head = 0
        }
        let ahead = head < queue.count ? (queue.last!.decodeInstant - queue[head].decodeInstant) : 0
        if !readerAtEnd && ahead < Int64(Double(Self.readAhead) * max(1, scale)) / 2 { fetch() }
        if head < queue.count {
            let next = rateControl ? due(queue[head].decodeInstant) : now
            timer = eventLoop.assumeIsolated().scheduleTask(deadline: next) { [weak self] in self?.pump() }
        } else if readerAtEnd && !readInFlight {
            // The BYE follows once the last picture has had its time on screen: players stop
            // reading at a BYE, and one sent with the last packets cuts off what they still
            // hold to reorder.
            timer = eventLoop.assumeIsolated().scheduleTask(in: Self.endGrace) { [weak self] in self?.finish() }
        }
    }

    private func send(
        _ stored: StoredUnit, session: RTSPSession, flushUDP: inout [Bool], channels: inout [ObjectIdentifier: any Channel],
        endsSection: Bool
    ) {
        guard lanes.indices.contains(stored.track), let output = session.outputs[stored.track] else { return }
        var packets: [ByteBuffer] = []
        // Reverse: RTP time runs on the mirrored timeline, so it still rises as RTP wants.
        let stamped = reverse ? MediaInstant(nanoseconds: stored.decodeInstant) : stored.unit.instant
        let timestamp = lanes[stored.track].clock.timestamp(at: stamped)
        lanes[stored.track].packetizer.packetize(parts: stored.unit.parts, timestamp: timestamp, into: &packets)
        if let cseq = replay, let first = packets.first {
            // ONVIF §6.3: the extension on the first packet of every access unit, with the
            // wall-clock time of the unit.
            let ntp = reader.timeline == .wallClock
                ? NTPTimestamp(unixNanoseconds: stored.unit.instant.nanoseconds)
                : NTPTimestamp(unixNanoseconds: MediaClock.wallClockNanoseconds())
            let isLast = packets.count == 1
            let replayExtension = ReplayExtension(
                ntp: ntp, cleanPoint: stored.unit.isKeyFrame, endOfSection: endsSection && isLast,
                discontinuity: sectionStarts.contains(stored.track), cseq: cseq)
            if let extended = replayExtension.inserted(into: first, headroom: InterleavedFrame.headerSize, allocator: ByteBufferAllocator()) {
                packets[0] = extended
            }
            sectionStarts.remove(stored.track)
            if endsSection { sectionStarts = Set(lanes.indices) }
        }
        let octets = packets.reduce(0) { $0 + $1.readableBytes - RTPHeader.size }
        switch output.transport {
        case .udp(let address, _):
            guard let channel = ports.pair(position: stored.track)?.rtp else { return }
            if Self.usesUDPSegmentation && packets.count > 1 && output.udpSegmentation != .refused {
                writeSegmented(packets, to: output, address: address, on: channel)
            } else {
                for packet in packets { channel.write(AddressedEnvelope(remoteAddress: address, data: packet), promise: nil) }
            }
            flushUDP[min(stored.track, flushUDP.count - 1)] = true
        case .interleaved(let connection, let rtpChannel, _):
            let channel = connection.channel
            var size = 0
            for packet in packets { size += InterleavedFrame.headerSize + packet.readableBytes }
            var frames = channel.allocator.buffer(capacity: size)
            for packet in packets {
                InterleavedFrame.writeHeader(channel: rtpChannel, length: packet.readableBytes, into: &frames)
                frames.writeImmutableBuffer(packet)
            }
            channel.write(frames, promise: nil)
            channels[ObjectIdentifier(channel)] = channel
        case .path(let path):
            for packet in packets { path.send(rtp: packet, track: output.trackIndex) }
            path.flush()
        case .multicast:
            return
        }
        output.statistics.packetsSent += UInt64(packets.count)
        output.statistics.octetsSent += UInt64(octets)
    }

    static let usesUDPSegmentation = System.supportsUDPSegmentationOffload

    /// A unit's equal-size packets as UDP GSO writes (one system call for a picture's FU-A
    /// fragments), probed per viewer as the live hub's are.
    private func writeSegmented(_ packets: [ByteBuffer], to output: TrackOutput, address: SocketAddress, on channel: any Channel) {
        var batches: [DatagramBatch] = []
        DatagramBatch.make(from: packets, allocator: channel.allocator, into: &batches)
        output.write(batches, to: address, on: channel, logger: logger)
    }

    /// The end of the presentation: RTCP BYE on every track (RFC 3550 §6.6), and the session
    /// stays until the client tears it down.
    private func finish() {
        guard playing else { return }
        logger.debug("presentation ended", metadata: ["session": "\(session?.id ?? "?")"])
        sendReports(goodbye: true)
        halt()
    }

    // MARK: - RTCP

    /// The media instant playing now, by the pacing clock, never past the last unit sent.
    private func mediaNow() -> Int64 {
        let elapsed = Int64(Double((NIODeadline.now() - anchor.uptime).nanoseconds) * scale)
        let instant = anchor.media + max(0, elapsed)
        if let last = lastSent { return min(instant, last.instant + Self.gapThreshold) }
        return instant
    }

    /// A sender report (and SDES CNAME, and BYE when leaving) to each track's viewer. For a
    /// recording the NTP time is the recording's wall clock at the media playing now.
    private func sendReports(goodbye: Bool) {
        guard let session else { return }
        let instant = mediaNow()
        let ntp = reader.timeline == .wallClock
            ? NTPTimestamp(unixNanoseconds: instant)
            : NTPTimestamp(unixNanoseconds: MediaClock.wallClockNanoseconds())
        for (index, output) in session.outputs {
            guard lanes.indices.contains(index) else { continue }
            let lane = lanes[index]
            let ssrc = trackConfigurations[index].ssrc
            var packets: [RTCPPacket] = [
                .senderReport(SenderReport(
                    ssrc: ssrc, ntp: ntp, rtpTimestamp: lane.clock.timestamp(at: MediaInstant(nanoseconds: instant)),
                    packetCount: lane.packetizer.packetCount, octetCount: lane.packetizer.octetCount, reports: [])),
                .sourceDescription(.cname(ssrc: ssrc, cname)),
            ]
            if goodbye { packets.append(.goodbye(Goodbye(ssrcs: [ssrc], reason: nil))) }
            switch output.transport {
            case .udp(_, let address):
                guard let channel = ports.pair(position: index)?.rtcp else { continue }
                var buffer = channel.allocator.buffer(capacity: 128)
                RTCPCompound.write(packets, into: &buffer)
                channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: buffer), promise: nil)
            case .interleaved(let connection, _, let rtcpChannel):
                let channel = connection.channel
                guard channel.isWritable else { continue }
                var body = channel.allocator.buffer(capacity: 128)
                RTCPCompound.write(packets, into: &body)
                var frame = channel.allocator.buffer(capacity: body.readableBytes + InterleavedFrame.headerSize)
                InterleavedFrame.writeHeader(channel: rtcpChannel, length: body.readableBytes, into: &frame)
                frame.writeBuffer(&body)
                channel.writeAndFlush(frame, promise: nil)
            case .path(let path):
                var buffer = ByteBufferAllocator().buffer(capacity: 128)
                RTCPCompound.write(packets, into: &buffer)
                path.send(rtcp: buffer, track: output.trackIndex)
                path.flush()
            case .multicast:
                continue
            }
        }
    }

    func receiveRTCP(_ buffer: ByteBuffer, track: Int, from address: SocketAddress?, output: TrackOutput?) {
        guard let output, let packets = try? RTCPCompound.parse(buffer) else { return }
        output.session.touch()
        output.noteReport(at: .now())
        for packet in packets {
            switch packet {
            case .receiverReport(let report):
                for block in report.reports where lanes.indices.contains(track) && block.ssrc == trackConfigurations[track].ssrc {
                    output.statistics.receiverReports += 1
                    output.statistics.fractionLost = Double(block.fractionLost) / 256
                    output.statistics.cumulativeLost = block.cumulativeLost
                    output.statistics.jitter = block.jitter
                }
            case .goodbye(let bye) where !bye.ssrcs.isEmpty:
                // RFC 3550 §6.6: the viewer leaves; its session lasts until TEARDOWN or timeout.
                output.statistics.byeReceived = true
                halt()
                return
            default:
                continue
            }
        }
    }

    static func nanoseconds(_ seconds: Double) -> Int64 { Int64((seconds * 1e9).rounded()) }
}

/// How stored tracks are announced and stamped: H.264 and H.263 (RFC 4629, H263-1998) as
/// payload type 96 with the H.264 parameter sets in fmtp, Opus (RFC 7587) and AAC (RFC 3640)
/// as 97, G.711 as its static type at 8 kHz (RFC 3551 §6). SSRCs, first sequence numbers
/// and timestamp offsets are drawn from `random`.
public enum StoredMediaTracks {
    public static func configurations(_ tracks: [StoredTrack], using random: inout some RandomNumberGenerator) -> [TrackConfiguration] {
        tracks.map { track in
            let ssrc = UInt32.random(in: 1...UInt32.max, using: &random)
            let sequence = UInt16.random(in: 0...UInt16.max, using: &random)
            let offset = UInt32.random(in: 0...UInt32.max, using: &random)
            switch track.codec {
            case .h264, .h263:
                var fmtp: String?
                switch track.parameters {
                case .h264(let sps, let pps)?: fmtp = H264FormatParameters.fmtp(sps: sps, pps: pps)
                case .h263(let width, let height)?: fmtp = H263Format.fmtp(payload: .rfc4629, width: width, height: height, bitrateKbps: 0)
                default: break
                }
                var configuration = TrackConfiguration(
                    kind: .video, codec: track.codec, payloadType: 96, clockRate: 90_000,
                    formatParameters: fmtp, ssrc: ssrc, initialSequenceNumber: sequence, timestampOffset: offset)
                configuration.profile = .byClient
                return configuration
            case .opus:
                return .opus(payloadType: 97, ssrc: ssrc, initialSequenceNumber: sequence, timestampOffset: offset)
            case .aac:
                var config: [UInt8] = []
                var channels = 1
                if case .aac(let audioSpecificConfig, _, let count)? = track.parameters {
                    config = audioSpecificConfig
                    channels = count
                }
                return TrackConfiguration(
                    kind: .audio, codec: .aac, payloadType: 97, clockRate: track.clockRate, channels: channels,
                    formatParameters: AACFormat.formatParameters(audioSpecificConfig: config), ssrc: ssrc,
                    initialSequenceNumber: sequence, timestampOffset: offset)
            case .pcmu, .pcma:
                let staticType: UInt8 = track.codec == .pcmu ? 0 : 8
                return TrackConfiguration(
                    kind: .audio, codec: track.codec, payloadType: track.clockRate == 8000 ? staticType : 97,
                    clockRate: track.clockRate, channels: 1, ssrc: ssrc, initialSequenceNumber: sequence, timestampOffset: offset)
            }
        }
    }
}
