import Foundation
import TestSeeds
import XCTest
@testable import VigilKit

/// A seeded mutational fuzzer for TOMLDocument: the corpus documents of TOMLDocumentTests,
/// broken by random byte and line edits, must never crash the reader, must give every error
/// and every key a line inside the document, and must read the same twice.
final class TOMLFuzzTests: XCTestCase {
    /// Enough cases to reach every construct's error paths many times over, in about a
    /// second of a debug build.
    static let caseCount = 4000

    /// Bytes and fragments that matter to TOML's grammar, so mutations hit delimiters and
    /// escapes far more often than uniform random bytes would.
    static let fragments: [[UInt8]] = [
        "[", "]", "[[", "]]", "{", "}", "=", ".", ",", "#", "\"", "'", "\"\"\"", "'''", "\\", "\\u", "\\U0001F600", "\\x",
        "\n", "\r\n", "\r", "\t", " ", "0x", "0o", "0b", "_", "+", "-", ":", "e", "T", "Z", "inf", "nan", "true",
        "1979-05-27", "07:32:00", "a.b", "\"k\"", "= [", "= {", "\u{0}", "\u{7f}", "é", "😂",
    ].map { Array($0.utf8) }

    func testMutatedCorpusNeverCrashesAndKeepsLinesInsideTheDocument() {
        let seed = TestSeed.value(default: 0x70_4D4C)
        var generator = SeededRandom(seed: seed)
        let corpus = TOMLCorpus.valid.map { Array($0.text.utf8) } + TOMLCorpus.invalid.map { Array($0.text.utf8) }
        let start = ContinuousClock.now
        var errorCount = 0
        var cleanCount = 0
        for index in 0..<Self.caseCount {
            var bytes = corpus[Int.random(in: 0..<corpus.count, using: &generator)]
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                Self.mutate(&bytes, corpus: corpus, using: &generator)
            }
            // Random bytes need not be UTF-8; the reader only ever sees a String, as from the file.
            let text = String(decoding: bytes, as: UTF8.self)
            let lineCount = text.utf8.count(where: { $0 == UInt8(ascii: "\n") }) + 1
            let place = "case \(index), \(TestSeed.describe(seed)), text \(text.debugDescription)"

            let (document, errors) = TOMLDocument.parse(text)
            let (again, errorsAgain) = TOMLDocument.parse(text)
            errorCount += errors.count
            if errors.isEmpty { cleanCount += 1 }

            if let bad = errors.first(where: { !(1...lineCount).contains($0.line) || $0.message.isEmpty }) {
                return XCTFail("error \(bad) outside lines 1...\(lineCount); \(place)")
            }
            if let bad = Self.firstLineOutside(1...lineCount, in: document.root) {
                return XCTFail("\(bad) outside lines 1...\(lineCount); \(place)")
            }
            guard errors == errorsAgain, TOMLValue(document.root) == TOMLValue(again.root) else {
                return XCTFail("two reads differ; \(place)")
            }
        }
        let elapsed = ContinuousClock.now - start
        // Both outcomes must be common, or the mutations are too weak or too strong to test much.
        XCTAssertGreaterThan(cleanCount, Self.caseCount / 20, "mutants that still parse; \(TestSeed.describe(seed))")
        XCTAssertGreaterThan(Self.caseCount - cleanCount, Self.caseCount / 2, "mutants with errors; \(TestSeed.describe(seed))")
        print("TOMLFuzzTests: \(Self.caseCount) cases, \(cleanCount) without errors, \(errorCount) errors, \(elapsed), \(TestSeed.describe(seed))")
    }

    /// The corpus itself, unmutated: valid documents have no error, invalid ones at least one,
    /// and lines stay inside the document — the fuzzer's invariants hold at its starting points.
    func testCorpusHoldsTheFuzzerInvariants() {
        for (name, text) in TOMLCorpus.valid {
            let (document, errors) = TOMLDocument.parse(text)
            XCTAssertEqual(errors, [], name)
            let lineCount = text.utf8.count(where: { $0 == UInt8(ascii: "\n") }) + 1
            XCTAssertNil(Self.firstLineOutside(1...lineCount, in: document.root), name)
        }
        for item in TOMLCorpus.invalid {
            XCTAssertFalse(TOMLDocument.parse(item.text).errors.isEmpty, item.name)
        }
    }

    /// One random edit: a byte replaced, a grammar fragment inserted, a range deleted, or a line
    /// duplicated, deleted, swapped or taken from another corpus document.
    static func mutate(_ bytes: inout [UInt8], corpus: [[UInt8]], using generator: inout SeededRandom) {
        func position(_ extra: Int = 0) -> Int { Int.random(in: 0...max(0, bytes.count - 1 + extra), using: &generator) }
        switch Int.random(in: 0..<8, using: &generator) {
        case 0 where !bytes.isEmpty:
            bytes[position()] = UInt8.random(in: 0...255, using: &generator)
        case 1 where !bytes.isEmpty:
            bytes[position()] = fragments[Int.random(in: 0..<fragments.count, using: &generator)][0]
        case 2:
            bytes.insert(contentsOf: fragments[Int.random(in: 0..<fragments.count, using: &generator)], at: position(1))
        case 3 where !bytes.isEmpty:
            let from = position()
            let to = min(bytes.count, from + Int.random(in: 1...8, using: &generator))
            bytes.removeSubrange(from..<to)
        default:
            var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
            let line = Int.random(in: 0..<lines.count, using: &generator)
            switch Int.random(in: 0..<4, using: &generator) {
            case 0:
                lines.insert(lines[line], at: Int.random(in: 0...lines.count, using: &generator))
            case 1 where lines.count > 1:
                lines.remove(at: line)
            case 2:
                lines.swapAt(line, Int.random(in: 0..<lines.count, using: &generator))
            default:
                let donor = corpus[Int.random(in: 0..<corpus.count, using: &generator)]
                let donorLines = donor.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
                lines.insert(Array(donorLines[Int.random(in: 0..<donorLines.count, using: &generator)]), at: line)
            }
            bytes = Array(lines.joined(separator: [UInt8(ascii: "\n")]))
        }
    }

    /// The first key, header or array element whose line is outside `lines` (the root table
    /// has line 0 and is not checked).
    static func firstLineOutside(_ lines: ClosedRange<Int>, in table: TOMLDocument.Table) -> String? {
        for key in table.keys {
            guard let node = table[key] else { return "\(key) listed but missing" }
            if let bad = firstLineOutside(lines, in: node, path: key) { return bad }
        }
        return nil
    }

    static func firstLineOutside(_ lines: ClosedRange<Int>, in node: TOMLDocument.Node, path: String) -> String? {
        guard lines.contains(node.line) else { return "\(path) at line \(node.line)" }
        switch node {
        case .scalar:
            return nil
        case .array(let elements, _):
            for (index, element) in elements.enumerated() {
                if let bad = firstLineOutside(lines, in: element, path: "\(path)[\(index)]") { return bad }
            }
            return nil
        case .table(let table):
            return firstLineOutside(lines, in: table).map { "\(path).\($0)" }
        case .tables(let list):
            for (index, table) in list.enumerated() {
                guard lines.contains(table.line) else { return "\(path)[\(index)] at line \(table.line)" }
                if let bad = firstLineOutside(lines, in: table) { return "\(path)[\(index)].\(bad)" }
            }
            return nil
        }
    }
}
