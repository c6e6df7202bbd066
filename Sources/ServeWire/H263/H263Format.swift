/// SDP side of H.263 — RFC 4629 §8 (`H263-1998`, `H263-2000`, dynamic payload types) and
/// RFC 2190 with RFC 3551 Table 5 (`H263`, static payload type 34): encoding names, clock
/// rate, and the fmtp picture-size parameters (RFC 4629 §8.1.1).
public enum H263Format {
    /// The RTP payload formats Vigil can send H.263 in.
    public enum Payload: String, Sendable, Hashable, CaseIterable {
        /// RFC 4629 with the H.263+ media type: any H.263 (1998) stream, custom sizes too.
        case rfc4629 = "H263-1998"
        /// RFC 4629 with the H.263 (2000) media type (profiles and levels; baseline = profile 0).
        case rfc4629Profile2000 = "H263-2000"
        /// RFC 2190 mode A, for receivers that know only the 1996 payload format.
        case rfc2190 = "H263"

        /// The rtpmap encoding name.
        public var encodingName: String { rawValue }

        /// RFC 3551 Table 5: PT 34 is H263 (RFC 2190); the RFC 4629 types are dynamic.
        public var staticPayloadType: UInt8? { self == .rfc2190 ? 34 : nil }

        /// Whether the format can carry a custom (PLUSPTYPE) picture size. RFC 2190 predates
        /// H.263+, and profile 0 of H.263 (2000) has only the standard formats.
        public var allowsCustomPictureFormat: Bool { self == .rfc4629 }
    }

    /// Video in RTP counts at 90 kHz (RFC 4629 §8.1, RFC 3551 §5).
    public static let clockRate = 90_000

    /// Picture sizes of the standard source formats by fmtp parameter name (RFC 4629 §8.1.1).
    static let standardSizes: [(name: String, width: Int, height: Int)] = [
        ("SQCIF", 128, 96), ("QCIF", 176, 144), ("CIF", 352, 288), ("CIF4", 704, 576), ("CIF16", 1408, 1152),
    ]

    /// The fmtp value announcing the one picture size the stream is sent at, with MPI 1 (up
    /// to 30000/1001 pictures per second): `CIF=1`, or `CUSTOM=640,480,1` for a size that is
    /// not a standard format. H263-2000 names baseline's profile and the level for the size
    /// and rate instead (ITU-T H.263 Annex X, Table X.2).
    public static func fmtp(payload: Payload, width: Int, height: Int, bitrateKbps: Int) -> String {
        let standard = standardSizes.first { $0.width == width && $0.height == height }
        switch payload {
        case .rfc4629, .rfc2190:
            if let standard { return "\(standard.name)=1" }
            return "CUSTOM=\(width),\(height),1"
        case .rfc4629Profile2000:
            return "profile=0;level=\(level(width: width, height: height, bitrateKbps: bitrateKbps))"
        }
    }

    /// The lowest H.263 Annex X level for baseline at 30 fps: 30 covers CIF at 384 kbit/s, 40
    /// CIF at 2 Mbit/s, 50 up to 4 Mbit/s, 60 720x288 at 8 Mbit/s, 70 720x576 at 16 Mbit/s.
    static func level(width: Int, height: Int, bitrateKbps: Int) -> Int {
        let area = width * height
        if area <= 352 * 288 {
            if bitrateKbps <= 384 { return 30 }
            if bitrateKbps <= 2048 { return 40 }
            return 50
        }
        if area <= 720 * 288 && bitrateKbps <= 8192 { return 60 }
        return 70
    }
}
