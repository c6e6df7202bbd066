import ArgumentParser
import Foundation
import Capture

/// `vigil devices`: the cameras (with their modes) and microphones this machine has.
struct Devices: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List cameras and microphones, with the modes they offer.")

    func run() throws {
        let cameras = CameraDiscovery.cameras()
        print("Cameras")
        if cameras.isEmpty { print("  (none: no /dev/video* can capture)") }
        for camera in cameras {
            print("  \(camera.path)  \(camera.card)  [driver \(camera.driver), \(camera.bus)]")
            for format in camera.formats {
                let note = format.isEmulated ? " (converted by libv4l2)" : ""
                print("    \(format.pixelFormat.description.padding(4))  \(format.description)\(note)")
                for mode in format.modes {
                    let rates = mode.frameRates.map { $0 == $0.rounded() ? "\(Int($0))" : String(format: "%.2f", $0) }
                    let rateText = rates.isEmpty ? "" : "  @ " + rates.joined(separator: ", ") + " fps"
                    print("      \(mode.width)x\(mode.height)\(rateText)")
                }
            }
        }
        let microphones = MicrophoneDiscovery.microphones()
        print("Microphones")
        if microphones.isEmpty { print("  (none: no ALSA card can capture)") }
        for microphone in microphones {
            var line = "  \(microphone.name)  \(microphone.card): \(microphone.device)"
            if let rates = microphone.rates { line += "  rates \(rates.lowerBound)–\(rates.upperBound) Hz" }
            if let channels = microphone.channels { line += "  channels \(channels.lowerBound)–\(channels.upperBound)" }
            print(line)
        }
    }
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
