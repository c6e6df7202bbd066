import MediaCore

/// The synthetic picture: size, rate, pattern, and how often the white sync mark comes.
public struct SyntheticVideoSettings: Sendable, Hashable {
    public enum Pattern: String, Sendable, Hashable, CaseIterable {
        /// A dim gradient with colour bars and a moving box: compresses like a quiet scene.
        case moving
        /// Fresh random luma and chroma every picture: as hard to compress as video gets.
        case noise
    }

    public var width: Int
    public var height: Int
    public var frameRate: Int
    public var pattern: Pattern
    public var syncMarkInterval: MediaDuration

    public init(width: Int = 1280, height: Int = 720, frameRate: Int = 30, pattern: Pattern = .moving, syncMarkInterval: MediaDuration = .seconds(2)) {
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.pattern = pattern
        self.syncMarkInterval = syncMarkInterval
    }
}
