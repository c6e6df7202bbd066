/// Everything the access check needs to know about one request, RTSP or HTTP alike.
public struct AccessRequest: Sendable {
    public var action: AccessAction
    /// The peer's address as the socket reports it.
    public var peer: IPAddress
    /// The connection it arrived on; digest nonces are valid on their own connection only.
    public var connection: ConnectionID
    /// The request method (`DESCRIBE`, `GET` …): digest's A2 is method ":" digest-uri.
    public var method: String
    /// The request-target exactly as the client sent it on the request line (for RTSP the
    /// rtsp:// URL); a digest `uri=` must equal it (RFC 7616 §3.4.6).
    public var uri: String
    public var credentials: PresentedCredentials
    /// Whether a valid token spends one of its uses on this request (the request starts a new
    /// session), or is only checked (a DESCRIBE before it, an HTTP read).
    public var spendsTokenUse: Bool

    public init(
        action: AccessAction, peer: IPAddress, connection: ConnectionID, method: String, uri: String,
        credentials: PresentedCredentials, spendsTokenUse: Bool = true
    ) {
        self.spendsTokenUse = spendsTokenUse
        self.action = action
        self.peer = peer
        self.connection = connection
        self.method = method
        self.uri = uri
        self.credentials = credentials
    }
}
