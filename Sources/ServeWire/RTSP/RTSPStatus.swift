/// An RTSP status code and reason phrase — RFC 2326 §7.1.1.
public struct RTSPStatus: Hashable, Sendable, CustomStringConvertible {
    public var code: Int
    public var reason: String

    public init(code: Int, reason: String) {
        self.code = code
        self.reason = reason
    }

    /// The status with the RFC 2326 §7.1.1 reason phrase for `code` ("Unknown" if it has none).
    public init(code: Int) {
        self = Self.known.first { $0.code == code } ?? RTSPStatus(code: code, reason: "Unknown")
    }

    public var description: String { "\(code) \(reason)" }

    public static let ok = RTSPStatus(code: 200, reason: "OK")
    public static let badRequest = RTSPStatus(code: 400, reason: "Bad Request")
    public static let unauthorized = RTSPStatus(code: 401, reason: "Unauthorized")
    public static let forbidden = RTSPStatus(code: 403, reason: "Forbidden")
    public static let notFound = RTSPStatus(code: 404, reason: "Not Found")
    public static let methodNotAllowed = RTSPStatus(code: 405, reason: "Method Not Allowed")
    public static let requestEntityTooLarge = RTSPStatus(code: 413, reason: "Request Entity Too Large")
    public static let requestURITooLarge = RTSPStatus(code: 414, reason: "Request-URI Too Large")
    public static let unsupportedMediaType = RTSPStatus(code: 415, reason: "Unsupported Media Type")
    public static let parameterNotUnderstood = RTSPStatus(code: 451, reason: "Parameter Not Understood")
    public static let notEnoughBandwidth = RTSPStatus(code: 453, reason: "Not Enough Bandwidth")
    public static let sessionNotFound = RTSPStatus(code: 454, reason: "Session Not Found")
    public static let methodNotValidInThisState = RTSPStatus(code: 455, reason: "Method Not Valid in This State")
    public static let headerFieldNotValid = RTSPStatus(code: 456, reason: "Header Field Not Valid for Resource")
    public static let invalidRange = RTSPStatus(code: 457, reason: "Invalid Range")
    public static let aggregateOperationNotAllowed = RTSPStatus(code: 459, reason: "Aggregate Operation Not Allowed")
    public static let onlyAggregateOperationAllowed = RTSPStatus(code: 460, reason: "Only Aggregate Operation Allowed")
    public static let unsupportedTransport = RTSPStatus(code: 461, reason: "Unsupported Transport")
    public static let internalServerError = RTSPStatus(code: 500, reason: "Internal Server Error")
    public static let notImplemented = RTSPStatus(code: 501, reason: "Not Implemented")
    public static let serviceUnavailable = RTSPStatus(code: 503, reason: "Service Unavailable")
    public static let versionNotSupported = RTSPStatus(code: 505, reason: "RTSP Version Not Supported")
    public static let optionNotSupported = RTSPStatus(code: 551, reason: "Option not supported")

    static let known: [RTSPStatus] = [
        ok, badRequest, unauthorized, forbidden, notFound, methodNotAllowed, requestEntityTooLarge,
        requestURITooLarge, unsupportedMediaType, parameterNotUnderstood, notEnoughBandwidth, sessionNotFound,
        methodNotValidInThisState, headerFieldNotValid, invalidRange, aggregateOperationNotAllowed,
        onlyAggregateOperationAllowed, unsupportedTransport, internalServerError, notImplemented,
        serviceUnavailable, versionNotSupported, optionNotSupported,
    ]
}
