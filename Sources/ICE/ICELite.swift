/// The ICE-lite side of connectivity checks (RFC 8445 §2.5, §7.3): a lite agent never sends
/// checks; it answers the full agent's Binding requests on its host candidates, and the pair
/// the controlling agent nominates (USE-CANDIDATE) is the one media flows on. The same
/// requests, kept up every few seconds, are the peer's consent to receive (RFC 7675).
///
/// Pure: a request's bytes and where they came from in, a decision and the response's bytes
/// out. Sockets, peers and timers are the caller's.
public enum ICELite {
    /// The credentials of one peer's ICE session, exchanged in the offer and answer
    /// (RFC 8839 §5.4 ice-ufrag / ice-pwd).
    public struct Credentials: Sendable, Hashable {
        /// Our ufrag and password (the answer's): requests to us carry USERNAME
        /// "localUfrag:remoteUfrag" and are signed with `localPassword`.
        public var localUfrag: String
        public var localPassword: String
        /// The peer's ufrag (the offer's).
        public var remoteUfrag: String

        public init(localUfrag: String, localPassword: String, remoteUfrag: String) {
            self.localUfrag = localUfrag
            self.localPassword = localPassword
            self.remoteUfrag = remoteUfrag
        }

        /// The USERNAME a request to us carries (RFC 8445 §7.2.2).
        public var expectedUsername: String { "\(localUfrag):\(remoteUfrag)" }
    }

    /// What to do with a datagram that looked like STUN.
    public enum Outcome: Sendable, Hashable {
        /// A valid check: send `response` back to where it came from. `nominated` when it
        /// carried USE-CANDIDATE (this pair is the one for media, RFC 8445 §8.1.1).
        case answer(response: [UInt8], nominated: Bool)
        /// A request we can tell is bad (RFC 8489 §6.3.1.1, §9.1.3): send this error back.
        case refuse(response: [UInt8], code: Int)
        /// Not for us, or not worth an answer (a response, an indication, garbage, an
        /// unknown username, which has no password to sign an error with).
        case ignore(Ignored)
    }

    public enum Ignored: Sendable, Hashable {
        case notSTUN, notARequest, notBinding, unknownUsername
    }

    /// The local ufrag a request names in USERNAME "local:remote", to find its peer among
    /// many on one port; nil when it is no Binding request with a USERNAME.
    public static func localUfrag(ofRequest bytes: [UInt8]) -> String? {
        guard let message = try? STUNMessage(parsing: bytes), message.messageClass == .request,
            message.method == STUNMessage.binding,
            let username = message.attribute(STUNAttribute.username),
            let text = String(validating: username.value, as: UTF8.self),
            let colon = text.firstIndex(of: ":")
        else { return nil }
        return String(text[..<colon])
    }

    /// The answer to `bytes` from `address` (4 or 16 bytes) and `port`, for a peer with
    /// `credentials`. RFC 8445 §7.3 and RFC 8489 §9.1: FINGERPRINT must be valid when present,
    /// USERNAME must be ours, MESSAGE-INTEGRITY must verify with our password; the success
    /// response carries XOR-MAPPED-ADDRESS (the source seen), MESSAGE-INTEGRITY with the same
    /// password, and FINGERPRINT. A request whose integrity fails gets 401, one without
    /// USERNAME or MESSAGE-INTEGRITY 400 (both unsigned, as §9.1.3 has it).
    public static func answer(_ bytes: [UInt8], from address: [UInt8], port: UInt16, credentials: Credentials) -> Outcome {
        guard let request = try? STUNMessage(parsing: bytes) else { return .ignore(.notSTUN) }
        guard request.messageClass == .request else { return .ignore(.notARequest) }
        guard request.method == STUNMessage.binding else { return .ignore(.notBinding) }
        if request.attribute(STUNAttribute.fingerprint) != nil, !STUNMessage.hasValidFingerprint(bytes) {
            // RFC 7983 §7 / RFC 8489 §7.3: a bad FINGERPRINT means it is not STUN at all.
            return .ignore(.notSTUN)
        }
        guard let username = request.attribute(STUNAttribute.username),
            request.attribute(STUNAttribute.messageIntegrity) != nil
        else {
            return .refuse(response: error(400, "Bad Request", to: request), code: 400)
        }
        guard username.value.elementsEqual(credentials.expectedUsername.utf8) else { return .ignore(.unknownUsername) }
        guard STUNMessage.hasValidIntegrity(bytes, key: Array(credentials.localPassword.utf8)) else {
            return .refuse(response: error(401, "Unauthenticated", to: request), code: 401)
        }
        let response = STUNMessage(
            messageClass: .successResponse, transactionID: request.transactionID,
            attributes: [STUNAttribute.xorMappedAddress(address: address, port: port, transactionID: request.transactionID)])
        let nominated = request.attribute(STUNAttribute.useCandidate) != nil
        return .answer(response: response.encoded(integrityKey: Array(credentials.localPassword.utf8), fingerprint: true), nominated: nominated)
    }

    private static func error(_ code: Int, _ reason: String, to request: STUNMessage) -> [UInt8] {
        STUNMessage(messageClass: .errorResponse, transactionID: request.transactionID, attributes: [.errorCode(code, reason: reason)])
            .encoded(fingerprint: true)
    }

    /// RFC 7675 §5.1: consent expires 30 s after the last check that succeeded.
    public static let consentLifetime: Duration = .seconds(30)

    /// RFC 8445 §5.1.2.1 host-candidate priority for component 1 (RTP; rtcp-mux needs no other):
    /// (2^24)·126 + (2^8)·localPreference + (256 − 1).
    public static func hostPriority(localPreference: UInt32 = 65535) -> UInt32 {
        (1 << 24) * 126 + (1 << 8) * localPreference + 255
    }
}
