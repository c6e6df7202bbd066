import ArgumentParser
import Capture
import Foundation
import MediaCore

/// `vigil synthetic-raw`: the synthetic test picture as raw I420 on stdout, so a benchmark
/// feeds Vigil's encoder and another one the very same pictures. Hidden.
struct SyntheticRaw: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synthetic-raw", abstract: "Write synthetic I420 pictures to stdout (benchmarks).", shouldDisplay: false)

    @Option(help: "Picture width.") var width: Int
    @Option(help: "Picture height.") var height: Int
    @Option(help: "Frames per second (paces the moving box).") var fps = 30
    @Option(help: "Number of pictures.") var frames: Int

    func run() throws {
        let settings = SyntheticVideoSettings(width: width, height: height, frameRate: fps)
        let output = FileHandle.standardOutput
        for n in 0..<frames {
            output.write(Data(SyntheticVideoSource.makeFrame(settings: settings, index: UInt64(n), epoch: MediaInstant(nanoseconds: 0)).bytes))
        }
    }
}
