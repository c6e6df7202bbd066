import HTTPTypes
import Hummingbird
import NIOCore
import Serve

/// WHEP (draft-ietf-wish-whep), the URL shape MediaMTX uses so that existing players work:
///
/// - `POST /PATH/whep` with an SDP offer (`application/sdp`) → 201, the answer, and
///   `Location: /PATH/whep/ID` (the resource; ID is 128 random bits); `Link: <stun:…>;
///   rel="ice-server"` for each configured ICE server (§4.6).
/// - `PATCH /PATH/whep/ID` with `application/trickle-ice-sdpfrag` (RFC 8840) → 204.
/// - `DELETE /PATH/whep/ID` → 200, and the peer is gone.
///
/// Every request needs `read` on the stream, like RTSP and HLS; the offer spends a token
/// use, as an RTSP session or an HLS playlist session does.
extension StatusAPI {
    static let whepName = "whep"
    /// An offer is a few kilobytes; anything near the API's body cap is not one.
    static let maxOfferBytes = 64 * 1024

    func addWHEPRoutes(to router: Router<StatusRequestContext>, vigil: Vigil) {
        router.post("**") { [weak self, weak vigil] request, context -> Response in
            guard let self, let vigil else { return Response(status: .serviceUnavailable) }
            var parts = context.parameters.getCatchAll().map(String.init)
            guard parts.popLast() == Self.whepName, !parts.isEmpty else { return Self.text(.notFound, "not found\n") }
            return try await self.offer(request, context: context, path: parts.joined(separator: "/"), vigil: vigil)
        }
        router.patch("**") { [weak self, weak vigil] request, context -> Response in
            guard let self, let vigil else { return Response(status: .serviceUnavailable) }
            guard let (path, id) = Self.resource(context) else { return Self.text(.notFound, "not found\n") }
            if let refusal = await self.checkStream(request, context: context, permission: .read, path: path) { return refusal }
            guard let webRTC = vigil.webRTC else { return Self.webRTCOff }
            guard request.headers[.contentType].map(Self.mediaType) == "application/trickle-ice-sdpfrag" else {
                return Self.text(.unsupportedMediaType, "a WHEP PATCH carries application/trickle-ice-sdpfrag (RFC 8840)\n")
            }
            var request = request
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: Self.maxOfferBytes)
            } catch {
                return Self.text(.contentTooLarge, "a trickle fragment is at most \(Self.maxOfferBytes) bytes\n")
            }
            do throws(WebRTCRefusal) {
                try await webRTC.trickle(id: id, path: path, fragment: String(buffer: body))
            } catch {
                return Self.refusal(error)
            }
            return Response(status: .noContent)
        }
        router.delete("**") { [weak self, weak vigil] request, context -> Response in
            guard let self, let vigil else { return Response(status: .serviceUnavailable) }
            guard let (path, id) = Self.resource(context) else { return Self.text(.notFound, "not found\n") }
            if let refusal = await self.checkStream(request, context: context, permission: .read, path: path) { return refusal }
            guard let webRTC = vigil.webRTC else { return Self.webRTCOff }
            guard await webRTC.close(id: id, path: path) else { return Self.text(.notFound, "no such WHEP session\n") }
            return Response(status: .ok)
        }
    }

    private func offer(_ request: Request, context: StatusRequestContext, path: String, vigil: Vigil) async throws -> Response {
        guard request.headers[.contentType].map(Self.mediaType) == "application/sdp" else {
            return Self.text(.unsupportedMediaType, "a WHEP offer is application/sdp\n")
        }
        if let refusal = await checkStream(request, context: context, permission: .read, path: path, spendsTokenUse: true) {
            return refusal
        }
        guard let stream = vigil.streams.first(where: { $0.settings.path == path }) else {
            return Self.text(.notFound, "no stream \"\(path)\"\n")
        }
        guard let webRTC = vigil.webRTC else { return Self.webRTCOff }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: Self.maxOfferBytes)
        } catch {
            return Self.text(.contentTooLarge, "an SDP offer is at most \(Self.maxOfferBytes) bytes\n")
        }
        let resource: WHEPResource
        do throws(WebRTCRefusal) {
            resource = try await webRTC.open(
                stream: stream.hub, offer: String(buffer: body), reachedAt: context.channel.localAddress?.ipAddress,
                client: context.channel.remoteAddress?.ipAddress)
        } catch {
            logger.info("WHEP offer refused", metadata: ["stream": "\(path)", "reason": "\(error)"])
            return Self.refusal(error)
        }
        var headers: HTTPFields = [
            .contentType: "application/sdp",
            .location: "/\(path)/\(Self.whepName)/\(resource.id)",
            .cacheControl: "no-store",
        ]
        for server in vigil.settings.webRTC.iceServers {
            headers.append(HTTPFields.Element(name: Self.linkField, value: server.linkHeader))
        }
        return Response(status: .created, headers: headers, body: .init(byteBuffer: ByteBuffer(string: resource.answer)))
    }

    /// `PATH/whep/ID` from the catch-all.
    private static func resource(_ context: StatusRequestContext) -> (path: String, id: String)? {
        var parts = context.parameters.getCatchAll().map(String.init)
        guard parts.count >= 3, let id = parts.popLast(), parts.popLast() == whepName,
            id.count == 32, id.allSatisfy(\.isHexDigit)
        else { return nil }
        return (parts.joined(separator: "/"), id)
    }

    /// `type/subtype` of a Content-Type, lower-cased, parameters dropped.
    static func mediaType(_ value: String) -> String {
        String(value.split(separator: ";", maxSplits: 1).first ?? "").trimmingCharacters(in: .whitespaces).lowercased()
    }

    static let linkField = HTTPField.Name("Link")!

    static var webRTCOff: Response { text(.notFound, "WebRTC is off on this box ([webrtc] enabled = false); use HLS\n") }

    static func refusal(_ error: WebRTCRefusal) -> Response {
        var response = text(HTTPResponse.Status(code: error.httpStatus), "\(error)\n")
        switch error {
        case .tooManyPeers, .tooManyConnecting: response.headers[.retryAfter] = "5"
        default: break
        }
        return response
    }
}
