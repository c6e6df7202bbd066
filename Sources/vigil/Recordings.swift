import ArgumentParser
import Foundation
import VigilKit

/// `vigil recordings PATH`: the spans and gaps recorded for a stream.
struct Recordings: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List what is recorded for a stream: spans of continuous recording and the gaps between them.",
        discussion: "Reads the recording index under the configured state directory; safe beside a running vigil.")

    @Argument(help: "The stream's path (as in rtsp://host:8554/PATH).") var path: String
    @Option(help: "Config file (default \(VigilConfigFile.defaultPath)).") var config: String?
    @Option(help: "Only from this ISO 8601 instant on.") var start: String?
    @Option(help: "Only up to this ISO 8601 instant.") var end: String?
    @Flag(help: "Print JSON, as GET /api/v1/recordings/PATH answers.") var json = false

    func run() throws {
        do {
            let settings = try VigilConfigFile.load(path: config ?? VigilConfigFile.defaultPath, missingIsDefault: config == nil)
            print(try listRecordings(settings: settings, stream: path, start: start, end: end, json: json))
        } catch {
            FileHandle.standardError.write(Data("vigil recordings: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
