/// One media section of a session description — RFC 4566 §5.14:
/// `m=<media> <port>[/<number of ports>] <proto> <fmt> ...` and the lines after it.
public struct MediaDescription: Hashable, Sendable {
    /// "video", "audio" …
    public var media: String
    /// 0 in an RTSP DESCRIBE answer: the transport is negotiated by SETUP.
    public var port: Int
    public var numberOfPorts: Int?
    /// "RTP/AVP" or "RTP/AVPF".
    public var proto: String
    /// Payload type numbers, e.g. ["96"].
    public var formats: [String]
    public var information: String?
    public var connection: SDPConnection?
    public var bandwidths: [SDPBandwidth]
    public var attributes: [SDPAttribute]

    public init(
        media: String, port: Int = 0, numberOfPorts: Int? = nil, proto: String = "RTP/AVP", formats: [String],
        information: String? = nil, connection: SDPConnection? = nil, bandwidths: [SDPBandwidth] = [],
        attributes: [SDPAttribute] = []
    ) {
        self.media = media
        self.port = port
        self.numberOfPorts = numberOfPorts
        self.proto = proto
        self.formats = formats
        self.information = information
        self.connection = connection
        self.bandwidths = bandwidths
        self.attributes = attributes
    }

    /// The value of the first attribute called `name`: "" for a flag (`a=recvonly`), nil when absent.
    public func attribute(_ name: String) -> String? {
        attributes.firstValue(named: name)
    }

    /// The `a=rtpmap:` value for a payload type without the number, e.g. "H264/90000".
    public func rtpmap(for format: String) -> String? {
        parameters(of: "rtpmap", for: format)
    }

    /// The `a=fmtp:` value for a payload type without the number.
    public func fmtp(for format: String) -> String? {
        parameters(of: "fmtp", for: format)
    }

    private func parameters(of name: String, for format: String) -> String? {
        for attribute in attributes where attribute.name == name {
            guard let value = attribute.value else { continue }
            let parts = value.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
            if parts[0] == format { return parts.count == 2 ? String(parts[1]) : "" }
        }
        return nil
    }

    /// Lines in RFC 4566 §5 order: m, i, c, b, a.
    var serializedLines: [String] {
        let portText = numberOfPorts.map { "\(port)/\($0)" } ?? "\(port)"
        var lines = ["m=" + ([media, portText, proto] + formats).joined(separator: " ")]
        if let information { lines.append("i=\(information)") }
        if let connection { lines.append("c=\(connection.serialized)") }
        lines += bandwidths.map { "b=\($0.serialized)" }
        lines += attributes.map { "a=\($0.serialized)" }
        return lines
    }

    init?(parsingMediaLine text: Substring) {
        let fields = text.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 3 else { return nil }
        let portParts = fields[1].split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(portParts.count), let port = Int(portParts[0]) else { return nil }
        var count: Int?
        if portParts.count == 2 {
            guard let value = Int(portParts[1]) else { return nil }
            count = value
        }
        self.init(
            media: String(fields[0]), port: port, numberOfPorts: count, proto: String(fields[2]),
            formats: fields.dropFirst(3).map(String.init)
        )
    }
}
