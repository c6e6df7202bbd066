import TestSeeds
import XCTest
@testable import Tokens

final class TokenTests: XCTestCase {
    func testAlphabetIsSixtyTwoLettersAndDigits() {
        XCTAssertEqual(Token.alphabet.count, 62)
        XCTAssertEqual(Set(Token.alphabet).count, 62)
        XCTAssertTrue(Token.alphabet.allSatisfy { Character(Unicode.Scalar($0)).isLetter || Character(Unicode.Scalar($0)).isNumber })
        XCTAssertTrue(Token.alphabet.allSatisfy { $0 < 0x80 })
        XCTAssertEqual(Token.acceptedByteBound, 248)
    }

    func testOnlyTokenShapedTextIsAToken() {
        for text in ["39VvZGpnrmVcsSiZ", "xDDR4V07Iqyn3n0A", "CiQY56Fy6X65ltXH", "AAAAAAAAAAAAAAAA", "9999999999999999"] {
            XCTAssertEqual(Token(text)?.text, text, text)
        }
        for text in ["", "39VvZGpnrmVcsSi", "39VvZGpnrmVcsSiZZ", "39VvZGpnrmVcsSi-", "39VvZGpnrmVcsSi ",
                     "39VvZGpnrmVcsSié", "39VvZGpnrmVcsS%5A", String(repeating: "A", count: 10_000)] {
            XCTAssertNil(Token(text), text)
        }
    }

    /// Each word gives 8 bytes, low byte first; bytes 248…255 are thrown away.
    func testRejectionSamplingSkipsBytesAbove247() {
        var generator = ScriptedRandom([
            0xFFFF_FFFF_FFFF_FFFF,  // eight 255s: all rejected
            0x33_1A_19_00_3E_3D_F8_F7,  // 0xF7=247→'9', 0xF8 rejected, 61→'9', 62→'A', 0→'A', 25→'Z', 26→'a', 51→'z'
            0x0706_0504_0302_0100,  // 0…7 → 'A'…'H'
            0x0000_0000_0000_003C,  // 60→'8' is the sixteenth; the other seven bytes go unused
        ])
        let token = Token.random(using: &generator)
        XCTAssertEqual(token.text, "99AAZaz" + "ABCDEFGH" + "8")
        XCTAssertEqual(generator.drawn, 4)
    }

    func testProductionTokensHaveTheShapeAndDoNotRepeat() {
        var generator = SystemRandomNumberGenerator()
        let tokens = (0 ..< 10_000).map { _ in Token.random(using: &generator) }
        for token in tokens {
            XCTAssertEqual(token.text.utf8.count, Token.length)
            XCTAssertNotNil(Token(token.text), token.text)
        }
        XCTAssertEqual(Set(tokens).count, tokens.count)
    }

    func testCharacterFrequenciesAreUniformSeeded() {
        let seed = TestSeed.value(default: 0x70CE_5EED)
        var generator = SeededRandom(seed: seed)
        let tokens = (0 ..< 20_000).map { _ in Token.random(using: &generator) }
        let statistic = chiSquared(characterCounts(tokens))
        XCTAssertLessThan(statistic, chiSquaredLimit, TestSeed.describe(seed))
    }

    func testCharacterFrequenciesAreUniformFromTheProductionSource() {
        var generator = SystemRandomNumberGenerator()
        let tokens = (0 ..< 20_000).map { _ in Token.random(using: &generator) }
        XCTAssertLessThan(chiSquared(characterCounts(tokens)), chiSquaredLimit)
    }

    /// The frequency check has teeth: `byte % 62` without rejection favours 'A'…'H' (5 ways in
    /// 256 instead of 4) and the same 320 000 characters give χ² ≈ 2 100.
    func testChiSquaredCatchesModuloBias() {
        var generator = SeededRandom(seed: 0xB1A5)
        var counts = [Int](repeating: 0, count: 62)
        for _ in 0 ..< 20_000 * 16 / 8 {
            var word = generator.next()
            for _ in 0 ..< 8 {
                counts[Int(UInt8(truncatingIfNeeded: word) % 62)] += 1
                word >>= 8
            }
        }
        XCTAssertGreaterThan(chiSquared(counts), 10 * chiSquaredLimit)
    }
}
