/// How a refusal is answered on the wire.
public enum AccessRefusal: Hashable, Sendable {
    /// 401 Unauthorized: send each challenge as its own `WWW-Authenticate` header, in order.
    case needsCredentials(challenges: [String])
    /// 403 Forbidden: authenticated (or anonymous) but not allowed this action or address.
    case forbidden
    /// Too many failures from this address: 429 with `Retry-After` over HTTP, 503 with
    /// `Retry-After` over RTSP (RFC 2326 §12.31). Round the duration up to whole seconds.
    case rateLimited(retryAfter: Duration)
}
