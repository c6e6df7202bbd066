/// A TOML 1.0 reader for Vigil's config file (https://toml.io/en/v1.0.0) that keeps the line
/// of every key, every table header and every array element.
///
/// Why Vigil's own reader: TOMLKit parses TOML but gives no line numbers for keys, and an
/// owner who edits the file over ssh wants "vigil.toml:12: stream.video.fps: must be 1...120,
/// got 500". This reader takes all of TOML 1.0: comments anywhere; basic, literal and
/// multi-line strings with every escape; decimal, hex, octal and binary integers; floats with
/// exponents, `inf` and `nan`; booleans; offset and local date-times, local dates and local
/// times (kept as written with their components, see `DateTime`); arrays, which may span lines
/// and mix types; inline tables; dotted and quoted keys; `[table]` and `[[array.of.tables]]`
/// headers; and the spec's rules against defining a key or a table twice.
///
/// Refused rather than misread, where the spec leaves room: integers outside 64 bits (the spec
/// asks for an error), floats too large to be finite (`1e400` is not silently infinity), and
/// arrays or inline tables nested deeper than `maximumNesting`. A CRLF inside a multi-line
/// string reads as LF, as the spec allows.
///
/// The text is read byte by byte (UTF-8) as a whole, since a multi-line string or array spans
/// lines. Syntax errors are collected, not thrown one at a time: after one, reading starts
/// again at the next line (after the string, for a bad escape inside one), so the owner sees
/// every broken line at once, and whatever could be read still makes up `root`.
struct TOMLDocument {
    /// A value that is not a container.
    enum Scalar: Equatable {
        case string(String)
        /// TOML integers are 64-bit; `Int` is 64-bit on every platform Vigil runs on.
        case integer(Int)
        case float(Double)
        case boolean(Bool)
        case dateTime(DateTime)

        var typeName: String {
            switch self {
            case .string: "a string"
            case .integer: "an integer"
            case .float: "a float"
            case .boolean: "a boolean"
            case .dateTime(let value):
                switch value.kind {
                case .offsetDateTime: "a date-time"
                case .localDateTime: "a local date-time"
                case .localDate: "a date"
                case .localTime: "a time"
                }
            }
        }
    }

    /// One of TOML's four date and time values, kept as written (`text`) and as numbers. Read
    /// by hand from RFC 3339's grammar rather than by a date formatter, whose leniency (and
    /// time zone) would differ between platforms; nothing is converted to an instant.
    struct DateTime: Equatable, CustomStringConvertible {
        enum Kind: Equatable { case offsetDateTime, localDateTime, localDate, localTime }

        /// RFC 3339 full-date.
        struct FullDate: Equatable {
            var year: Int
            var month: Int
            var day: Int
        }

        /// RFC 3339 partial-time. Digits beyond nanoseconds are truncated, as TOML 1.0 asks.
        struct PartialTime: Equatable {
            var hour: Int
            var minute: Int
            var second: Int
            var nanosecond: Int
        }

        /// As written in the file, including a space or `t` between the date and the time.
        var text: String
        var date: FullDate?
        var time: PartialTime?
        /// Minutes east of UTC (`Z` is 0); nil for the local kinds.
        var offsetMinutes: Int?

        var kind: Kind {
            switch (date != nil, time != nil, offsetMinutes != nil) {
            case (true, true, true): .offsetDateTime
            case (true, true, false): .localDateTime
            case (true, false, _): .localDate
            default: .localTime
            }
        }

        var description: String { text }
    }

    /// A value or a table, and where it was written.
    enum Node {
        case scalar(Scalar, line: Int)
        /// A static array `[…]`: its elements keep their own lines; it can never be extended.
        case array([Node], line: Int)
        /// A `[header]` table, an implicit parent, a table made by dotted keys or an inline table.
        case table(Table)
        /// `[[array.of.tables]]`, never empty.
        case tables([Table])

        /// Where the value starts, or the table's header (the first element's, for `[[…]]`).
        var line: Int {
            switch self {
            case .scalar(_, let line), .array(_, let line): line
            case .table(let table): table.line
            case .tables(let list): list[0].line
            }
        }
    }

    /// A table keeps its keys in file order, so unknown keys are reported top to bottom.
    final class Table {
        /// How a table came to be, which decides what may still be added to it (TOML 1.0,
        /// "Table", "Inline Table", "Array of Tables").
        enum Origin: Equatable {
            case root
            /// Named on the way to a header (`[a.b.c]` makes `a` and `a.b`): a header of its
            /// own may still define it, once.
            case implicit
            /// Defined by `[header]`, or an element of `[[header]]`: dotted keys from
            /// elsewhere may not add to it, and no second header may define it.
            case header
            /// Made by dotted keys (`a.b = 1` makes `a`) while reading one section: more dotted
            /// keys of that section may add to it, a header may not define it, a header may
            /// define sub-tables inside it.
            case dottedKeys(section: Int)
            /// `{ … }`: complete as written; nothing may be added afterwards.
            case inline
        }

        /// The line of the header, of the dotted key or `{` that made it, or of the header that
        /// first named it (an implicit parent); 0 for the root table.
        fileprivate(set) var line: Int
        fileprivate(set) var origin: Origin
        private(set) var keys: [String] = []
        private(set) var nodes: [String: Node] = [:]

        init(line: Int, origin: Origin) {
            self.line = line
            self.origin = origin
        }

        subscript(key: String) -> Node? { nodes[key] }

        fileprivate func set(_ key: String, _ node: Node) {
            if nodes[key] == nil { keys.append(key) }
            nodes[key] = node
        }
    }

    struct SyntaxError: Error, Equatable {
        var line: Int
        var message: String
    }

    let root: Table

    /// Arrays and inline tables nested deeper than this are refused: the reader recurses once
    /// per level, and no config file needs more than two or three.
    static let maximumNesting = 64

    /// Parses `text`; every malformed line is reported, and what could be read still makes up
    /// `root`.
    static func parse(_ text: String) -> (document: TOMLDocument, errors: [SyntaxError]) {
        var parser = Parser(bytes: Array(text.utf8))
        parser.run()
        return (TOMLDocument(root: parser.root), parser.errors)
    }
}

// MARK: - The parser

/// One thing wrong, found mid-expression: where (for the line) and where reading may start
/// looking for the next line (after a string, rather than inside it).
private struct Failure: Error {
    var offset: Int
    var message: String
    var resumeOffset: Int

    init(_ message: String, at offset: Int, resumeAfter resumeOffset: Int? = nil) {
        self.offset = offset
        self.message = message
        self.resumeOffset = resumeOffset ?? offset
    }
}

/// One part of a key as written, with where it starts.
private struct KeyPart {
    var name: String
    var offset: Int
}

private enum Byte {
    static let tab: UInt8 = 0x09
    static let newline: UInt8 = 0x0A
    static let carriageReturn: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let quote: UInt8 = 0x22  // "
    static let hash: UInt8 = 0x23  // #
    static let apostrophe: UInt8 = 0x27  // '
    static let plus: UInt8 = 0x2B
    static let comma: UInt8 = 0x2C
    static let minus: UInt8 = 0x2D
    static let dot: UInt8 = 0x2E
    static let colon: UInt8 = 0x3A
    static let equals: UInt8 = 0x3D
    static let openBracket: UInt8 = 0x5B  // [
    static let backslash: UInt8 = 0x5C
    static let closeBracket: UInt8 = 0x5D  // ]
    static let underscore: UInt8 = 0x5F
    static let openBrace: UInt8 = 0x7B  // {
    static let closeBrace: UInt8 = 0x7D  // }
    static let delete: UInt8 = 0x7F

    static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    static func isLetter(_ b: UInt8) -> Bool { (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) }
    static func isHexDigit(_ b: UInt8) -> Bool { isDigit(b) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66) }
    /// unquoted-key = 1*( ALPHA / DIGIT / %x2D / %x5F )
    static func isBare(_ b: UInt8) -> Bool { isLetter(b) || isDigit(b) || b == minus || b == underscore }
    /// Control characters other than tab: not allowed raw in strings or comments.
    static func isControl(_ b: UInt8) -> Bool { (b < 0x20 && b != tab) || b == delete }
    /// What numbers, booleans and dates are made of; a value ends at the first other byte.
    static func isWord(_ b: UInt8) -> Bool { isLetter(b) || isDigit(b) || b == underscore || b == plus || b == minus || b == dot || b == colon }
}

private struct Parser {
    let bytes: [UInt8]
    /// The offset at which each line starts, for turning offsets into 1-based lines.
    let lineStarts: [Int]
    var position = 0
    let root = TOMLDocument.Table(line: 0, origin: .root)
    /// Where key/value lines go: the table of the last header.
    var current: TOMLDocument.Table
    /// Counts headers (and inline tables), so a table made by dotted keys knows its section.
    var section = 0
    var sectionsUsed = 0
    var errors: [TOMLDocument.SyntaxError] = []

    init(bytes: [UInt8]) {
        self.bytes = bytes
        var starts = [0]
        for (index, byte) in bytes.enumerated() where byte == Byte.newline { starts.append(index + 1) }
        lineStarts = starts
        current = root
    }

    // MARK: Positions

    var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

    func byte(at offset: Int) -> UInt8? { offset < bytes.count ? bytes[offset] : nil }

    func line(at offset: Int) -> Int {
        var low = 0
        var high = lineStarts.count
        while low < high {
            let middle = (low + high) / 2
            if lineStarts[middle] <= offset { low = middle + 1 } else { high = middle }
        }
        return max(low, 1)
    }

    /// Three of `quote` here: a multi-line string's delimiter.
    func atTriple(_ quote: UInt8) -> Bool {
        byte(at: position) == quote && byte(at: position + 1) == quote && byte(at: position + 2) == quote
    }

    func text(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }

    mutating func skipSpaces() {
        while let b = peek, b == Byte.space || b == Byte.tab { position += 1 }
    }

    /// True at a newline (LF or CRLF), the end of the text, or a comment.
    var atEndOfLine: Bool {
        guard let b = peek else { return true }
        return b == Byte.newline || b == Byte.hash || (b == Byte.carriageReturn && byte(at: position + 1) == Byte.newline)
    }

    /// comment = "#" *non-eol: any character but control characters other than tab.
    mutating func skipComment() throws(Failure) {
        guard peek == Byte.hash else { return }
        while let b = peek, b != Byte.newline {
            if b == Byte.carriageReturn, byte(at: position + 1) == Byte.newline { return }
            if Byte.isControl(b) { throw Failure("a comment cannot hold the control character \(Self.codePoint(b))", at: position) }
            position += 1
        }
    }

    /// Consumes one newline (LF or CRLF); false if there is none here.
    mutating func skipNewline() throws(Failure) -> Bool {
        switch peek {
        case Byte.newline:
            position += 1
            return true
        case Byte.carriageReturn:
            guard byte(at: position + 1) == Byte.newline else {
                throw Failure("a carriage return must be followed by a line feed", at: position)
            }
            position += 2
            return true
        default:
            return false
        }
    }

    /// Whitespace, comments and newlines, as between the elements of an array.
    mutating func skipBlank() throws(Failure) {
        while true {
            skipSpaces()
            try skipComment()
            guard try skipNewline() else { return }
        }
    }

    static func codePoint(_ b: UInt8) -> String {
        let hex = String(b, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: 4 - hex.count) + hex
    }

    // MARK: Expressions

    /// toml = expression *( newline expression ); an expression is blank, a key/value or a
    /// header, each with an optional comment.
    mutating func run() {
        while position < bytes.count {
            do {
                try readExpression()
            } catch {
                errors.append(.init(line: line(at: error.offset), message: error.message))
                resynchronise(from: error.resumeOffset)
            }
        }
    }

    /// After an error, reading starts again at the next line.
    mutating func resynchronise(from offset: Int) {
        position = max(position, offset)
        while let b = peek, b != Byte.newline { position += 1 }
        if position < bytes.count { position += 1 }
    }

    mutating func readExpression() throws(Failure) {
        skipSpaces()
        switch peek {
        case nil:
            return
        case Byte.hash:
            try skipComment()
            try endOfExpression(after: "the comment")
        case Byte.openBracket:
            try readHeader()
        default:
            if try skipNewline() { return }
            try readKeyValue()
        }
    }

    /// ws [ comment ] ( newline / end ), after a header or a key/value.
    mutating func endOfExpression(after what: String) throws(Failure) {
        skipSpaces()
        try skipComment()
        if position == bytes.count { return }
        if try skipNewline() { return }
        throw Failure("unexpected text after \(what)", at: position)
    }

    // MARK: Headers

    /// std-table = "[" ws key ws "]"; array-table = "[[" ws key ws "]]"
    mutating func readHeader() throws(Failure) {
        // Until the header is read, keys go to a detached table: after a broken header they
        // are not misreported as keys of the table before it.
        let start = position
        current = TOMLDocument.Table(line: line(at: start), origin: .header)
        position += 1
        let isArray = peek == Byte.openBracket
        if isArray { position += 1 }
        let path = try readKey()
        skipSpaces()
        guard peek == Byte.closeBracket else { throw Failure("a header ends with ]", at: position) }
        position += 1
        if isArray {
            guard peek == Byte.closeBracket else { throw Failure("an array-of-tables header ends with ]]", at: position) }
            position += 1
        }
        try endOfExpression(after: "the header")
        sectionsUsed += 1
        section = sectionsUsed
        do {
            current = try defineHeader(path, isArray: isArray, line: line(at: start))
        } catch {
            errors.append(.init(line: line(at: start), message: error.message))
        }
    }

    /// Walks from the root to the header's table, making implicit parents, and defines it.
    mutating func defineHeader(_ path: [KeyPart], isArray: Bool, line: Int) throws(Failure) -> TOMLDocument.Table {
        var table = root
        for (index, part) in path.dropLast().enumerated() {
            let shown = Self.render(path[...index])
            switch table[part.name] {
            case nil:
                let implicit = TOMLDocument.Table(line: line, origin: .implicit)
                table.set(part.name, .table(implicit))
                table = implicit
            case .table(let next):
                guard next.origin != .inline else {
                    throw Failure("\(shown) is an inline table (line \(next.line)); nothing can be added to it afterwards", at: part.offset)
                }
                table = next
            case .tables(let list):
                // An array of tables stands for its last element.
                table = list[list.count - 1]
            case .array(_, let line):
                throw Failure("\(shown) is an array (line \(line)), not a table", at: part.offset)
            case .scalar(_, let line):
                throw Failure("\(shown) is a value (line \(line)), not a table", at: part.offset)
            }
        }
        let last = path[path.count - 1]
        let full = Self.render(path[...])
        let fresh = TOMLDocument.Table(line: line, origin: .header)
        switch (table[last.name], isArray) {
        case (nil, false):
            table.set(last.name, .table(fresh))
        case (nil, true):
            table.set(last.name, .tables([fresh]))
        case (.tables(let list), true):
            table.set(last.name, .tables(list + [fresh]))
        case (.table(let existing), false) where existing.origin == .implicit:
            existing.origin = .header
            existing.line = line
            return existing
        case (.table(let existing), false):
            switch existing.origin {
            case .dottedKeys:
                throw Failure("[\(full)] is defined twice (first by dotted keys at line \(existing.line))", at: last.offset)
            case .inline:
                throw Failure("[\(full)] is defined twice (first as an inline table at line \(existing.line))", at: last.offset)
            default:
                throw Failure("[\(full)] is defined twice (first at line \(existing.line))", at: last.offset)
            }
        case (.table(let existing), true):
            throw Failure("\(full) is a table (line \(existing.line)), not an array of tables; write [\(full)]", at: last.offset)
        case (.tables(let list), false):
            throw Failure("\(full) is an array of tables (line \(list[0].line)); write [[\(full)]]", at: last.offset)
        case (.array(_, let line), true):
            throw Failure("\(full) is a static array (line \(line)); [[\(full)]] cannot add to it", at: last.offset)
        case (.array(_, let line), false):
            throw Failure("\(full) is an array (line \(line)), not a table", at: last.offset)
        case (.scalar(_, let line), _):
            throw Failure("\(full) is a value (line \(line)), not a table", at: last.offset)
        }
        return fresh
    }

    // MARK: Keys and values

    /// keyval = key keyval-sep val
    mutating func readKeyValue() throws(Failure) {
        let start = position
        let (path, value) = try readKeyAndValue(depth: 0)
        try endOfExpression(after: "the value of \(Self.render(path[...]))")
        // The line is read to its end already: a key defined twice needs no resynchronising.
        do {
            try insert(path, value, into: current, section: section, line: line(at: start))
        } catch {
            errors.append(.init(line: line(at: error.offset), message: error.message))
        }
    }

    mutating func readKeyAndValue(depth: Int) throws(Failure) -> ([KeyPart], TOMLDocument.Node) {
        let path = try readKey()
        skipSpaces()
        guard peek == Byte.equals else {
            throw Failure("expected = after the key \(Self.render(path[...]))", at: position)
        }
        position += 1
        skipSpaces()
        if atEndOfLine { throw Failure("expected a value after =", at: position) }
        return (path, try readValue(depth: depth))
    }

    /// key = simple-key *( ws "." ws simple-key ); simple-key = quoted-key / unquoted-key
    mutating func readKey() throws(Failure) -> [KeyPart] {
        var parts: [KeyPart] = []
        while true {
            skipSpaces()
            let start = position
            switch peek {
            case Byte.quote:
                parts.append(KeyPart(name: try readBasicString(), offset: start))
            case Byte.apostrophe:
                parts.append(KeyPart(name: try readLiteralString(), offset: start))
            default:
                while let b = peek, Byte.isBare(b) { position += 1 }
                guard position > start else {
                    throw Failure(parts.isEmpty ? "expected a key (letters, digits, _ and -, or a quoted key)" : "expected a key after the dot", at: position)
                }
                parts.append(KeyPart(name: text(start..<position), offset: start))
            }
            skipSpaces()
            guard peek == Byte.dot else { return parts }
            position += 1
        }
    }

    /// Puts `value` at the dotted `path` below `base`, making the tables the dots name.
    mutating func insert(_ path: [KeyPart], _ value: TOMLDocument.Node, into base: TOMLDocument.Table, section: Int, line: Int) throws(Failure) {
        var table = base
        // Implicit parents the key passes through become its section's, once the key is known
        // to be valid: a failed key leaves the tables as they were.
        var claimed: [TOMLDocument.Table] = []
        for (index, part) in path.dropLast().enumerated() {
            let shown = Self.render(path[...index])
            switch table[part.name] {
            case nil:
                // Everything below a new table is new: nothing after this can fail.
                let made = TOMLDocument.Table(line: line, origin: .dottedKeys(section: section))
                table.set(part.name, .table(made))
                table = made
            case .table(let next):
                switch next.origin {
                case .dottedKeys(let made) where made == section:
                    table = next
                case .implicit:
                    claimed.append(next)
                    table = next
                case .inline:
                    throw Failure("\(shown) is an inline table (line \(next.line)); nothing can be added to it afterwards", at: part.offset)
                case .header:
                    throw Failure("\(shown) is a table with its own header (line \(next.line)); write its keys under that header", at: part.offset)
                case .dottedKeys, .root:
                    throw Failure("\(shown) was made by dotted keys at line \(next.line); it cannot be added to from here", at: part.offset)
                }
            case .tables(let list):
                throw Failure("\(shown) is an array of tables (line \(list[0].line)); dotted keys cannot add to it", at: part.offset)
            case .array(_, let line):
                throw Failure("\(shown) is an array (line \(line)), not a table", at: part.offset)
            case .scalar(_, let line):
                throw Failure("\(shown) is a value (line \(line)), not a table", at: part.offset)
            }
        }
        let last = path[path.count - 1]
        if let existing = table[last.name] {
            throw Failure("\(Self.render(path[...])) is defined twice (first at line \(existing.line))", at: last.offset)
        }
        for implicit in claimed {
            implicit.origin = .dottedKeys(section: section)
            implicit.line = line
        }
        table.set(last.name, value)
    }

    /// A key as written: bare parts as they are, others in quotes.
    static func render(_ path: ArraySlice<KeyPart>) -> String {
        path.map { part in
            let isBare = !part.name.isEmpty && part.name.utf8.allSatisfy(Byte.isBare)
            if isBare { return part.name }
            var quoted = "\""
            for scalar in part.name.unicodeScalars {
                switch scalar {
                case "\"": quoted += "\\\""
                case "\\": quoted += "\\\\"
                case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    quoted += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: quoted.unicodeScalars.append(scalar)
                }
            }
            return quoted + "\""
        }.joined(separator: ".")
    }

    /// val = string / boolean / array / inline-table / date-time / float / integer
    mutating func readValue(depth: Int) throws(Failure) -> TOMLDocument.Node {
        let start = position
        let line = line(at: start)
        switch peek {
        case Byte.quote:
            let value = atTriple(Byte.quote) ? try readMultiLineBasicString() : try readBasicString()
            return .scalar(.string(value), line: line)
        case Byte.apostrophe:
            let value = atTriple(Byte.apostrophe) ? try readMultiLineLiteralString() : try readLiteralString()
            return .scalar(.string(value), line: line)
        case Byte.openBracket:
            guard depth < TOMLDocument.maximumNesting else { throw Failure("arrays and inline tables nest more than \(TOMLDocument.maximumNesting) deep", at: start) }
            return try readArray(depth: depth + 1)
        case Byte.openBrace:
            guard depth < TOMLDocument.maximumNesting else { throw Failure("arrays and inline tables nest more than \(TOMLDocument.maximumNesting) deep", at: start) }
            return .table(try readInlineTable(depth: depth + 1))
        default:
            return .scalar(try readWord(), line: line)
        }
    }

    /// array = "[" *( ws-comment-newline val ws-comment-newline "," ) [ … val … ] ws-comment-newline "]"
    mutating func readArray(depth: Int) throws(Failure) -> TOMLDocument.Node {
        let open = position
        let line = line(at: open)
        position += 1
        var elements: [TOMLDocument.Node] = []
        while true {
            try skipBlank()
            guard let b = peek else { throw Failure("unterminated array: no ] before the end of the file", at: open) }
            if b == Byte.closeBracket {
                position += 1
                return .array(elements, line: line)
            }
            if b == Byte.comma {
                throw Failure(elements.isEmpty ? "expected a value or ] in the array (line \(line))" : "expected a value between the commas of the array (line \(line))", at: position)
            }
            elements.append(try readValue(depth: depth))
            try skipBlank()
            switch peek {
            case Byte.comma:
                position += 1
            case Byte.closeBracket:
                position += 1
                return .array(elements, line: line)
            case nil:
                throw Failure("unterminated array: no ] before the end of the file", at: open)
            default:
                throw Failure("expected , or ] after an element of the array (line \(line))", at: position)
            }
        }
    }

    /// inline-table = "{" ws [ keyval *( ws "," ws keyval ) ] ws "}" — on one line (newlines
    /// only inside values), no trailing comma, complete as written.
    mutating func readInlineTable(depth: Int) throws(Failure) -> TOMLDocument.Table {
        let open = position
        let table = TOMLDocument.Table(line: line(at: open), origin: .inline)
        sectionsUsed += 1
        let inlineSection = sectionsUsed
        position += 1
        skipSpaces()
        if peek == Byte.closeBrace {
            position += 1
            return table
        }
        while true {
            skipSpaces()
            let start = position
            let (path, value) = try readKeyAndValue(depth: depth)
            try insert(path, value, into: table, section: inlineSection, line: line(at: start))
            skipSpaces()
            switch peek {
            case Byte.comma:
                position += 1
                skipSpaces()
                if peek == Byte.closeBrace { throw Failure("an inline table has no comma after its last key (TOML 1.0)", at: position) }
            case Byte.closeBrace:
                position += 1
                return table
            case nil, Byte.newline, Byte.carriageReturn, Byte.hash:
                throw Failure("unterminated inline table: it must close with } on the line it opens (line \(table.line))", at: position)
            default:
                throw Failure("expected , or } after a key of the inline table (line \(table.line))", at: position)
            }
        }
    }

    // MARK: Strings

    /// basic-string = " *basic-char " — escapes, no newline.
    mutating func readBasicString() throws(Failure) -> String {
        position += 1
        var result: [UInt8] = []
        var firstError: Failure?
        while true {
            guard let b = peek, b != Byte.newline, !(b == Byte.carriageReturn && byte(at: position + 1) == Byte.newline) else {
                throw firstError ?? Failure("unterminated string", at: position)
            }
            if b == Byte.quote {
                position += 1
                break
            }
            if b == Byte.backslash {
                readEscape(into: &result, firstError: &firstError)
                continue
            }
            if Byte.isControl(b) {
                firstError = firstError ?? Failure("a string cannot hold the control character \(Self.codePoint(b)); write it as an escape", at: position)
            } else {
                result.append(b)
            }
            position += 1
        }
        if var error = firstError {
            error.resumeOffset = position
            throw error
        }
        return String(decoding: result, as: UTF8.self)
    }

    /// ml-basic-string = """ [ newline ] ml-basic-body """ — escapes, newlines, and a
    /// backslash at the end of a line that swallows the line break and the indentation after it.
    mutating func readMultiLineBasicString() throws(Failure) -> String {
        let open = position
        position += 3
        _ = try? skipNewline()  // a newline right after the delimiter is trimmed
        var result: [UInt8] = []
        var firstError: Failure?
        while true {
            guard let b = peek else {
                throw firstError ?? Failure("unterminated multi-line string: no closing \"\"\" before the end of the file", at: open, resumeAfter: bytes.count)
            }
            switch b {
            case Byte.quote:
                if closeMultiLine(Byte.quote, into: &result) {
                    if var error = firstError {
                        error.resumeOffset = position
                        throw error
                    }
                    return String(decoding: result, as: UTF8.self)
                }
            case Byte.backslash:
                if isLineEndingBackslash() {
                    position += 1
                    while let c = peek, c == Byte.space || c == Byte.tab || c == Byte.newline || (c == Byte.carriageReturn && byte(at: position + 1) == Byte.newline) {
                        position += 1
                    }
                } else {
                    readEscape(into: &result, firstError: &firstError)
                }
            default:
                appendMultiLineByte(b, into: &result, firstError: &firstError)
            }
        }
    }

    /// literal-string = ' *literal-char ' — as written, no newline.
    mutating func readLiteralString() throws(Failure) -> String {
        position += 1
        let start = position
        var firstError: Failure?
        while true {
            guard let b = peek, b != Byte.newline, !(b == Byte.carriageReturn && byte(at: position + 1) == Byte.newline) else {
                throw firstError ?? Failure("unterminated string", at: position)
            }
            if b == Byte.apostrophe { break }
            if Byte.isControl(b) {
                firstError = firstError ?? Failure("a literal string cannot hold the control character \(Self.codePoint(b))", at: position)
            }
            position += 1
        }
        let value = text(start..<position)
        position += 1
        if var error = firstError {
            error.resumeOffset = position
            throw error
        }
        return value
    }

    /// ml-literal-string = ''' [ newline ] ml-literal-body ''' — as written, newlines kept.
    mutating func readMultiLineLiteralString() throws(Failure) -> String {
        let open = position
        position += 3
        _ = try? skipNewline()
        var result: [UInt8] = []
        var firstError: Failure?
        while true {
            guard let b = peek else {
                throw firstError ?? Failure("unterminated multi-line string: no closing ''' before the end of the file", at: open, resumeAfter: bytes.count)
            }
            if b == Byte.apostrophe {
                if closeMultiLine(Byte.apostrophe, into: &result) {
                    if var error = firstError {
                        error.resumeOffset = position
                        throw error
                    }
                    return String(decoding: result, as: UTF8.self)
                }
            } else {
                appendMultiLineByte(b, into: &result, firstError: &firstError)
            }
        }
    }

    /// At a run of quotes inside a multi-line string: fewer than three are content; three or
    /// more close it, and up to two before the last three are content (`"""a""""` is `a"`).
    mutating func closeMultiLine(_ quote: UInt8, into result: inout [UInt8]) -> Bool {
        var count = 0
        while byte(at: position + count) == quote { count += 1 }
        if count < 3 {
            result.append(contentsOf: repeatElement(quote, count: count))
            position += count
            return false
        }
        let content = min(count - 3, 2)
        result.append(contentsOf: repeatElement(quote, count: content))
        position += content + 3
        return true
    }

    /// A backslash followed by nothing but whitespace up to the end of the line.
    func isLineEndingBackslash() -> Bool {
        var offset = position + 1
        while let c = byte(at: offset), c == Byte.space || c == Byte.tab { offset += 1 }
        guard let c = byte(at: offset) else { return false }
        return c == Byte.newline || (c == Byte.carriageReturn && byte(at: offset + 1) == Byte.newline)
    }

    /// Inside a multi-line string: newlines are content (CRLF read as LF), other control
    /// characters are not allowed.
    mutating func appendMultiLineByte(_ b: UInt8, into result: inout [UInt8], firstError: inout Failure?) {
        if b == Byte.carriageReturn, byte(at: position + 1) == Byte.newline {
            result.append(Byte.newline)
            position += 2
            return
        }
        if b != Byte.newline, Byte.isControl(b) {
            firstError = firstError ?? Failure("a string cannot hold the control character \(Self.codePoint(b))", at: position)
        } else {
            result.append(b)
        }
        position += 1
    }

    /// escaped = \ ( " \ b f n r t uXXXX UXXXXXXXX ); anything else is an error. The string
    /// is still read to its end, so reading resumes after it rather than inside it.
    mutating func readEscape(into result: inout [UInt8], firstError: inout Failure?) {
        let start = position
        position += 1
        guard let e = peek, e != Byte.newline, e != Byte.carriageReturn else {
            firstError = firstError ?? Failure("a backslash at the end of a line is only allowed in a multi-line \"\"\" string", at: start)
            return
        }
        position += 1
        switch e {
        case Byte.quote: result.append(Byte.quote)
        case Byte.backslash: result.append(Byte.backslash)
        case UInt8(ascii: "b"): result.append(0x08)
        case UInt8(ascii: "f"): result.append(0x0C)
        case UInt8(ascii: "n"): result.append(Byte.newline)
        case UInt8(ascii: "r"): result.append(Byte.carriageReturn)
        case UInt8(ascii: "t"): result.append(Byte.tab)
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            let count = e == UInt8(ascii: "u") ? 4 : 8
            let letter = e == UInt8(ascii: "u") ? "u" : "U"
            var code: UInt32 = 0
            var digits = 0
            while digits < count, let d = peek, Byte.isHexDigit(d) {
                code = code << 4 | UInt32(Self.hexValue(d))
                digits += 1
                position += 1
            }
            guard digits == count else {
                firstError = firstError ?? Failure("\\\(letter) takes exactly \(count) hex digits", at: start)
                return
            }
            guard let scalar = Unicode.Scalar(code) else {
                let written = text(start..<position)
                firstError = firstError ?? Failure("\(written) is not a Unicode scalar value (a surrogate, or above U+10FFFF)", at: start)
                return
            }
            result.append(contentsOf: String(Character(scalar)).utf8)
        default:
            // Show the escape as written, whole (a non-ASCII character is several bytes).
            var end = position
            while let c = byte(at: end), c & 0xC0 == 0x80 { end += 1 }
            position = end
            firstError = firstError ?? Failure("unknown escape \(text(start..<end)) in a string", at: start)
        }
    }

    static func hexValue(_ d: UInt8) -> UInt8 {
        switch d {
        case 0x30...0x39: d - 0x30
        case 0x41...0x46: d - 0x41 + 10
        default: d - 0x61 + 10
        }
    }

    // MARK: Numbers, booleans, dates

    /// A boolean, number or date: a run of letters, digits and `_ + - . :` (and one space
    /// between a date and a time), read whole and then classified, so `1979-05-27`, `0x1F`
    /// and `truex` are each one word.
    mutating func readWord() throws(Failure) -> TOMLDocument.Scalar {
        let start = position
        while let b = peek, Byte.isWord(b) { position += 1 }
        // date-time = full-date time-delim partial-time, where the delimiter may be a space.
        if position - start == 10, Self.isFullDate(bytes[start..<position]), peek == Byte.space,
           let h1 = byte(at: position + 1), let h2 = byte(at: position + 2), Byte.isDigit(h1), Byte.isDigit(h2),
           byte(at: position + 3) == Byte.colon {
            position += 1
            while let b = peek, Byte.isWord(b) { position += 1 }
        }
        let word = bytes[start..<position]
        if word.isEmpty {
            // Say what is there, up to the next delimiter.
            var end = position
            while let b = byte(at: end), b != Byte.space, b != Byte.tab, b != Byte.newline, b != Byte.carriageReturn,
                  b != Byte.hash, b != Byte.comma, b != Byte.closeBracket, b != Byte.closeBrace { end += 1 }
            guard end > position else { throw Failure("expected a value", at: position) }
            throw Failure("\(text(position..<end)) is not a value: write a string in quotes, a number, true or false", at: start)
        }
        if let value = try Self.classify(word, at: start) { return value }
        throw Failure("\(text(start..<position)) is not a value: write a string in quotes, a number, true or false", at: start)
    }

    static func classify(_ word: ArraySlice<UInt8>, at offset: Int) throws(Failure) -> TOMLDocument.Scalar? {
        let text = String(decoding: word, as: UTF8.self)
        switch text {
        case "true": return .boolean(true)
        case "false": return .boolean(false)
        case "inf", "+inf": return .float(.infinity)
        case "-inf": return .float(-.infinity)
        case "nan", "+nan": return .float(.nan)
        case "-nan": return .float(-.nan)
        default: break
        }
        let first = word[word.startIndex]
        guard Byte.isDigit(first) || first == Byte.plus || first == Byte.minus else { return nil }
        if let dateTime = try dateTime(word, text: text, at: offset) { return .dateTime(dateTime) }
        if let integer = try integer(word, text: text, at: offset) { return .integer(integer) }
        if let float = try float(word, text: text, at: offset) { return .float(float) }
        return nil
    }

    /// Digits with single underscores between them (TOML: "each underscore must be surrounded
    /// by at least one digit on each side").
    static func isDigitRun(_ run: ArraySlice<UInt8>, isDigit: (UInt8) -> Bool = Byte.isDigit) -> Bool {
        guard let first = run.first, let last = run.last, isDigit(first), isDigit(last) else { return false }
        var previous: UInt8 = 0
        for b in run {
            guard isDigit(b) || (b == Byte.underscore && previous != Byte.underscore) else { return false }
            previous = b
        }
        return true
    }

    /// dec-int = [ - / + ] unsigned-dec-int (no leading zeros); hex-int, oct-int, bin-int
    /// with a lowercase prefix, no sign, leading zeros allowed. Nil if `word` is not written as
    /// an integer; an error if it is but does not fit in 64 bits.
    static func integer(_ word: ArraySlice<UInt8>, text: String, at offset: Int) throws(Failure) -> Int? {
        var digits = word
        var radix: UInt64 = 10
        var isNegative = false
        if word.count > 2, word[word.startIndex] == UInt8(ascii: "0") {
            switch word[word.startIndex + 1] {
            case UInt8(ascii: "x"): radix = 16
            case UInt8(ascii: "o"): radix = 8
            case UInt8(ascii: "b"): radix = 2
            default: break
            }
        }
        if radix != 10 {
            digits = word.dropFirst(2)
            let isDigit: (UInt8) -> Bool = switch radix {
            case 16: Byte.isHexDigit
            case 8: { $0 >= 0x30 && $0 <= 0x37 }
            default: { $0 == 0x30 || $0 == 0x31 }
            }
            guard isDigitRun(digits, isDigit: isDigit) else { return nil }
        } else {
            if let sign = digits.first, sign == Byte.plus || sign == Byte.minus {
                isNegative = sign == Byte.minus
                digits = digits.dropFirst()
            }
            guard isDigitRun(digits) else { return nil }
            // No leading zeros: 0, or a digit 1-9 first (007 is an error, not octal).
            guard digits.count == 1 || digits[digits.startIndex] != UInt8(ascii: "0") else { return nil }
        }
        var magnitude: UInt64 = 0
        for b in digits where b != Byte.underscore {
            let (shifted, overflow1) = magnitude.multipliedReportingOverflow(by: radix)
            let (sum, overflow2) = shifted.addingReportingOverflow(UInt64(hexValue(b)))
            guard !overflow1, !overflow2 else { throw Failure("\(text) does not fit in a 64-bit integer", at: offset) }
            magnitude = sum
        }
        let limit = UInt64(Int64.max) + (isNegative ? 1 : 0)
        guard magnitude <= limit else { throw Failure("\(text) does not fit in a 64-bit integer", at: offset) }
        if isNegative { return magnitude == limit ? Int(Int64.min) : -Int(magnitude) }
        return Int(magnitude)
    }

    /// float = float-int-part ( exp / frac [ exp ] ); the integer part as a decimal integer,
    /// the fraction and the exponent digits with underscores between digits.
    static func float(_ word: ArraySlice<UInt8>, text: String, at offset: Int) throws(Failure) -> Double? {
        var rest = word
        if let sign = rest.first, sign == Byte.plus || sign == Byte.minus { rest = rest.dropFirst() }
        let exponentMark = rest.firstIndex { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
        let mantissa = rest[rest.startIndex..<(exponentMark ?? rest.endIndex)]
        let dot = mantissa.firstIndex(of: Byte.dot)
        let integerPart = mantissa[mantissa.startIndex..<(dot ?? mantissa.endIndex)]
        guard isDigitRun(integerPart), integerPart.count == 1 || integerPart.first != UInt8(ascii: "0") else { return nil }
        if let dot {
            guard isDigitRun(mantissa[(dot + 1)...]) else { return nil }
        }
        if let exponentMark {
            var exponent = rest[(exponentMark + 1)...]
            if let sign = exponent.first, sign == Byte.plus || sign == Byte.minus { exponent = exponent.dropFirst() }
            guard isDigitRun(exponent) else { return nil }
        }
        guard dot != nil || exponentMark != nil else { return nil }
        let plain = String(decoding: word.filter { $0 != Byte.underscore }, as: UTF8.self)
        guard let value = Double(plain) else { return nil }
        guard value.isFinite else { throw Failure("\(text) is too large for a float", at: offset) }
        return value
    }

    static func isFullDate(_ word: ArraySlice<UInt8>) -> Bool {
        guard word.count >= 10 else { return false }
        let s = word.startIndex
        return (0..<10).allSatisfy { i in i == 4 || i == 7 ? word[s + i] == Byte.minus : Byte.isDigit(word[s + i]) }
    }

    static func isPartialTimeStart(_ word: ArraySlice<UInt8>) -> Bool {
        guard word.count >= 3 else { return false }
        let s = word.startIndex
        return Byte.isDigit(word[s]) && Byte.isDigit(word[s + 1]) && word[s + 2] == Byte.colon
    }

    /// offset-date-time / local-date-time / local-date / local-time (RFC 3339 as TOML 1.0
    /// takes it: seconds required, `T`, `t` or a space between date and time, `Z`, `z` or
    /// ±HH:MM). Nil if `word` is not written as a date or a time at all.
    static func dateTime(_ word: ArraySlice<UInt8>, text: String, at offset: Int) throws(Failure) -> TOMLDocument.DateTime? {
        let startsWithDate = isFullDate(word)
        guard startsWithDate || isPartialTimeStart(word) else { return nil }
        func bad(_ why: String) -> Failure { Failure("\(text) is not a valid date or time: \(why)", at: offset) }
        var index = word.startIndex
        func number(_ count: Int) -> Int? {
            guard index + count <= word.endIndex else { return nil }
            var value = 0
            for b in word[index..<index + count] {
                guard Byte.isDigit(b) else { return nil }
                value = value * 10 + Int(b - 0x30)
            }
            index += count
            return value
        }
        func take(_ b: UInt8) -> Bool {
            guard index < word.endIndex, word[index] == b else { return false }
            index += 1
            return true
        }
        var result = TOMLDocument.DateTime(text: text)
        if startsWithDate {
            let year = number(4)!
            index += 1
            let month = number(2)!
            index += 1
            let day = number(2)!
            guard (1...12).contains(month) else { throw bad("the month must be 01...12") }
            let isLeap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
            let days = [31, isLeap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
            guard (1...days).contains(day) else { throw bad("that month has \(days) days") }
            result.date = .init(year: year, month: month, day: day)
            if index == word.endIndex { return result }
            let delimiter = word[index]
            guard delimiter == UInt8(ascii: "T") || delimiter == UInt8(ascii: "t") || delimiter == Byte.space else {
                throw bad("a date is followed by T and a time, or by nothing")
            }
            index += 1
        }
        guard let hour = number(2), take(Byte.colon), let minute = number(2) else { throw bad("a time is HH:MM:SS") }
        guard take(Byte.colon), let second = number(2) else { throw bad("TOML 1.0 times need seconds (HH:MM:SS)") }
        guard hour <= 23 else { throw bad("the hour must be 00...23") }
        guard minute <= 59 else { throw bad("the minute must be 00...59") }
        // RFC 3339 allows second 60 for a leap second.
        guard second <= 60 else { throw bad("the second must be 00...60") }
        var nanosecond = 0
        if take(Byte.dot) {
            let start = index
            while index < word.endIndex, Byte.isDigit(word[index]) { index += 1 }
            guard index > start else { throw bad("a fraction of a second needs digits after the dot") }
            // Precision beyond nanoseconds is truncated, not rounded (TOML 1.0).
            for position in 0..<9 {
                let digit = start + position < index ? Int(word[start + position] - 0x30) : 0
                nanosecond = nanosecond * 10 + digit
            }
        }
        result.time = .init(hour: hour, minute: minute, second: second, nanosecond: nanosecond)
        if index == word.endIndex { return result }
        guard startsWithDate else { throw bad("a local time has no offset") }
        if take(UInt8(ascii: "Z")) || take(UInt8(ascii: "z")) {
            result.offsetMinutes = 0
        } else if index < word.endIndex, word[index] == Byte.plus || word[index] == Byte.minus {
            let sign = word[index] == Byte.minus ? -1 : 1
            index += 1
            guard let hours = number(2), take(Byte.colon), let minutes = number(2) else { throw bad("an offset is Z or ±HH:MM") }
            guard hours <= 23, minutes <= 59 else { throw bad("the offset must be within ±23:59") }
            result.offsetMinutes = sign * (hours * 60 + minutes)
        } else {
            throw bad("an offset is Z or ±HH:MM")
        }
        guard index == word.endIndex else { throw bad("unexpected text after the offset") }
        return result
    }
}
