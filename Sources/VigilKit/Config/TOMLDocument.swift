import Foundation

/// A TOML reader for Vigil's config file — the subset of TOML 1.0 (https://toml.io/en/v1.0.0)
/// that the documented schema uses, keeping the line of every key and table.
///
/// Why not TOMLKit: it parses all of TOML but gives no line numbers for keys, and an owner who
/// edits the file over ssh wants "line 12: stream.video.fps: must be 1...120". The subset:
/// comments, `[table]` and `[[array.of.tables]]` headers with dotted bare keys, and
/// `key = value` where a value is a basic or literal string, an integer, a float or a boolean.
/// Arrays, inline tables, multi-line strings and dates are reported as unsupported, with the
/// line, rather than misread. Syntax errors are collected, not thrown one at a time.
struct TOMLDocument {
    /// A value and where it was written.
    enum Scalar: Equatable {
        case string(String)
        case integer(Int)
        case float(Double)
        case boolean(Bool)

        var typeName: String {
            switch self {
            case .string: "a string"
            case .integer: "an integer"
            case .float: "a float"
            case .boolean: "a boolean"
            }
        }
    }

    enum Node {
        case scalar(Scalar, line: Int)
        case table(Table)
        case tables([Table])
    }

    /// A table keeps its keys in file order, so unknown keys are reported top to bottom.
    final class Table {
        /// The line of the header (0 for the root table and for implicit parents).
        let line: Int
        var isExplicit: Bool
        private(set) var keys: [String] = []
        private(set) var nodes: [String: Node] = [:]

        init(line: Int, isExplicit: Bool) {
            self.line = line
            self.isExplicit = isExplicit
        }

        subscript(key: String) -> Node? {
            get { nodes[key] }
            set {
                if nodes[key] == nil { keys.append(key) }
                nodes[key] = newValue
            }
        }
    }

    struct SyntaxError: Error, Equatable {
        var line: Int
        var message: String
    }

    let root: Table

    /// Parses `text`; every malformed line is reported, and the lines that could be read
    /// still make up `root`.
    static func parse(_ text: String) -> (document: TOMLDocument, errors: [SyntaxError]) {
        var parser = Parser()
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            do {
                try parser.read(line: line, number: lineNumber)
            } catch let error as SyntaxError {
                parser.errors.append(error)
            } catch {
                parser.errors.append(SyntaxError(line: lineNumber, message: "\(error)"))
            }
        }
        return (TOMLDocument(root: parser.root), parser.errors)
    }

    private struct Parser {
        let root = Table(line: 0, isExplicit: true)
        var current: Table
        var errors: [SyntaxError] = []

        init() { current = root }

        mutating func read(line: Substring, number: Int) throws {
            var cursor = Cursor(text: line, line: number)
            cursor.skipSpaces()
            if cursor.atEndOrComment { return }
            if cursor.peek == "[" {
                try readHeader(&cursor)
            } else {
                try readKeyValue(&cursor)
            }
        }

        private mutating func readHeader(_ cursor: inout Cursor) throws {
            // Until the header is read, keys go to a detached table: after a broken header
            // they are not misreported as keys of the table before it.
            current = Table(line: cursor.line, isExplicit: true)
            cursor.advance()
            let isArray = cursor.peek == "["
            if isArray { cursor.advance() }
            cursor.skipSpaces()
            let path = try cursor.readDottedKey()
            cursor.skipSpaces()
            try cursor.expect("]", "a header ends with ]")
            if isArray { try cursor.expect("]", "an array-of-tables header ends with ]]") }
            cursor.skipSpaces()
            guard cursor.atEndOrComment else { throw cursor.error("unexpected text after the header") }

            // Walk to the parent: an array of tables stands for its last element.
            var table = root
            for key in path.dropLast() {
                switch table[key] {
                case nil:
                    let implicit = Table(line: cursor.line, isExplicit: false)
                    table[key] = .table(implicit)
                    table = implicit
                case .table(let next):
                    table = next
                case .tables(let list):
                    table = list[list.count - 1]
                case .scalar(_, let line):
                    throw cursor.error("\(key) is a value (line \(line)), not a table")
                }
            }
            let name = path[path.count - 1]
            let full = path.joined(separator: ".")
            let fresh = Table(line: cursor.line, isExplicit: true)
            switch (table[name], isArray) {
            case (nil, false):
                table[name] = .table(fresh)
                current = fresh
            case (nil, true):
                table[name] = .tables([fresh])
                current = fresh
            case (.tables(let list), true):
                table[name] = .tables(list + [fresh])
                current = fresh
            case (.table(let existing), false) where !existing.isExplicit:
                existing.isExplicit = true
                current = existing
            case (.table(let existing), _):
                throw cursor.error("[\(full)] is defined twice (first at line \(existing.line))")
            case (.tables(let list), false):
                throw cursor.error("\(full) is an array of tables (line \(list[0].line)); write [[\(full)]]")
            case (.scalar(_, let line), _):
                throw cursor.error("\(full) is a value (line \(line)), not a table")
            }
        }

        private mutating func readKeyValue(_ cursor: inout Cursor) throws {
            let path = try cursor.readDottedKey()
            guard path.count == 1 else {
                throw cursor.error("dotted keys are not used in Vigil's config; write [\(path.dropLast().joined(separator: "."))] above \(path.last!)")
            }
            cursor.skipSpaces()
            try cursor.expect("=", "expected = after the key \(path[0])")
            cursor.skipSpaces()
            let value = try cursor.readValue()
            cursor.skipSpaces()
            guard cursor.atEndOrComment else { throw cursor.error("unexpected text after the value of \(path[0])") }
            if let existing = current[path[0]] {
                let line: Int
                switch existing {
                case .scalar(_, let l): line = l
                case .table(let t): line = t.line
                case .tables(let list): line = list[0].line
                }
                throw cursor.error("\(path[0]) is defined twice (first at line \(line))")
            }
            current[path[0]] = .scalar(value, line: cursor.line)
        }
    }

    /// One line, read left to right.
    private struct Cursor {
        let characters: [Character]
        var index = 0
        let line: Int

        init(text: Substring, line: Int) {
            self.characters = Array(text)
            self.line = line
        }

        var peek: Character? { index < characters.count ? characters[index] : nil }
        var atEndOrComment: Bool { peek == nil || peek == "#" }
        mutating func advance() { index += 1 }

        mutating func skipSpaces() {
            while let c = peek, c == " " || c == "\t" { index += 1 }
        }

        func error(_ message: String) -> SyntaxError { SyntaxError(line: line, message: message) }

        mutating func expect(_ c: Character, _ message: String) throws {
            guard peek == c else { throw error(message) }
            index += 1
        }

        static func isBare(_ c: Character) -> Bool {
            c.isASCII && (c.isLetter || c.isNumber || c == "_" || c == "-")
        }

        mutating func readDottedKey() throws -> [String] {
            var parts: [String] = []
            while true {
                skipSpaces()
                if peek == "\"" || peek == "'" { throw error("quoted keys are not used in Vigil's config") }
                let start = index
                while let c = peek, Self.isBare(c) { index += 1 }
                guard index > start else {
                    throw error(parts.isEmpty ? "expected a key (letters, digits, _ and -)" : "expected a key after the dot")
                }
                parts.append(String(characters[start..<index]))
                skipSpaces()
                guard peek == "." else { return parts }
                index += 1
            }
        }

        mutating func readValue() throws -> Scalar {
            guard let c = peek else { throw error("expected a value after =") }
            switch c {
            case "\"":
                if characters[index...].starts(with: ["\"", "\"", "\""]) { throw error("multi-line strings are not used in Vigil's config") }
                return .string(try readBasicString())
            case "'":
                if characters[index...].starts(with: ["'", "'", "'"]) { throw error("multi-line strings are not used in Vigil's config") }
                index += 1
                let start = index
                while let d = peek, d != "'" { index += 1 }
                guard peek == "'" else { throw error("unterminated string") }
                defer { index += 1 }
                return .string(String(characters[start..<index]))
            case "[":
                throw error("arrays are not used in Vigil's config")
            case "{":
                throw error("inline tables are not used in Vigil's config; use a [table]")
            default:
                let start = index
                while let d = peek, d != " ", d != "\t", d != "#" { index += 1 }
                let word = String(characters[start..<index])
                if word == "true" { return .boolean(true) }
                if word == "false" { return .boolean(false) }
                return try Self.number(word, line: line)
            }
        }

        private mutating func readBasicString() throws -> String {
            index += 1
            var result = ""
            while let c = peek {
                index += 1
                switch c {
                case "\"":
                    return result
                case "\\":
                    guard let e = peek else { throw error("unterminated string") }
                    index += 1
                    switch e {
                    case "\"": result.append("\"")
                    case "\\": result.append("\\")
                    case "n": result.append("\n")
                    case "t": result.append("\t")
                    case "r": result.append("\r")
                    case "b": result.append("\u{8}")
                    case "f": result.append("\u{c}")
                    case "u", "U":
                        let count = e == "u" ? 4 : 8
                        guard index + count <= characters.count,
                              let code = UInt32(String(characters[index..<index + count]), radix: 16),
                              let scalar = Unicode.Scalar(code)
                        else { throw error("bad \\\(e) escape in a string") }
                        index += count
                        result.unicodeScalars.append(scalar)
                    default:
                        throw error("unknown escape \\\(e) in a string")
                    }
                default:
                    result.append(c)
                }
            }
            throw error("unterminated string")
        }

        static func number(_ word: String, line: Int) throws -> Scalar {
            let bad = SyntaxError(line: line, message: "\(word.isEmpty ? "nothing" : word) is not a value: write a string in quotes, a number, true or false")
            guard !word.isEmpty, !word.hasPrefix("_"), !word.hasSuffix("_"), !word.contains("__") else { throw bad }
            let digits = word.replacingOccurrences(of: "_", with: "")
            if let value = Int(digits) {
                // TOML: no leading zeros (007 is an error, not octal).
                let unsigned = digits.hasPrefix("+") || digits.hasPrefix("-") ? String(digits.dropFirst()) : digits
                guard unsigned == "0" || !unsigned.hasPrefix("0") else { throw bad }
                return .integer(value)
            }
            if digits.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }), digits.last?.isNumber == true,
               digits.first.map({ $0.isNumber || $0 == "+" || $0 == "-" }) == true, let value = Double(digits) {
                return .float(value)
            }
            throw bad
        }
    }
}
