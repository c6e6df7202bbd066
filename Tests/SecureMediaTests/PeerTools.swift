import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The independent tools the suite checks SecureMedia against: the `openssl` command (its own
/// DTLS stack, certificates and exporter) and pylibsrtp in the test venv. Both are required; a
/// missing one fails the test that needs it, loudly (Scripts/install-deps --test).
enum PeerTools {
    static let openssl = "/usr/bin/openssl"
    static let python = "/opt/vigil-test-python/bin/python3"
    static var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
    static var srtpPeer: String { repository.appendingPathComponent("Scripts/testkit/srtp_peer.py").path }

    static func require(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            XCTFail("\(path) is required (Scripts/install-deps --test)", file: file, line: line)
            throw MissingTool(path: path)
        }
    }

    struct MissingTool: Error { var path: String }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
    static func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) {
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return [] }
            out.append(byte)
            index = next
        }
        return out
    }

    /// A fresh temporary directory, removed when the test ends.
    static func temporaryDirectory(_ test: XCTestCase) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("securemedia-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// An ECDSA P-256 certificate made by `openssl req` (the peer's own identity, not ours),
    /// and its SHA-256 fingerprint as `openssl x509 -fingerprint -sha256` prints it.
    static func opensslCertificate(in directory: String, name: String) throws -> (certificate: String, key: String, fingerprint: String) {
        try require(openssl)
        let certificate = directory + "/\(name)-cert.pem"
        let key = directory + "/\(name)-key.pem"
        let made = try RunningTool.run(openssl, [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", certificate,
            "-days", "2", "-subj", "/CN=\(name)",
        ])
        XCTAssertEqual(made.status, 0, made.stderr)
        return (certificate, key, try opensslFingerprint(of: certificate))
    }

    /// "AB:CD:…" from `openssl x509 -noout -fingerprint -sha256` ("sha256 Fingerprint=AB:…").
    static func opensslFingerprint(of certificate: String) throws -> String {
        let printed = try RunningTool.run(openssl, ["x509", "-in", certificate, "-noout", "-fingerprint", "-sha256"])
        XCTAssertEqual(printed.status, 0, printed.stderr)
        let line = printed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let equals = line.firstIndex(of: "=") else {
            XCTFail("no fingerprint in \(line)")
            return ""
        }
        return String(line[line.index(after: equals)...])
    }

    /// The bytes after "Keying material: " in s_client's or s_server's report.
    static func keyingMaterial(in output: String) -> [UInt8]? {
        guard let range = output.range(of: "Keying material: ") else { return nil }
        let hex = output[range.upperBound...].prefix { $0.isHexDigit }
        return bytes(String(hex))
    }
}

/// A tool running beside the test, its standard input held open until `closeInput()` (s_client
/// and s_server end their connection when it closes) and both outputs collected as it runs.
final class RunningTool: @unchecked Sendable {
    // @unchecked: `output` and `errors` are written by the reader threads and read only after
    // `wait` has joined them (the DispatchGroup orders the two).
    private let process = Process()
    private let input = Pipe()
    private let readers = DispatchGroup()
    private var output = Data()
    private var errors = Data()

    init(_ executable: String, _ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardInput = input
        process.standardOutput = out
        process.standardError = err
        try process.run()
        readers.enter()
        DispatchQueue.global().async {
            self.output = out.fileHandleForReading.readDataToEndOfFile()
            self.readers.leave()
        }
        readers.enter()
        DispatchQueue.global().async {
            self.errors = err.fileHandleForReading.readDataToEndOfFile()
            self.readers.leave()
        }
    }

    var isRunning: Bool { process.isRunning }

    func closeInput() { try? input.fileHandleForWriting.close() }

    /// Waits for the tool to exit (killing it after `timeout` seconds) and returns what it said.
    func wait(timeout: Double = 20) -> (status: Int32, stdout: String, stderr: String) {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            process.terminate()
            usleep(200_000)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        closeInput()
        _ = readers.wait(timeout: .now() + 5)
        return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: errors, as: UTF8.self))
    }

    /// Runs to completion with `stdin` (closed after it is written).
    static func run(_ executable: String, _ arguments: [String], stdin: Data = Data(), timeout: Double = 30) throws
        -> (status: Int32, stdout: String, stderr: String)
    {
        let tool = try RunningTool(executable, arguments)
        if !stdin.isEmpty { try tool.input.fileHandleForWriting.write(contentsOf: stdin) }
        tool.closeInput()
        return tool.wait(timeout: timeout)
    }
}

/// A UDP socket on 127.0.0.1 for the interop tests: the test drives the DTLS session on it by
/// hand, as Vigil's event loop will.
final class LoopbackUDPSocket {
    let descriptor: Int32
    let port: UInt16

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            close(descriptor)
            throw POSIXError(.init(rawValue: errno) ?? .EIO)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        self.descriptor = descriptor
        self.port = UInt16(bigEndian: address.sin_port)
    }

    deinit { close(descriptor) }

    static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    /// A free UDP port on 127.0.0.1 for a tool to bind (bound and released here).
    static func freePort() throws -> UInt16 { try LoopbackUDPSocket().port }

    /// One datagram, or nil after `timeout`.
    func receive(timeout: Duration) -> (bytes: [UInt8], from: sockaddr_in)? {
        var descriptors = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(max(1, timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000))
        guard poll(&descriptors, 1, milliseconds) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var from = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let count = buffer.withUnsafeMutableBytes { bytes in
            withUnsafeMutablePointer(to: &from) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(descriptor, bytes.baseAddress, bytes.count, 0, $0, &length) }
            }
        }
        guard count >= 0 else { return nil }
        return (Array(buffer[0..<count]), from)
    }

    func send(_ datagram: [UInt8], to address: sockaddr_in) {
        var address = address
        _ = datagram.withUnsafeBytes { bytes in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(descriptor, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }
}
