import Foundation
import MediaCore

/// What the configuration asks of a camera.
public struct CameraRequest: Hashable, Sendable {
    public var width: Int
    public var height: Int
    public var frameRate: Int
    public var preference: [CameraPixelFormat]

    public init(width: Int, height: Int, frameRate: Int, preference: [CameraPixelFormat] = CameraPixelFormat.preference) {
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.preference = preference
    }
}

/// The mode chosen for a camera, and why.
public struct CameraSelection: Hashable, Sendable {
    /// The format to set: what the encoder receives.
    public var pixelFormat: CameraPixelFormat
    public var width: Int
    public var height: Int
    public var frameRate: Int
    /// True when size and rate are what was asked.
    public var isExact: Bool

    /// The MediaCore layout of the pictures this selection delivers.
    public var rawFormat: PixelFormat? {
        switch pixelFormat {
        case .yuyv: return .yuyv
        case .nv12: return .nv12
        case .yuv420: return .i420
        default: return nil
        }
    }
}

/// Chooses a camera mode: pure, so every rule is tested without a camera.
///
/// Rules, in order:
/// 1. Only formats the encoder can take: YUYV, NV12, YU12 — native first; MJPEG only through
///    libv4l2's emulated YU12 (the camera then decodes in software).
/// 2. The first format in preference order that offers the exact size and rate wins.
/// 3. Else the first that offers the exact size, at the nearest rate.
/// 4. Else the nearest size (smallest difference in area, then in aspect) in the most
///    preferred format, at the nearest rate. The caller logs that the mode is not exact.
public enum FormatSelection {
    public static func choose(from formats: [CameraFormat], request: CameraRequest) -> CameraSelection? {
        let usable = usableFormats(formats, preference: request.preference)
        guard !usable.isEmpty else { return nil }

        for format in usable {
            if let mode = format.modes.first(where: { $0.width == request.width && $0.height == request.height }),
                mode.frameRates.isEmpty || mode.frameRates.contains(where: { abs($0 - Double(request.frameRate)) < 0.01 })
            {
                return CameraSelection(pixelFormat: format.pixelFormat, width: mode.width, height: mode.height, frameRate: request.frameRate, isExact: true)
            }
        }
        for format in usable {
            if let mode = format.modes.first(where: { $0.width == request.width && $0.height == request.height }) {
                return CameraSelection(
                    pixelFormat: format.pixelFormat, width: mode.width, height: mode.height,
                    frameRate: nearestRate(mode.frameRates, to: request.frameRate), isExact: false)
            }
        }
        for format in usable {
            guard let mode = format.modes.min(by: { distance($0, request) < distance($1, request) }) else { continue }
            return CameraSelection(
                pixelFormat: format.pixelFormat, width: mode.width, height: mode.height,
                frameRate: nearestRate(mode.frameRates, to: request.frameRate), isExact: false)
        }
        return nil
    }

    /// Formats the encoder can take, in preference order; an MJPEG camera's emulated YU12
    /// stands in MJPEG's place.
    static func usableFormats(_ formats: [CameraFormat], preference: [CameraPixelFormat]) -> [CameraFormat] {
        var result: [CameraFormat] = []
        for wanted in preference {
            if wanted == .mjpeg {
                if formats.contains(where: { $0.pixelFormat == .mjpeg }),
                    let emulated = formats.first(where: { $0.pixelFormat == .yuv420 && $0.isEmulated }),
                    !result.contains(where: { $0.pixelFormat == .yuv420 })
                {
                    result.append(emulated)
                }
                continue
            }
            // Native first; an emulated raw format only when the hardware has no native one.
            if let native = formats.first(where: { $0.pixelFormat == wanted && !$0.isEmulated }) {
                result.append(native)
            }
        }
        if result.isEmpty, let emulated = formats.first(where: { $0.pixelFormat == .yuv420 && $0.isEmulated }) {
            result.append(emulated)
        }
        return result.filter { !$0.modes.isEmpty }
    }

    static func distance(_ mode: CameraMode, _ request: CameraRequest) -> Double {
        let area = Double(mode.width * mode.height)
        let wanted = Double(max(1, request.width * request.height))
        let aspect = Double(mode.width) / Double(max(1, mode.height)) - Double(request.width) / Double(max(1, request.height))
        return abs(log(area / wanted)) + abs(aspect) * 0.1
    }

    static func nearestRate(_ rates: [Double], to wanted: Int) -> Int {
        guard let best = rates.min(by: { abs($0 - Double(wanted)) < abs($1 - Double(wanted)) }) else { return wanted }
        return max(1, Int(best.rounded()))
    }
}
