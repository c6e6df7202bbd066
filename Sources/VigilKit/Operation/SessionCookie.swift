/// The web page's session cookie: its `Set-Cookie` values and the reading of a request's
/// `Cookie` headers (RFC 6265 §4.2 and §5.4). A pure value, fuzzed in `WebPageFuzzTests`.
enum SessionCookie {
    static let name = "vigil_session"
    /// A session id: 16 bytes of base64url without padding.
    static let idLength = 22

    /// Sets the cookie: script can't read it (HttpOnly), no other site's page sends it
    /// (SameSite=Strict), every path of this origin does (Path=/), only over TLS when the
    /// server speaks it (Secure), and the browser forgets it with the session's absolute end.
    static func setCookie(id: String, secure: Bool, maxAgeSeconds: Int64) -> String {
        "\(name)=\(id); Path=/; Max-Age=\(maxAgeSeconds); HttpOnly; SameSite=Strict\(secure ? "; Secure" : "")"
    }

    /// Clears it (logout): the same attributes, Max-Age=0.
    static func clearCookie(secure: Bool) -> String {
        "\(name)=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict\(secure ? "; Secure" : "")"
    }

    /// The session id in `Cookie` header values, or nil. Pairs are `;`-separated (browsers send
    /// one header; HTTP/2 may split it, so every value is read); the first pair with our name
    /// whose value looks like an id wins, other cookies of the origin are passed over, and
    /// nothing here throws whatever the bytes.
    static func sessionID(inCookieHeaders values: [String]) -> String? {
        for value in values {
            for pair in value.split(separator: ";", omittingEmptySubsequences: true) {
                let trimmed = pair.drop { $0 == " " || $0 == "\t" }
                guard let equals = trimmed.firstIndex(of: "=") else { continue }
                guard trimmed[..<equals].trimmingSuffix(" ") == name else { continue }
                var id = trimmed[trimmed.index(after: equals)...].trimmingSuffix(" ")
                // RFC 6265 §4.1.1 allows a value in double quotes.
                if id.count >= 2, id.first == "\"", id.last == "\"" { id = id.dropFirst().dropLast() }
                if isSessionID(id) { return String(id) }
            }
        }
        return nil
    }

    static func isSessionID(_ text: Substring) -> Bool {
        text.utf8.count == idLength && text.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"):
                true
            default: false
            }
        }
    }
}

extension Substring {
    fileprivate func trimmingSuffix(_ character: Character) -> Substring {
        var text = self
        while text.last == character { text = text.dropLast() }
        return text
    }
}
