/// The parameters of `Authorization: Digest` (RFC 7616 §3.4), as the client sent them:
///
///     Authorization: Digest username="Mufasa", realm="http-auth@example.org",
///         uri="/dir/index.html", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
///         nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth,
///         response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
///         opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
///
/// RFC 2069 clients (GStreamer 1.22) send only username, realm, nonce, uri, response and
/// opaque: no algorithm (meaning MD5), no qop, nc or cnonce. Values are kept as sent; deciding
/// whether an algorithm or qop is acceptable is the verifier's job, so an unsupported one is
/// reported as such rather than as a parse error.
public struct DigestCredentials: Hashable, Sendable {
    public var username: String
    public var realm: String
    public var nonce: String
    /// The digest-uri: the request-target as the client sent it (for RTSP, the rtsp:// URL).
    public var uri: String
    public var response: String
    /// The `algorithm=` token as sent; nil means MD5 (RFC 7616 §3.3).
    public var algorithm: String?
    /// `qop`, and with it the nonce count and client nonce; nil for RFC 2069 style.
    public var quality: DigestAlgorithm.QualityOfProtection?
    public var opaque: String?
    /// RFC 7616 §3.4.4; Vigil never offers it, so `true` is refused by the verifier.
    public var userhash: Bool

    public init(
        username: String, realm: String, nonce: String, uri: String, response: String,
        algorithm: String? = nil, quality: DigestAlgorithm.QualityOfProtection? = nil,
        opaque: String? = nil, userhash: Bool = false
    ) {
        self.username = username
        self.realm = realm
        self.nonce = nonce
        self.uri = uri
        self.response = response
        self.algorithm = algorithm
        self.quality = quality
        self.opaque = opaque
        self.userhash = userhash
    }

    /// The nonce count as a number, when a qop was sent.
    public var nonceCount: UInt32? { quality.flatMap { UInt32($0.nonceCountText, radix: 16) } }

    /// From parsed auth-params (names lowercased). Unknown names are ignored.
    public init(parameters: [String: String]) throws(AuthorizationHeaderError) {
        func required(_ name: String) throws(AuthorizationHeaderError) -> String {
            guard let value = parameters[name] else { throw .missingParameter(name) }
            return value
        }
        switch (parameters["username"], parameters["username*"]) {
        case (let plain?, nil):
            username = plain
        case (nil, let extended?):
            guard let decoded = Self.decodeExtendedValue(extended) else {
                throw .invalidParameter(name: "username*", value: extended)
            }
            username = decoded
        case (.some, .some):
            throw .conflictingParameters("username", "username*")
        case (nil, nil):
            throw .missingParameter("username")
        }
        realm = try required("realm")
        nonce = try required("nonce")
        uri = try required("uri")
        response = try required("response")
        algorithm = parameters["algorithm"]
        opaque = parameters["opaque"]
        if let qop = parameters["qop"] {
            let nc = try required("nc")
            // nc-value = 8LHEX; upper case is tolerated, the text enters the hash as sent.
            guard nc.utf8.count == 8, nc.utf8.allSatisfy({ Hex.value(of: $0) != nil }) else {
                throw .invalidParameter(name: "nc", value: nc)
            }
            quality = .init(nonceCountText: nc, cnonce: try required("cnonce"), qop: qop)
        } else {
            // RFC 2617 §3.2.2: without qop there is no nc or cnonce; stray ones are ignored.
            quality = nil
        }
        switch parameters["userhash"]?.lowercased() {
        case nil, "false": userhash = false
        case "true": userhash = true
        case let other?: throw .invalidParameter(name: "userhash", value: other)
        }
    }

    /// RFC 8187 §3.2 ext-value, UTF-8 only: `UTF-8'[language]'percent-encoded`.
    static func decodeExtendedValue(_ text: String) -> String? {
        let parts = text.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].lowercased() == "utf-8" else { return nil }
        var bytes: [UInt8] = []
        var iterator = Array(parts[2].utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == 0x25 {
                guard let high = iterator.next().flatMap(Hex.value(of:)), let low = iterator.next().flatMap(Hex.value(of:)) else {
                    return nil
                }
                bytes.append(high << 4 | low)
            } else {
                // attr-char: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
                guard HeaderScanner.isTokenCharacter(byte), byte != 0x2A, byte != 0x27, byte != 0x25 else { return nil }
                bytes.append(byte)
            }
        }
        guard !bytes.isEmpty else { return nil }
        return UTF8Text.decode(bytes)
    }
}
