#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MediaCore

/// Why a library file cannot be played: said in the log, answered 404 to the client either
/// way (a refusal must not tell which files exist outside the library).
public enum LibraryError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The name is not one the library can hold: traversal, a NUL, an over-long name, a
    /// hidden file, a symbolic link out of the library, an extension it does not serve.
    case refused(name: String, reason: String)
    case notFound(name: String)
    case unreadable(name: String, reason: String)

    public var description: String {
        switch self {
        case .refused(let name, let reason): return "refused \"\(name.prefix(120))\": \(reason)"
        case .notFound(let name): return "no file \"\(name.prefix(120))\" in the library"
        case .unreadable(let name, let reason): return "cannot play \"\(name.prefix(120))\": \(reason)"
        }
    }
}

/// The media library: files under `[library] paths`, played by name (`rtsp://BOX/vod/NAME`).
///
/// A name is a relative path inside one of the roots. It is percent-decoded once and then
/// checked before the file system sees it: no `.` or `..` segment, no empty segment, no
/// hidden file, no NUL or control character, no backslash, at most 255 bytes a segment and
/// 1024 in all, one of the extensions served. The file it names must then resolve (symbolic
/// links followed) to a regular file inside the root's own resolved path, so a link that
/// points out of the library is refused like `..`.
public struct LibraryCatalog: Sendable, Hashable {
    public enum FileKind: String, Sendable, Hashable {
        case mp4, h264, h263
    }

    public var roots: [String]
    /// Pictures per second of an elementary stream that does not say (an `.263` never does).
    public var defaultFrameRate: Double
    /// Per-file rates by name, overriding the stream's and the default (the paper's server
    /// takes the rate of its stored H.263 files from its configuration the same way).
    public var frameRates: [String: Double]

    public static let extensions: [String: FileKind] = ["mp4": .mp4, "m4v": .mp4, "264": .h264, "h264": .h264, "263": .h263]
    public static let maximumNameBytes = 1024
    public static let maximumSegmentBytes = 255

    public init(roots: [String], defaultFrameRate: Double = 25, frameRates: [String: Double] = [:]) {
        self.roots = roots
        self.defaultFrameRate = defaultFrameRate
        self.frameRates = frameRates
    }

    /// The checked, decoded name and the file it is, or why not.
    public func resolve(_ rawName: String) throws(LibraryError) -> (name: String, path: String, kind: FileKind) {
        guard rawName.utf8.count <= Self.maximumNameBytes * 3 else { throw .refused(name: rawName, reason: "name too long") }
        guard let name = Self.percentDecoded(rawName) else { throw .refused(name: rawName, reason: "bad percent-encoding or not UTF-8") }
        guard !name.isEmpty, name.utf8.count <= Self.maximumNameBytes else { throw .refused(name: name, reason: "empty or over \(Self.maximumNameBytes) bytes") }
        for scalar in name.unicodeScalars where scalar.value < 0x20 || scalar.value == 0x7F || scalar == "\\" {
            throw .refused(name: name, reason: "control character, NUL or backslash")
        }
        let segments = name.split(separator: "/", omittingEmptySubsequences: false)
        for segment in segments {
            guard !segment.isEmpty else { throw .refused(name: name, reason: "empty path segment") }
            guard !segment.hasPrefix(".") else { throw .refused(name: name, reason: "dot segment or hidden file") }
            guard segment.utf8.count <= Self.maximumSegmentBytes else { throw .refused(name: name, reason: "segment over \(Self.maximumSegmentBytes) bytes") }
        }
        let fileExtension = segments.last.flatMap { last in last.lastIndex(of: ".").map { String(last[last.index(after: $0)...]).lowercased() } }
        guard let fileExtension, let kind = Self.extensions[fileExtension] else {
            throw .refused(name: name, reason: "not a served file type (\(Self.extensions.keys.sorted().joined(separator: ", ")))")
        }
        for root in roots {
            guard let realRoot = Self.realPath(root) else { continue }
            let candidate = root.hasSuffix("/") ? root + name : root + "/" + name
            guard let real = Self.realPath(candidate) else { continue }
            guard real.hasPrefix(realRoot.hasSuffix("/") ? realRoot : realRoot + "/") else {
                throw .refused(name: name, reason: "resolves outside the library (a symbolic link)")
            }
            var info = stat()
            guard stat(real, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { throw .notFound(name: name) }
            return (name, real, kind)
        }
        throw .notFound(name: name)
    }

    /// A reader of the named file.
    public func open(_ rawName: String) throws(LibraryError) -> any StoredMediaReader {
        let (name, path, kind) = try resolve(rawName)
        let rate = frameRates[name] ?? defaultFrameRate
        switch kind {
        case .h264: return try ElementaryStreamReader(path: path, kind: .h264, fallbackFrameRate: rate, forcedFrameRate: frameRates[name])
        case .h263: return try ElementaryStreamReader(path: path, kind: .h263, fallbackFrameRate: rate, forcedFrameRate: frameRates[name])
        case .mp4: return try MP4FileReader(path: path, name: name)
        }
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// RFC 3986 §2.1 percent-decoding into UTF-8; nil for a broken escape or invalid UTF-8.
    static func percentDecoded(_ text: String) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
