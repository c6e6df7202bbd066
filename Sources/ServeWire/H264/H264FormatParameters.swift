/// SDP side of H.264 — RFC 6184 §8.1: rtpmap, profile-level-id (hex of SPS bytes 1…3) and
/// sprop-parameter-sets (base64 of SPS, PPS).
public enum H264FormatParameters {
    /// RFC 6184 §8.2.1: "the RTP timestamp clock rate ... MUST be 90000".
    public static let clockRate = 90000
    /// The rtpmap value after the payload type.
    public static let rtpmap = "H264/90000"
    /// RFC 6184 §8.1: "If the profile-level-id parameter is not present, ... 420010"
    /// (Baseline, level 1.0) — what a receiver assumes when we cannot say better.
    public static let defaultProfileLevelID = "420010"
    /// profile_idc, constraint flags, level_idc follow the one-byte NAL unit header.
    static let profileLevelBytes = 1...3

    /// The fmtp parameters (the part after "a=fmtp:<pt> "), e.g.
    /// `packetization-mode=1;profile-level-id=42c01e;sprop-parameter-sets=Z0LAHtkA…,aMuDyyA=`.
    /// profile-level-id is omitted when `sps` is too short to carry one, and sprop-parameter-sets
    /// when either parameter set is empty.
    public static func fmtp(sps: [UInt8], pps: [UInt8], packetizationMode: Int = 1) -> String {
        var parameters = ["packetization-mode=\(packetizationMode)"]
        if sps.count > profileLevelBytes.upperBound {
            parameters.append("profile-level-id=\(profileLevelID(sps: sps))")
        }
        if !sps.isEmpty && !pps.isEmpty {
            parameters.append("sprop-parameter-sets=\(Base64.encode(sps)),\(Base64.encode(pps))")
        }
        return parameters.joined(separator: ";")
    }

    /// Lower-case hex of SPS bytes 1…3 (profile_idc, constraint_set flags, level_idc), or
    /// `defaultProfileLevelID` when the SPS is shorter than four bytes.
    public static func profileLevelID(sps: [UInt8]) -> String {
        guard sps.count > profileLevelBytes.upperBound else { return defaultProfileLevelID }
        return sps[profileLevelBytes].map { hexByte($0) }.joined()
    }

    /// The parameter sets announced in an fmtp value's sprop-parameter-sets, in order (for
    /// clients and tests); nil when absent or not valid base64.
    public static func parameterSets(fromFmtp fmtp: String) -> [[UInt8]]? {
        for parameter in fmtp.split(separator: ";") {
            let trimmed = parameter.trimmingASCIIWhitespace()
            guard let equals = trimmed.firstIndex(of: "=") else { continue }
            guard trimmed[..<equals].lowercased() == "sprop-parameter-sets" else { continue }
            var sets: [[UInt8]] = []
            for encoded in trimmed[trimmed.index(after: equals)...].split(separator: ",") {
                guard let bytes = Base64.decode(encoded) else { return nil }
                sets.append(bytes)
            }
            return sets
        }
        return nil
    }

    private static func hexByte(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }
}
