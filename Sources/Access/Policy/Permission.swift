/// What a request wants to do. Permissions are independent: `admin` does not imply the others,
/// so a config line says exactly what each user may do.
public enum Permission: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    /// Watch a live stream (RTSP DESCRIBE/SETUP/PLAY of a live path).
    case read
    /// Play recordings and files (RTSP playback of a recorded path, clip export).
    case playback
    /// Read the HTTP status API and `/metrics`.
    case api
    /// Mint tokens and control the daemon.
    case admin

    public var description: String { rawValue }
}
