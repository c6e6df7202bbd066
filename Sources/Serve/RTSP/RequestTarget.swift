/// The parts of an RTSP Request-URI that select a stream and a track — RFC 2326 §3.2:
/// `rtsp://host[:port]/abs_path[?query]`. Relative paths (`/live`) are accepted too.
struct RequestTarget: Sendable, Hashable {
    /// Non-empty path segments, percent-decoding left alone (stream names are plain ASCII).
    var segments: [String]
    /// The query string without `?`, kept for later (access tokens).
    var query: String?
    /// `rtsp://host:port` as the client wrote it, or nil for a relative URI.
    var origin: String?

    init?(_ uri: String) {
        var rest = Substring(uri)
        if uri == "*" {
            segments = []
            query = nil
            origin = nil
            return
        }
        if let schemeEnd = rest.range(of: "://") {
            let scheme = rest[..<schemeEnd.lowerBound].lowercased()
            guard scheme == "rtsp" || scheme == "rtsps" || scheme == "rtspu" else { return nil }
            let afterScheme = rest[schemeEnd.upperBound...]
            let authorityEnd = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? afterScheme.endIndex
            guard authorityEnd > afterScheme.startIndex else { return nil }
            origin = String(rest[..<authorityEnd])
            rest = afterScheme[authorityEnd...]
        } else {
            guard rest.hasPrefix("/") else { return nil }
            origin = nil
        }
        if let q = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: q)...])
            rest = rest[..<q]
        } else {
            query = nil
        }
        segments = rest.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    /// The first value of `name` in the query (`?token=T&…`), as written (tokens are
    /// alphanumeric: nothing to decode); nil if absent.
    func queryValue(_ name: String) -> String? {
        guard let query else { return nil }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0] == name[...] else { continue }
            return String(parts[1])
        }
        return nil
    }

    /// The URL a client should resolve track controls against (Content-Base), ending in `/`.
    func base(forStreamPath path: String) -> String {
        "\(origin ?? "")/\(path)/"
    }
}
