import NIOCore
import NIOPosix

extension Vigil {
    /// The URLs a viewer on another machine can open: one per IPv4 interface address when
    /// listening on all of them, loopback last.
    public func viewerURLs(port: Int, path: String? = nil) -> [String] {
        let host = settings.rtsp.host
        let path = path ?? settings.streamPath
        guard host == "0.0.0.0" || host == "::" else {
            return ["rtsp://\(host):\(port)/\(path)"]
        }
        var addresses: [String] = []
        if let devices = try? System.enumerateDevices() {
            for device in devices {
                guard let address = device.address, case .v4 = address, let ip = address.ipAddress else { continue }
                if !ip.hasPrefix("127."), !addresses.contains(ip) { addresses.append(ip) }
            }
        }
        addresses.append("127.0.0.1")
        return addresses.map { "rtsp://\($0):\(port)/\(path)" }
    }
}
