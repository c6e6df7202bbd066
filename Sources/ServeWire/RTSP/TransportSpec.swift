/// One transport specification of a Transport header — RFC 2326 §12.39.
///
/// ```
/// transport-spec = transport-protocol/profile[/lower-transport] *parameter
/// parameter      = ( "unicast" | "multicast" ) | ";" "destination" [ "=" address ]
///                | ";" "interleaved" "=" channel [ "-" channel ] | ";" "append"
///                | ";" "ttl" "=" ttl | ";" "layers" "=" 1*DIGIT
///                | ";" "port" "=" port [ "-" port ] | ";" "client_port" "=" port [ "-" port ]
///                | ";" "server_port" "=" port [ "-" port ] | ";" "ssrc" "=" ssrc
///                | ";" "mode" = <"> 1\#mode <">
/// ```
public struct TransportSpec: Hashable, Sendable, CustomStringConvertible {
    public enum LowerTransport: String, Sendable, Hashable {
        case udp = "UDP"
        case tcp = "TCP"
    }

    /// transport-protocol/profile, e.g. "RTP/AVP" or "RTP/AVPF".
    public var profile: String
    public var lowerTransport: LowerTransport
    public var isMulticast: Bool
    public var clientPort: ClosedRange<Int>?
    public var serverPort: ClosedRange<Int>?
    public var interleaved: ClosedRange<Int>?
    /// Multicast RTP/RTCP ports.
    public var port: ClosedRange<Int>?
    public var destination: String?
    public var source: String?
    public var ssrc: UInt32?
    public var ttl: Int?
    /// The mode parameter without quotes, e.g. "PLAY".
    public var mode: String?
    /// Parameters this type does not model (`append`, `layers=2`, vendor ones), verbatim.
    public var otherParameters: [String]

    public init(
        profile: String = "RTP/AVP", lowerTransport: LowerTransport = .udp, isMulticast: Bool = false,
        clientPort: ClosedRange<Int>? = nil, serverPort: ClosedRange<Int>? = nil, interleaved: ClosedRange<Int>? = nil,
        port: ClosedRange<Int>? = nil, destination: String? = nil, source: String? = nil, ssrc: UInt32? = nil,
        ttl: Int? = nil, mode: String? = nil, otherParameters: [String] = []
    ) {
        self.profile = profile
        self.lowerTransport = lowerTransport
        self.isMulticast = isMulticast
        self.clientPort = clientPort
        self.serverPort = serverPort
        self.interleaved = interleaved
        self.port = port
        self.destination = destination
        self.source = source
        self.ssrc = ssrc
        self.ttl = ttl
        self.mode = mode
        self.otherParameters = otherParameters
    }

    /// The serialized spec for a reply, e.g. `RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=1A2B3C4D`.
    ///
    /// UDP is written as the bare profile ("RTP/AVP"), the form every client accepts (§12.39:
    /// the default lower transport). Parameters come in live555's order; ssrc is 8 upper-case
    /// hex digits; a one-element range is written as one number.
    public var description: String {
        var parts = [lowerTransport == .tcp ? "\(profile)/TCP" : profile]
        parts.append(isMulticast ? "multicast" : "unicast")
        if let destination { parts.append("destination=\(destination)") }
        if let source { parts.append("source=\(source)") }
        if let interleaved { parts.append("interleaved=\(Self.format(interleaved))") }
        if let port { parts.append("port=\(Self.format(port))") }
        if let ttl { parts.append("ttl=\(ttl)") }
        if let clientPort { parts.append("client_port=\(Self.format(clientPort))") }
        if let serverPort { parts.append("server_port=\(Self.format(serverPort))") }
        if let ssrc { parts.append("ssrc=\(Self.hex(ssrc))") }
        if let mode { parts.append("mode=\(mode)") }
        parts += otherParameters
        return parts.joined(separator: ";")
    }

    private static func format(_ range: ClosedRange<Int>) -> String {
        range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound)-\(range.upperBound)"
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}
