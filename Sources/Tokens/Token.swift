/// A UMAS token: 16 characters of `[A-Za-z0-9]`, drawn uniformly from a CSPRNG.
///
/// 62¹⁶ ≈ 2⁹⁵ possible tokens: guessing one is hopeless, so the token itself needs no
/// rate limit — the store's lookup (by a digest of the token, see `TokenStore`) is the only
/// comparison it ever goes through.
public struct Token: Hashable, Sendable, CustomStringConvertible {
    /// The characters, in their UTF-8 form, as the player sends them back.
    public let text: String

    /// Sixteen characters, as the UMAS API hands them out and as players send them back.
    public static let length = 16

    /// The token alphabet: letters and digits only, so a token needs no escaping in a URL
    /// query, a JSON string or an XML element.
    public static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)

    /// The largest multiple of the alphabet size that fits in a byte (4 × 62 = 248). A random
    /// byte below it maps to `byte % 62` with every character exactly four ways; the 8 bytes
    /// 248…255 would favour the first 8 characters, so they are thrown away and drawn again
    /// (rejection sampling — unbiased, and on average it costs 16 × 256/248 ≈ 16.5 bytes).
    static let acceptedByteBound = UInt8(256 / 62 * 62)

    /// A token as presented by a client, or nil if it cannot be one: any other length or any
    /// character outside the alphabet. Checking the shape first keeps junk (and very long
    /// strings) away from the database; it reveals only the shape, which is public.
    public init?(_ text: some StringProtocol) {
        let bytes = Array(text.utf8)
        guard bytes.count == Token.length, bytes.allSatisfy(Token.isAlphabetByte) else { return nil }
        self.text = String(decoding: bytes, as: UTF8.self)
    }

    private init(validated bytes: [UInt8]) {
        text = String(decoding: bytes, as: UTF8.self)
    }

    /// A fresh token. Production passes `SystemRandomNumberGenerator` (on Linux it reads
    /// `getrandom(2)`, a CSPRNG); tests pass a seeded generator to reproduce a draw.
    ///
    /// Each `next()` supplies 8 bytes, used low byte first; bytes ≥ 248 are rejected.
    public static func random(using generator: inout some RandomNumberGenerator) -> Token {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(length)
        while bytes.count < length {
            var word = generator.next()
            for _ in 0 ..< 8 where bytes.count < length {
                let byte = UInt8(truncatingIfNeeded: word)
                word >>= 8
                if byte < acceptedByteBound {
                    bytes.append(alphabet[Int(byte % UInt8(alphabet.count))])
                }
            }
        }
        return Token(validated: bytes)
    }

    public var description: String { text }

    static func isAlphabetByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A") ... UInt8(ascii: "Z"), UInt8(ascii: "a") ... UInt8(ascii: "z"),
             UInt8(ascii: "0") ... UInt8(ascii: "9"):
            true
        default:
            false
        }
    }
}
