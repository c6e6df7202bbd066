import Foundation
import XCTest
@testable import ServeWire

/// The stream and endpoint the WHEP tests answer with: what Vigil's live encoders make.
enum WHEPStream {
    /// x264 High, level 4.0 (1080p30), as `H264FormatParameters.fmtp` writes it.
    static let high = WebRTCLocalTrack(
        trackIndex: 0, kind: "video", encoding: "H264", clockRate: 90000,
        fmtp: "packetization-mode=1;profile-level-id=640028;sprop-parameter-sets=Z2QAKKzZQHgCJ+XARAAAAwAEAAADAPA8YMZY,aOvjyyLA",
        ssrc: 0x1234_5678, cname: "vigil-cam0")
    /// Constrained baseline, level 3.1 (720p30).
    static let constrainedBaseline = WebRTCLocalTrack(
        trackIndex: 0, kind: "video", encoding: "H264", clockRate: 90000,
        fmtp: "packetization-mode=1;profile-level-id=42e01f;sprop-parameter-sets=Z0LgH9oBQBbsBEAAAAMAQAAADyPGDKg=,aM4yyA==",
        ssrc: 0x1234_5678, cname: "vigil-cam0")
    static let pcmu = WebRTCLocalTrack(trackIndex: 1, kind: "audio", encoding: "PCMU", clockRate: 8000, ssrc: 0x0BAD_CAFE, cname: "vigil-cam0")
    static let pcma = WebRTCLocalTrack(trackIndex: 1, kind: "audio", encoding: "PCMA", clockRate: 8000, ssrc: 0x0BAD_CAFE, cname: "vigil-cam0")
    static let opus = WebRTCLocalTrack(
        trackIndex: 1, kind: "audio", encoding: "opus", clockRate: 48000, channels: 2, fmtp: "minptime=10;useinbandfec=1",
        ssrc: 0x0BAD_CAFE, cname: "vigil-cam0")

    static let endpoint = WebRTCLocalEndpoint(
        iceUfrag: "vIg1", icePassword: "Vigil+Password/0123456789",
        fingerprint: "sha-256 0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9",
        candidates: [WebRTCCandidate(address: "127.0.0.1", port: 8189), WebRTCCandidate(address: "192.0.2.10", port: 8189)],
        sessionID: 3_924_000_001)

    /// The answer's lines of section `index` (0: the session part), without line endings.
    static func lines(_ answer: WebRTCAnswer, section index: Int) -> [String] {
        let text = answer.sdp.serialized()
        var sections: [[String]] = [[]]
        for line in text.split(separator: "\r\n", omittingEmptySubsequences: true).map(String.init) {
            if line.hasPrefix("m=") { sections.append([]) }
            sections[sections.count - 1].append(line)
        }
        return index < sections.count ? sections[index] : []
    }

    /// `text` with every line for which `transform` returns nil removed, others replaced.
    static func mutate(_ text: String, _ transform: (String) -> String?) -> String {
        text.components(separatedBy: "\r\n").dropLast().compactMap(transform).map { $0 + "\r\n" }.joined()
    }
}

/// A real WebRTC peer (`Scripts/testkit/webrtc_sdp_check.py`: aiortc or headless Chromium)
/// that makes an offer, takes the answer we compute for it and reports whether its
/// `setRemoteDescription` accepted it. Missing tools fail the test: they are part of the suite.
enum WebRTCPeer {
    static let python = "/opt/vigil-test-python/bin/python3"
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Scripts/testkit/webrtc_sdp_check.py").path

    struct Outcome {
        var offer: String
        var answer: String
        var report: [String: Any]
        var status: Int32
        var stderr: String
    }

    /// Runs `mode` ("aiortc" or "chromium"); `answer` turns the peer's offer into our answer.
    static func exchange(_ mode: String, answer: (String) throws -> String) throws -> Outcome {
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw MissingTool("\(python) is missing (Scripts/install-deps --test installs aiortc)")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-whep-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script, mode, directory.path]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        // Both pipes are drained while the peer runs, so a chatty peer never blocks.
        let collected = Collected()
        let readers = DispatchGroup()
        DispatchQueue.global().async(group: readers) { collected.set(\.out, out.fileHandleForReading.readDataToEndOfFile()) }
        DispatchQueue.global().async(group: readers) { collected.set(\.err, err.fileHandleForReading.readDataToEndOfFile()) }
        var stdout: Data { collected.get(\.out) }
        var stderr: Data { collected.get(\.err) }

        let offerDone = directory.appendingPathComponent("offer.sdp.done").path
        let deadline = Date(timeIntervalSinceNow: 60)
        while !FileManager.default.fileExists(atPath: offerDone) && process.isRunning && Date() < deadline { usleep(20_000) }
        guard FileManager.default.fileExists(atPath: offerDone) else {
            process.terminate()
            _ = readers.wait(timeout: .now() + 5)
            throw PeerError.noOffer(mode, String(decoding: stdout + stderr, as: UTF8.self).suffix(2000).description)
        }
        let offer = try String(contentsOf: directory.appendingPathComponent("offer.sdp"), encoding: .utf8)
        let answerText = try answer(offer)
        try answerText.write(to: directory.appendingPathComponent("answer.sdp"), atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: directory.appendingPathComponent("answer.sdp.done").path, contents: nil)
        while process.isRunning && Date() < deadline.addingTimeInterval(30) { usleep(20_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        _ = readers.wait(timeout: .now() + 5)
        let lastLine = String(decoding: stdout, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
        let report = (try? JSONSerialization.jsonObject(with: Data(lastLine.utf8))) as? [String: Any] ?? [:]
        return Outcome(offer: offer, answer: answerText, report: report, status: process.terminationStatus, stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// What the pipe readers collected; the lock is what makes it Sendable.
    private final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private var values = Values()
        struct Values {
            var out = Data()
            var err = Data()
        }
        func set(_ key: WritableKeyPath<Values, Data>, _ data: Data) { lock.withLock { values[keyPath: key] = data } }
        func get(_ key: KeyPath<Values, Data>) -> Data { lock.withLock { values[keyPath: key] } }
    }

    enum PeerError: Error, CustomStringConvertible {
        case noOffer(String, String)
        var description: String {
            switch self {
            case .noOffer(let mode, let output): "the \(mode) peer wrote no offer: \(output)"
            }
        }
    }
}

/// A missing tool is a failure, not a skip: the thrown error fails the test.
struct MissingTool: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
