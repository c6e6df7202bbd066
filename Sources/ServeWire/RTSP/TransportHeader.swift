/// The Transport header — RFC 2326 §12.39: comma-separated transport specs in the client's
/// order of preference; the server picks the first it supports.
///
/// ```
/// Transport = "Transport" ":" 1\#transport-spec
/// transport-spec = transport-protocol/profile[/lower-transport] *parameter
/// ```
public enum TransportHeader {
    /// Largest UDP/TCP port number.
    static let portRange = 0...65535
    /// Interleaved channels are one octet (§10.12).
    static let channelRange = 0...255
    /// The IP TTL is one octet.
    static let ttlRange = 0...255

    /// Parses every spec. A spec that cannot be parsed is skipped as long as another one can (the
    /// server only needs one it supports); when none can, the first spec's error is thrown.
    ///
    /// "RTP/AVP" means "RTP/AVP/UDP". A single port or channel `n` means `n…n+1` (§12.39: "the
    /// RTCP … port is one higher"). Parameter names are matched without regard to case; quotes
    /// around `mode` are removed.
    public static func parse(_ value: String) throws(TransportParseError) -> [TransportSpec] {
        var specs: [TransportSpec] = []
        var firstError: TransportParseError?
        for text in splitOutsideQuotes(value, separator: ",") {
            let trimmed = text.trimmingASCIIWhitespace()
            guard !trimmed.isEmpty else { continue }
            do {
                specs.append(try parseSpec(trimmed))
            } catch {
                firstError = firstError ?? error
            }
        }
        if specs.isEmpty { throw firstError ?? .empty }
        return specs
    }

    private static func parseSpec(_ text: Substring) throws(TransportParseError) -> TransportSpec {
        let parameters = splitOutsideQuotes(text, separator: ";").map { $0.trimmingASCIIWhitespace() }
        // transport-protocol/profile[/lower-transport], e.g. RTP/AVP, RTP/AVP/TCP, RTP/AVPF/UDP
        let protocolParts = parameters[0].split(separator: "/", omittingEmptySubsequences: false)
        guard
            (2...3).contains(protocolParts.count), protocolParts[0].equalsIgnoringASCIICase("RTP"),
            RTSPToken.isToken(protocolParts[1])
        else { throw .unsupportedProtocol(String(parameters[0])) }

        var spec = TransportSpec(profile: "RTP/\(protocolParts[1].uppercased())")
        if protocolParts.count == 3 {
            guard let lower = TransportSpec.LowerTransport(rawValue: protocolParts[2].uppercased()) else {
                throw .unsupportedLowerTransport(String(protocolParts[2]))
            }
            spec.lowerTransport = lower
        }

        for parameter in parameters.dropFirst() where !parameter.isEmpty {
            let nameAndValue = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = nameAndValue[0].trimmingASCIIWhitespace().lowercased()
            let value = nameAndValue.count == 2 ? unquoted(nameAndValue[1].trimmingASCIIWhitespace()) : nil
            let bad = TransportParseError.badParameter(String(parameter))
            switch (name, value) {
            case ("unicast", nil): spec.isMulticast = false
            case ("multicast", nil): spec.isMulticast = true
            case ("destination", let value?): spec.destination = value
            case ("source", let value?): spec.source = value
            case ("client_port", let value?):
                spec.clientPort = try range(value, within: portRange, orThrow: bad)
            case ("server_port", let value?):
                spec.serverPort = try range(value, within: portRange, orThrow: bad)
            case ("port", let value?):
                spec.port = try range(value, within: portRange, orThrow: bad)
            case ("interleaved", let value?):
                spec.interleaved = try range(value, within: channelRange, orThrow: bad)
            case ("ttl", let value?):
                guard let ttl = Int(value), ttlRange.contains(ttl) else { throw bad }
                spec.ttl = ttl
            case ("ssrc", let value?):
                guard (1...8).contains(value.utf8.count), let ssrc = UInt32(value, radix: 16) else { throw bad }
                spec.ssrc = ssrc
            case ("mode", let value?):
                spec.mode = value
            default:
                spec.otherParameters.append(String(parameter))
            }
        }
        return spec
    }

    /// `port [ "-" port ]`; a lone `n` is `n…n+1`.
    private static func range(
        _ text: String, within bounds: ClosedRange<Int>, orThrow error: TransportParseError
    ) throws(TransportParseError) -> ClosedRange<Int> {
        let ends = text.split(separator: "-", omittingEmptySubsequences: false)
        guard
            (1...2).contains(ends.count),
            let low = Int(ends[0].trimmingASCIIWhitespace()), bounds.contains(low)
        else { throw error }
        let high: Int
        if ends.count == 2 {
            guard let value = Int(ends[1].trimmingASCIIWhitespace()) else { throw error }
            high = value
        } else {
            high = low + 1
        }
        guard bounds.contains(high), low <= high else { throw error }
        return low...high
    }

    private static func unquoted(_ text: Substring) -> String {
        if text.count >= 2, text.first == "\"", text.last == "\"" {
            return String(text.dropFirst().dropLast())
        }
        return String(text)
    }

    /// Splits on `separator` except inside double quotes (mode="PLAY,RECORD" is one parameter).
    private static func splitOutsideQuotes(_ text: some StringProtocol, separator: Character) -> [Substring] {
        let whole = Substring(text)
        var pieces: [Substring] = []
        var start = whole.startIndex
        var quoted = false
        var index = whole.startIndex
        while index < whole.endIndex {
            let character = whole[index]
            if character == "\"" {
                quoted.toggle()
            } else if character == separator && !quoted {
                pieces.append(whole[start..<index])
                start = whole.index(after: index)
            }
            index = whole.index(after: index)
        }
        pieces.append(whole[start...])
        return pieces
    }
}
