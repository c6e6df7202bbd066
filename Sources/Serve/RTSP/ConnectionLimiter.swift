import NIOCore

/// Admission of RTSP connections: a cap on open connections in total and one per peer
/// address, and the once-per-burst report of what was refused. A value with no socket and no
/// logger, and the time passed in: `RTSPServerState` asks it and logs the reports it returns.
///
/// A burst begins with the first refusal (reported at once, as a warning) and ends when every
/// cap has room again and nothing has been refused for `quietPeriod` (reported with what was
/// refused meanwhile). Refusals inside a burst are counted, not reported, so a flood of a
/// thousand connections costs one warning — also when request_timeout frees places during
/// the flood and they fill again at once.
struct ConnectionLimiter: Sendable {
    struct Limits: Hashable, Sendable {
        /// Open connections from everybody.
        var total: Int
        /// Open connections from one IP address.
        var perAddress: Int
    }

    /// Which cap a connection ran into.
    enum Refusal: Hashable, Sendable, CustomStringConvertible {
        case total
        case perAddress

        /// The config key of the cap, which is what the owner can change.
        var description: String {
            switch self {
            case .total: "max_connections"
            case .perAddress: "max_connections_per_address"
            }
        }
    }

    /// What a burst did, for the report at its end.
    struct Burst: Hashable, Sendable {
        var refusedTotal = 0
        var refusedPerAddress = 0
        var refused: Int { refusedTotal + refusedPerAddress }
    }

    enum Report: Hashable, Sendable {
        /// The first refusal of a burst.
        case limitReached(Refusal, address: String, open: Int, openFromAddress: Int, limit: Int)
        /// Every cap has room again; what happened since `limitReached`.
        case limitCleared(Burst)
    }

    enum Decision: Hashable, Sendable {
        case admitted
        case refused(Refusal)
    }

    /// How long a burst must be over before it is reported over: a flood that pauses for
    /// less is the same flood.
    static let quietPeriod: TimeAmount = .seconds(10)

    let limits: Limits
    private(set) var open = 0
    private(set) var openByAddress: [String: Int] = [:]
    /// Addresses with `limits.perAddress` connections open: while there are any, the burst
    /// is not over.
    private var addressesAtCap = 0
    private(set) var burst: Burst?
    private var lastRefusal = NIODeadline.uptimeNanoseconds(0)

    init(limits: Limits) {
        self.limits = limits
    }

    /// Counts the connection in if both caps have room; else refuses it.
    mutating func admit(address: String, now: NIODeadline) -> (Decision, Report?) {
        let fromAddress = openByAddress[address, default: 0]
        let refusal: Refusal?
        if open >= limits.total {
            refusal = .total
        } else if fromAddress >= limits.perAddress {
            refusal = .perAddress
        } else {
            refusal = nil
        }
        guard let refusal else {
            open += 1
            openByAddress[address] = fromAddress + 1
            if fromAddress + 1 == limits.perAddress { addressesAtCap += 1 }
            return (.admitted, nil)
        }
        lastRefusal = now
        var report: Report?
        if burst == nil {
            burst = Burst()
            report = .limitReached(
                refusal, address: address, open: open, openFromAddress: fromAddress,
                limit: refusal == .total ? limits.total : limits.perAddress)
        }
        switch refusal {
        case .total: burst?.refusedTotal += 1
        case .perAddress: burst?.refusedPerAddress += 1
        }
        return (.refused(refusal), report)
    }

    /// Counts an admitted connection out.
    mutating func release(address: String) {
        guard let fromAddress = openByAddress[address], fromAddress > 0 else { return }
        open -= 1
        if fromAddress == limits.perAddress { addressesAtCap -= 1 }
        openByAddress[address] = fromAddress > 1 ? fromAddress - 1 : nil
    }

    /// Ends the burst, if any, once every cap has room and nothing was refused for
    /// `quietPeriod`. Called now and then (the server's reaper).
    mutating func endBurstIfQuiet(now: NIODeadline) -> Report? {
        guard let finished = burst, open < limits.total, addressesAtCap == 0, now - lastRefusal >= Self.quietPeriod else {
            return nil
        }
        burst = nil
        return .limitCleared(finished)
    }
}
