import Container
import Foundation
import Logging

/// What the recorder does before it records: every segment of its stream that was not
/// closed (a crash, `kill -9`, a power cut) is cut back to its last whole fragment, given
/// its duration (in `mehd` and the index) and marked complete; a file the index does not
/// know is added; a file with nothing whole in it, and an index row whose file is gone, are
/// removed. Each repair is logged with what it kept and cut.
struct RecoveryScan {
    struct Report {
        var repaired: [String] = []
        var added: [String] = []
        var removed: [String] = []
        var bytesCut = 0

        var isEmpty: Bool { repaired.isEmpty && added.isEmpty && removed.isEmpty }
        var metadata: Logger.Metadata {
            [
                "repaired": "\(repaired.count)", "added": "\(added.count)", "removed": "\(removed.count)",
                "bytesCut": "\(bytesCut)", "files": "\((repaired + added + removed).joined(separator: ", "))",
            ]
        }
    }

    let directory: String
    let stream: String
    let index: RecordingIndex
    let logger: Logger

    func run() -> Report {
        var report = Report()
        let known = (try? index.segments(stream: stream)) ?? []
        var knownFiles = Set<String>()
        for segment in known {
            knownFiles.insert(segment.file)
            guard segment.file.hasPrefix(directory) else { continue }
            guard RecordingDirectory.fileSize(segment.file) != nil else {
                try? index.remove(id: segment.id)
                report.removed.append(segment.file)
                continue
            }
            guard !segment.complete else { continue }
            switch close(segment.file, report: &report) {
            case .kept(let duration, let bytes):
                try? index.update(id: segment.id, duration: duration, bytes: bytes, complete: true)
                report.repaired.append(segment.file)
            case .removed:
                try? index.remove(id: segment.id)
                report.removed.append(segment.file)
            }
        }
        for name in RecordingDirectory.recordings(in: directory) {
            let path = (directory as NSString).appendingPathComponent(name)
            guard !knownFiles.contains(path) else { continue }
            guard let start = SegmentName.wallClockNanoseconds(of: name) else { continue }  // not ours: left alone
            switch close(path, report: &report) {
            case .kept(let duration, let bytes):
                if (try? index.add(stream: stream, file: path, start: start, duration: duration, bytes: bytes, complete: true)) != nil {
                    report.added.append(path)
                }
            case .removed:
                report.removed.append(path)
            }
        }
        if !report.isEmpty { try? RecordingDirectory.sync(directory) }
        return report
    }

    enum Outcome {
        case kept(duration: Int64, bytes: Int64)
        case removed
    }

    /// Cuts `path` back to its whole fragments and writes their duration into `mehd`.
    private func close(_ path: String, report: inout Report) -> Outcome {
        guard let scanned = try? RecordedFile(path: path), !scanned.fragments.isEmpty else {
            try? RecordingDirectory.remove(path)
            return .removed
        }
        let duration = scanned.mediaDurationNanoseconds
        do {
            let file = try RecordingFile(repairing: path)
            if file.size > scanned.wholeEnd {
                report.bytesCut += file.size - scanned.wholeEnd
                try file.truncate(to: scanned.wholeEnd)
            }
            if let field = FragmentedMP4.movieExtendsDurationField(in: scanned.initialization) {
                try file.patch(Recorder.milliseconds(duration), at: field)
            }
            try file.sync()
            file.close()
        } catch {
            logger.warning("recovery scan could not repair a segment", metadata: ["file": "\(path)", "error": "\(error)"])
        }
        return .kept(duration: duration, bytes: Int64(scanned.wholeEnd))
    }
}

