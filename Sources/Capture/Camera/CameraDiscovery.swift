import Foundation

/// Finds the cameras on this machine: every /dev/video* that can stream video capture.
public enum CameraDiscovery {
    public static func cameras(in directory: String = "/dev") -> [CameraInfo] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let nodes = names.filter { $0.hasPrefix("video") && Int($0.dropFirst(5)) != nil }
            .sorted { Int($0.dropFirst(5))! < Int($1.dropFirst(5))! }
        return nodes.compactMap { name in
            let path = "\(directory)/\(name)"
            guard let device = try? V4L2Device(path: path), let caps = try? device.capabilities(), caps.canCapture else { return nil }
            return CameraInfo(path: path, driver: caps.driver, card: caps.card, bus: caps.bus, formats: device.formats())
        }
    }

    /// Opens `path` and describes it, with the reason when it cannot be used.
    public static func describe(_ path: String) throws(CameraError) -> CameraInfo {
        let device = try V4L2Device(path: path)
        let caps = try device.capabilities()
        guard caps.canCapture else { throw .notACaptureDevice(path: path, card: caps.card) }
        return CameraInfo(path: path, driver: caps.driver, card: caps.card, bus: caps.bus, formats: device.formats())
    }
}
