/// An SRTP protection profile DTLS-SRTP can agree on — RFC 5764 §4.1.2 and RFC 7714 §14.2.
public enum SRTPProfile: Sendable, Hashable {
    /// SRTP_AES128_CM_HMAC_SHA1_80 (0x0001): AES-128 counter mode, an 80-bit HMAC-SHA1 tag.
    case aes128CmHmacSha1_80
    /// SRTP_AEAD_AES_128_GCM (0x0007): AES-128-GCM with a 128-bit tag (RFC 7714).
    case aeadAes128Gcm

    /// The profile's use_srtp identifier (RFC 5764 §4.1.2, RFC 7714 §14.2).
    init?(useSRTPIdentifier: UInt) {
        switch useSRTPIdentifier {
        case 0x0001: self = .aes128CmHmacSha1_80
        case 0x0007: self = .aeadAes128Gcm
        default: return nil
        }
    }

    /// The master key length in bytes (both profiles: AES-128).
    public var keyLength: Int { 16 }
    /// The master salt length in bytes: 112 bits for counter mode (RFC 3711 §8.2), 96 for
    /// GCM (RFC 7714 §12).
    public var saltLength: Int {
        switch self {
        case .aes128CmHmacSha1_80: 14
        case .aeadAes128Gcm: 12
        }
    }
}

/// SRTP master keys and salts for both directions, from the DTLS-SRTP exporter — RFC 5764
/// §4.2: `SSL_export_keying_material` with the label "EXTRACTOR-dtls_srtp", no context, and
/// 2 × (key + salt) bytes, laid out
///
///     client_write_SRTP_master_key[key] server_write_SRTP_master_key[key]
///     client_write_SRTP_master_salt[salt] server_write_SRTP_master_salt[salt]
///
/// `local` is the side this end writes with (the client's keys when it was the DTLS client).
public struct SRTPKeyMaterial: Sendable, Hashable {
    public var profile: SRTPProfile
    public var localKey: [UInt8]
    public var localSalt: [UInt8]
    public var remoteKey: [UInt8]
    public var remoteSalt: [UInt8]

    public init(profile: SRTPProfile, localKey: [UInt8], localSalt: [UInt8], remoteKey: [UInt8], remoteSalt: [UInt8]) {
        self.profile = profile
        self.localKey = localKey
        self.localSalt = localSalt
        self.remoteKey = remoteKey
        self.remoteSalt = remoteSalt
    }

    /// The exporter's label (RFC 5764 §4.2).
    public static let exporterLabel = "EXTRACTOR-dtls_srtp"

    /// How many bytes to export for `profile`: 60 for counter mode, 56 for GCM.
    public static func exportedLength(_ profile: SRTPProfile) -> Int { 2 * (profile.keyLength + profile.saltLength) }

    /// Splits exported keying material (§4.2's layout above); `nil` if it is not
    /// `exportedLength(profile)` bytes.
    public init?(exported: [UInt8], profile: SRTPProfile, role: DTLSRole) {
        guard exported.count == Self.exportedLength(profile) else { return nil }
        let key = profile.keyLength
        let salt = profile.saltLength
        let clientKey = Array(exported[0..<key])
        let serverKey = Array(exported[key..<(2 * key)])
        let clientSalt = Array(exported[(2 * key)..<(2 * key + salt)])
        let serverSalt = Array(exported[(2 * key + salt)..<(2 * key + 2 * salt)])
        switch role {
        case .client: self.init(profile: profile, localKey: clientKey, localSalt: clientSalt, remoteKey: serverKey, remoteSalt: serverSalt)
        case .server: self.init(profile: profile, localKey: serverKey, localSalt: serverSalt, remoteKey: clientKey, remoteSalt: clientSalt)
        }
    }
}
