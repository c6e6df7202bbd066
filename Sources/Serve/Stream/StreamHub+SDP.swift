import ServeWire

extension StreamHub {
    /// The stream's session description for DESCRIBE (RFC 4566, RFC 2326 Appendix C):
    /// one media section per track with its rtpmap, fmtp and control URL.
    ///
    /// `c=IN IP4 0.0.0.0` because the address is negotiated by SETUP, not announced here
    /// (RFC 2326 C.1.7); `a=control:*` makes the Content-Base the aggregate control URL.
    func sessionDescription(serverAddress: String, clientTakesAVPF: Bool = false) -> SessionDescription {
        Self.sessionDescription(
            tracks: tracks.map(\.configuration), name: "Vigil \(path)", sessionID: sdpSessionID, serverAddress: serverAddress,
            clientTakesAVPF: clientTakesAVPF, type: "broadcast", range: "npt=now-")
    }

    /// A session description of `tracks` (track n's control is `trackID=n`), for live streams
    /// and file viewers alike; `range` is the `a=range` value (RFC 2326 C.1.5).
    static func sessionDescription(
        tracks: [TrackConfiguration], name: String, sessionID: UInt64, serverAddress: String, clientTakesAVPF: Bool,
        type: String, range: String
    ) -> SessionDescription {
        let isIPv6 = serverAddress.contains(":")
        let media = tracks.enumerated().map { index, config -> MediaDescription in
            var attributes = [SDPAttribute(name: "rtpmap", value: "\(config.payloadType) \(config.rtpmap)")]
            if let fmtp = config.formatParameters {
                attributes.append(SDPAttribute(name: "fmtp", value: "\(config.payloadType) \(fmtp)"))
            }
            var formats = ["\(config.payloadType)"]
            if config.kind == .video {
                // RFC 4585 §4.2 / RFC 5104 §7.1: receivers may ask for lost packets and key
                // frames. Offered on RTP/AVP too, so clients that know nothing of AVPF still play.
                var feedback = ["nack", "nack pli", "ccm fir"]
                if config.repair == .none { feedback.removeFirst() }
                for kind in feedback {
                    attributes.append(SDPAttribute(name: "rtcp-fb", value: "\(config.payloadType) \(kind)"))
                }
            }
            if case .retransmissionStream(let payloadType, _, _) = config.repair {
                formats.append("\(payloadType)")
                attributes.append(SDPAttribute(
                    name: "rtpmap", value: "\(payloadType) \(RetransmissionFormat.encodingName)/\(config.clockRate)"))
                attributes.append(SDPAttribute(
                    name: "fmtp",
                    value: "\(payloadType) " + RetransmissionFormat.fmtp(
                        associatedPayloadType: config.payloadType,
                        rtxTimeMilliseconds: TrackConfiguration.retransmissionTimeMilliseconds)))
            }
            attributes.append(SDPAttribute(name: "control", value: Track.control(index)))
            return MediaDescription(
                media: config.kind.rawValue, port: 0, proto: config.profile.proto(clientTakesAVPF: clientTakesAVPF), formats: formats,
                bandwidths: config.bandwidthKbps.map { [SDPBandwidth(type: "AS", value: $0)] } ?? [],
                attributes: attributes)
        }
        return SessionDescription(
            origin: SDPOrigin(
                sessionID: sessionID, sessionVersion: 1, addressType: isIPv6 ? "IP6" : "IP4", address: serverAddress),
            sessionName: name,
            connection: SDPConnection(addressType: isIPv6 ? "IP6" : "IP4", address: isIPv6 ? "::" : "0.0.0.0"),
            attributes: [
                SDPAttribute(name: "tool", value: "Vigil"),
                SDPAttribute(name: "type", value: type),
                SDPAttribute(name: "control", value: "*"),
                SDPAttribute(name: "range", value: range),
            ],
            media: media)
    }

    /// RFC 4566 §5.2 suggests an NTP-format timestamp for the session ID; the video SSRC is as
    /// unique and stays the same for the life of the stream.
    var sdpSessionID: UInt64 { UInt64(tracks.first?.configuration.ssrc ?? 1) }
}
