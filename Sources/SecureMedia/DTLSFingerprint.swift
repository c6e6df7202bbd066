import Crypto

/// A certificate fingerprint as SDP carries it — RFC 8122 §5 (`a=fingerprint:sha-256 AB:CD:…`):
/// the hash function's name and the hash of the certificate's DER, in upper-case hex pairs
/// joined by colons. WebRTC checks the peer's DTLS certificate against this and nothing else
/// (RFC 8827 §6.5): the certificate is self-signed and no authority vouches for it.
public struct DTLSFingerprint: Sendable, Hashable {
    /// The hash function, as RFC 8122 §5 spells it in lower case: "sha-256".
    public var algorithm: String
    /// Upper-case hex pairs joined by colons: "AB:CD:…".
    public var value: String

    /// RFC 8122 §5 hash-func tokens Vigil can compute, and their digest lengths. MD2 and MD5
    /// are refused by §5 itself; browsers send sha-256.
    static let digestLengths: [String: Int] = ["sha-1": 20, "sha-256": 32, "sha-384": 48, "sha-512": 64]

    public init(algorithm: String, value: String) {
        self.algorithm = algorithm
        self.value = value
    }

    /// The SHA-256 fingerprint of a certificate's DER encoding (RFC 8122 §5).
    public init(sha256OfDER der: some Sequence<UInt8>) {
        self.init(algorithm: "sha-256", digest: Array(SHA256.hash(data: Array(der))))
    }

    init(algorithm: String, digest: [UInt8]) {
        self.algorithm = algorithm
        self.value = digest.map { byte in
            let hex = String(byte, radix: 16, uppercase: true)
            return byte < 0x10 ? "0" + hex : hex
        }.joined(separator: ":")
    }

    /// Parses the value of an `a=fingerprint` attribute (RFC 8122 §5):
    ///
    ///     fingerprint-attribute  =  "fingerprint" ":" hash-func SP fingerprint
    ///     fingerprint            =  2UHEX *(":" 2UHEX)
    ///
    /// `sdp` may be the whole line (`a=fingerprint:sha-256 AB:…`) or only its value. The hash
    /// function is case-insensitive; lower-case hex is accepted and normalized to upper case.
    /// `nil` for a hash function Vigil cannot compute or a digest of the wrong length.
    public init?(sdp: String) {
        var text = Substring(sdp)
        while let last = text.last, last.isWhitespace { text = text.dropLast() }
        while let first = text.first, first.isWhitespace { text = text.dropFirst() }
        for prefix in ["a=fingerprint:", "fingerprint:"] where text.lowercased().hasPrefix(prefix) {
            text = text.dropFirst(prefix.count)
        }
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2 else { return nil }
        let algorithm = parts[0].lowercased()
        guard let length = Self.digestLengths[algorithm] else { return nil }
        let pairs = parts[1].split(separator: ":", omittingEmptySubsequences: false)
        guard pairs.count == length else { return nil }
        var digest: [UInt8] = []
        for pair in pairs {
            guard pair.count == 2, pair.allSatisfy(\.isHexDigit), let byte = UInt8(pair, radix: 16) else { return nil }
            digest.append(byte)
        }
        self.init(algorithm: algorithm, digest: digest)
    }

    /// The attribute's value, for `a=fingerprint:` in an SDP offer or answer.
    public var sdp: String { "\(algorithm) \(value)" }

    /// The fingerprint of `der` with this fingerprint's hash function, to compare with it;
    /// `nil` for a hash function Vigil cannot compute.
    func sameAlgorithm(ofDER der: [UInt8]) -> DTLSFingerprint? {
        switch algorithm {
        case "sha-1": DTLSFingerprint(algorithm: algorithm, digest: Array(Insecure.SHA1.hash(data: der)))
        case "sha-256": DTLSFingerprint(algorithm: algorithm, digest: Array(SHA256.hash(data: der)))
        case "sha-384": DTLSFingerprint(algorithm: algorithm, digest: Array(SHA384.hash(data: der)))
        case "sha-512": DTLSFingerprint(algorithm: algorithm, digest: Array(SHA512.hash(data: der)))
        default: nil
        }
    }
}

extension DTLSFingerprint: CustomStringConvertible {
    public var description: String { sdp }
}
