#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation
import VigilKit

/// `vigil status`: asks the running daemon's HTTP API and prints its streams and viewers.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the running daemon's streams and viewers (reads its HTTP API).",
        discussion: "The API's address comes from --api, else the config file's [http] section, else 127.0.0.1:8080.")

    @Option(help: "The HTTP API as HOST:PORT.") var api: String?
    @Option(help: "Config file to take the API address from (default \(VigilConfigFile.defaultPath)).") var config: String?
    @Flag(help: "Print the API's JSON as it is.") var json = false

    func run() throws {
        var host = "127.0.0.1"
        var port = 8080
        if let api {
            guard let colon = api.lastIndex(of: ":"), let value = Int(api[api.index(after: colon)...]) else {
                throw ValidationError("--api must be HOST:PORT, got \(api)")
            }
            host = String(api[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            port = value
        } else if let settings = try? VigilConfigFile.load(path: config ?? VigilConfigFile.defaultPath, missingIsDefault: true) {
            host = settings.http.host
            port = settings.http.port
        }
        if host == "0.0.0.0" { host = "127.0.0.1" }
        if host == "::" { host = "::1" }
        let body: Data
        do {
            body = try HTTPGet.fetch(host: host, port: port, path: "/api/v1/status")
        } catch {
            FileHandle.standardError.write(Data("vigil status: cannot reach the API at \(host):\(port): \(error) (is vigil running, with [http] enabled?)\n".utf8))
            throw ExitCode.failure
        }
        if json {
            FileHandle.standardOutput.write(body)
            print()
            return
        }
        let status = try VigilStatus.decoder().decode(VigilStatus.self, from: body)
        print("vigil \(status.version), up \(Int(status.uptimeSeconds)) s; RTSP \(status.rtsp.host):\(status.rtsp.port)")
        for stream in status.streams {
            let v = stream.video
            print("\(stream.path)  \(stream.url)")
            print("  video  \(v.source.kind)\(v.source.device.map { " \($0)" } ?? "")\(v.source.file.map { " \($0)" } ?? "")  \(v.codec) \(v.width)x\(v.height)@\(v.fps)  \(v.currentBitrateKbps)/\(v.bitrateKbps) kbit/s")
            if let a = stream.audio {
                print("  audio  \(a.source.kind)\(a.source.device.map { " \($0)" } ?? "")\(a.source.file.map { " \($0)" } ?? "")  \(a.codec) \(a.sampleRate) Hz")
            }
            let c = stream.counters
            print("  frames captured \(c.framesCaptured), encoded \(c.framesEncoded), dropped \(c.framesDropped)")
            print("  viewers \(stream.viewers.count)")
            for viewer in stream.viewers {
                let loss = viewer.tracks.compactMap(\.fractionLost).max().map { String(format: "%.1f%%", $0 * 100) } ?? "-"
                let jitter = viewer.tracks.compactMap(\.jitterSeconds).max().map { String(format: "%.1f ms", $0 * 1000) } ?? "-"
                let sent = viewer.tracks.reduce(UInt64(0)) { $0 + $1.packetsSent }
                print("    viewer \(viewer.viewer)  \(viewer.transport)  \(viewer.peer)  sent \(sent) packets, loss \(loss), jitter \(jitter)")
            }
        }
    }
}

/// A plain HTTP/1.0 GET over a socket: the status command needs nothing more, and
/// FoundationNetworking would pull libcurl into a static binary.
enum HTTPGet {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func fetch(host: String, port: Int, path: String, timeoutSeconds: Int = 5) throws -> Data {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, "\(port)", &hints, &list) == 0, let first = list else {
            throw Failure(description: "unknown host \(host)")
        }
        defer { freeaddrinfo(list) }
        let fd = socket(first.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            throw Failure(description: String(cString: strerror(errno)))
        }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: \(host):\(port)\r\nAccept: application/json\r\nConnection: close\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else {
            throw Failure(description: "send: \(String(cString: strerror(errno)))")
        }
        var response = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw Failure(description: "recv: \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            response += chunk[..<count]
        }
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = response.indices.first(where: { response[$0...].starts(with: separator) }) else {
            throw Failure(description: "no HTTP response")
        }
        let head = String(decoding: response[..<end], as: UTF8.self)
        let statusLine = head.split(separator: "\r\n").first ?? ""
        guard statusLine.split(separator: " ").dropFirst().first == "200" else {
            throw Failure(description: "answered \(statusLine)")
        }
        return Data(response[(end + 4)...])
    }
}
