#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A stand-in for systemd's notify socket: a unix datagram socket the test binds, whose path
/// goes to the daemon as `NOTIFY_SOCKET`; every datagram is kept with its arrival time.
final class NotifySocket: @unchecked Sendable {
    let path: String
    private let fd: Int32
    private let received = LockedBox<[(at: Date, message: String)]>([])
    private let running = LockedBox(true)
    private var thread: Thread?

    /// `abstract`: a name in the abstract namespace (`@name`), as systemd itself uses.
    init(abstract: Bool = false) throws {
        let name = "vigil-notify-\(UInt32.random(in: 0...UInt32.max))"
        path = abstract ? "@\(name)" : FileManager.default.temporaryDirectory.appendingPathComponent(name).path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if abstract { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = abstract ? MemoryLayout<sa_family_t>.size + bytes.count : MemoryLayout<sockaddr_un>.size
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(length)) }
        }
        guard fd >= 0, status == 0 else { throw TestClientError.unexpected("cannot bind \(path): errno \(errno)") }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let thread = Thread { [fd, received, running] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while running.value {
                let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if count > 0 {
                    let message = String(decoding: buffer[..<count], as: UTF8.self)
                    received.mutate { $0.append((Date(), message)) }
                }
            }
        }
        thread.start()
        self.thread = thread
    }

    func close() {
        running.value = false
        usleep(200_000)
        Glibc.close(fd)
        if !path.hasPrefix("@") { unlink(path) }
    }

    var messages: [(at: Date, message: String)] { received.value }

    /// Messages holding `field` (e.g. "READY=1") as one of their lines.
    func messages(with field: String) -> [(at: Date, message: String)] {
        messages.filter { $0.message.split(separator: "\n").contains { $0 == field || (field.hasSuffix("=") && $0.hasPrefix(field)) } }
    }

    /// Waits until a message with `field` arrives after `after`; returns it.
    func wait(for field: String, after: Date = .distantPast, timeout: Double = 10) async throws -> (at: Date, message: String) {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while Date() < deadline {
            if let hit = messages(with: field).first(where: { $0.at > after }) { return hit }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        throw TestClientError.unexpected("no \(field) within \(timeout) s; got \(messages.map(\.message))")
    }
}
