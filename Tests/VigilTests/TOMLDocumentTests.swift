import Foundation
import XCTest
@testable import VigilKit

/// A TOML value in plain form — the JSON the spec shows beside its examples — so a whole parse
/// can be compared with what the spec says it means. Arrays of tables and static arrays are
/// both `.array` here, as in the spec's JSON.
indirect enum TOMLValue: Equatable, CustomStringConvertible,
    ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    case string(String)
    case integer(Int)
    case float(Double)
    case boolean(Bool)
    /// A date or time by its text as written.
    case dateTime(String)
    case array([TOMLValue])
    case table([String: TOMLValue])

    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int) { self = .integer(value) }
    init(floatLiteral value: Double) { self = .float(value) }
    init(booleanLiteral value: Bool) { self = .boolean(value) }
    init(arrayLiteral elements: TOMLValue...) { self = .array(elements) }
    init(dictionaryLiteral elements: (String, TOMLValue)...) { self = .table(Dictionary(uniqueKeysWithValues: elements)) }

    init(_ node: TOMLDocument.Node) {
        switch node {
        case .scalar(.string(let value), _): self = .string(value)
        case .scalar(.integer(let value), _): self = .integer(value)
        case .scalar(.float(let value), _): self = .float(value)
        case .scalar(.boolean(let value), _): self = .boolean(value)
        case .scalar(.dateTime(let value), _): self = .dateTime(value.text)
        case .array(let elements, _): self = .array(elements.map(TOMLValue.init))
        case .table(let table): self = TOMLValue(table)
        case .tables(let list): self = .array(list.map(TOMLValue.init))
        }
    }

    init(_ table: TOMLDocument.Table) {
        var result: [String: TOMLValue] = [:]
        for key in table.keys { result[key] = TOMLValue(table[key]!) }
        self = .table(result)
    }

    /// Floats compare by value and sign, and every NaN equals every NaN: the spec's `nan`,
    /// `+nan` and `-nan` are all "not a number", and a fuzzer's determinism check must not
    /// trip over NaN != NaN.
    static func == (a: TOMLValue, b: TOMLValue) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)): x == y
        case (.integer(let x), .integer(let y)): x == y
        case (.float(let x), .float(let y)): (x.isNaN && y.isNaN) || (x == y && x.sign == y.sign)
        case (.boolean(let x), .boolean(let y)): x == y
        case (.dateTime(let x), .dateTime(let y)): x == y
        case (.array(let x), .array(let y)): x == y
        case (.table(let x), .table(let y)): x == y
        default: false
        }
    }

    var description: String {
        switch self {
        case .string(let value): "\(value.debugDescription)"
        case .integer(let value): "\(value)"
        case .float(let value): "\(value)"
        case .boolean(let value): "\(value)"
        case .dateTime(let value): "date \(value)"
        case .array(let elements): "[\(elements.map(\.description).joined(separator: ", "))]"
        case .table(let entries): "{\(entries.sorted { $0.key < $1.key }.map { "\($0.key.debugDescription): \($0.value)" }.joined(separator: ", "))}"
        }
    }
}

/// The documents of the tests below, valid and invalid, shared with the fuzzer as its seeds.
/// Valid ones are the TOML 1.0 spec's own examples (https://toml.io/en/v1.0.0, section by
/// section), with the spec's JSON as the expected value where it gives one.
enum TOMLCorpus {
    static let comments = """
        # This is a full-line comment
        key = "value"  # This is a comment at the end of a line
        another = "# This is not a comment"
        """

    static let keys = """
        key = "value"
        bare_key = "value"
        bare-key = "value"
        1234 = "value"
        "127.0.0.1" = "value"
        "character encoding" = "value"
        "ʎǝʞ" = "value"
        'key2' = "value"
        'quoted "value"' = "value"
        """

    static let emptyQuotedKeys = """
        "" = "blank"     # VALID but discouraged
        [other]
        '' = 'blank'     # VALID but discouraged
        """

    static let dottedKeys = """
        name = "Orange"
        physical.color = "orange"
        physical.shape = "round"
        site."google.com" = true
        """

    static let dottedKeyWhitespace = """
        fruit.name = "banana"     # this is best practice
        fruit. color = "yellow"    # same as fruit.color
        fruit . flavor = "banana"   # same as fruit.flavor
        """

    static let dottedKeysStillOpen = """
        # This makes the key "fruit" into a table.
        fruit.apple.smooth = true

        # So then you can add to the table "fruit" like so:
        fruit.orange = 2
        """

    static let dottedKeysOutOfOrder = """
        # VALID BUT DISCOURAGED
        apple.type = "fruit"
        orange.type = "fruit"

        apple.skin = "thin"
        orange.skin = "thick"

        apple.color = "red"
        orange.color = "orange"
        """

    static let floatLikeKey = #"3.14159 = "pi""#

    static let basicString = #"str = "I'm a string. \"You can quote me\". Name\tJos\u00E9\nLocation\tSF.""#

    static let multiLineBasic = #"""
        str1 = """
        Roses are red
        Violets are blue"""
        # On a Unix system, the above multi-line string will most likely be the same as:
        str2 = "Roses are red\nViolets are blue"
        """#

    static let lineEndingBackslash = #"""
        # The following strings are byte-for-byte equivalent:
        str1 = "The quick brown fox jumps over the lazy dog."

        str2 = """
        The quick brown \


          fox jumps over \
            the lazy dog."""

        str3 = """\
               The quick brown \
               fox jumps over \
               the lazy dog.\
               """
        """#

    static let quotesInMultiLine = #"""
        str4 = """Here are two quotation marks: "". Simple enough."""
        # str5 = """Here are three quotation marks: """."""  # INVALID
        str5 = """Here are three quotation marks: ""\"."""
        str6 = """Here are fifteen quotation marks: ""\"""\"""\"""\"""\"."""

        # "This," she said, "is just a pointless statement."
        str7 = """"This," she said, "is just a pointless statement.""""
        """#

    static let literalStrings = #"""
        # What you see is what you get.
        winpath  = 'C:\Users\nodejs\templates'
        winpath2 = '\\ServerX\admin$\system32\'
        quoted   = 'Tom "Dubs" Preston-Werner'
        regex    = '<\i\c*\s*>'
        """#

    static let multiLineLiteral = #"""
        regex2 = '''I [dw]on't need \d{2} apples'''
        lines  = '''
        The first newline is
        trimmed in raw strings.
           All other whitespace
           is preserved.
        '''
        """#

    static let quotesInMultiLineLiteral = #"""
        quot15 = '''Here are fifteen quotation marks: """""""""""""""'''

        # apos15 = '''Here are fifteen apostrophes: ''''''''''''''''''  # INVALID
        apos15 = "Here are fifteen apostrophes: '''''''''''''''"

        # 'That,' she said, 'is still pointless.'
        str = ''''That,' she said, 'is still pointless.''''
        """#

    static let escapes = #"""
        all = "\b\t\n\f\r\"\\"
        u = "\u00E9\u0041"
        big = "\U0001F600\U00000041"
        ml = """\u00E9\t\\n"""
        """#

    static let integers = """
        int1 = +99
        int2 = 42
        int3 = 0
        int4 = -17
        int5 = 1_000
        int6 = 5_349_221
        int7 = 53_49_221  # Indian number system grouping
        int8 = 1_2_3_4_5  # VALID but discouraged
        zero1 = -0
        zero2 = +0
        max = 9_223_372_036_854_775_807
        min = -9223372036854775808

        # hexadecimal with prefix `0x`
        hex1 = 0xDEADBEEF
        hex2 = 0xdeadbeef
        hex3 = 0xdead_beef
        hex4 = 0x7FFFFFFFFFFFFFFF

        # octal with prefix `0o`
        oct1 = 0o01234567
        oct2 = 0o755 # useful for Unix file permissions

        # binary with prefix `0b`
        bin1 = 0b11010110
        """

    static let floats = """
        # fractional
        flt1 = +1.0
        flt2 = 3.1415
        flt3 = -0.01

        # exponent
        flt4 = 5e+22
        flt5 = 1e06
        flt6 = -2E-2

        # both
        flt7 = 6.626e-34
        flt8 = 224_617.445_991_228
        flt9 = -0.0
        flt10 = +0.0

        # infinity
        sf1 = inf  # positive infinity
        sf2 = +inf # positive infinity
        sf3 = -inf # negative infinity

        # not a number
        sf4 = nan  # actual sNaN/qNaN encoding is implementation-specific
        sf5 = +nan # same as `nan`
        sf6 = -nan # valid, actual encoding is implementation-specific
        """

    static let booleans = """
        bool1 = true
        bool2 = false
        """

    static let dates = """
        odt1 = 1979-05-27T07:32:00Z
        odt2 = 1979-05-27T00:32:00-07:00
        odt3 = 1979-05-27T00:32:00.999999-07:00
        odt4 = 1979-05-27 07:32:00Z
        ldt1 = 1979-05-27T07:32:00
        ldt2 = 1979-05-27T00:32:00.999999
        ld1 = 1979-05-27
        lt1 = 07:32:00
        lt2 = 00:32:00.999999
        lower = 1979-05-27t07:32:00z
        leap = 2000-02-29
        long = 1979-05-27T00:32:00.1234567891+05:30
        """

    static let arrays = """
        integers = [ 1, 2, 3 ]
        colors = [ "red", "yellow", "green" ]
        nested_arrays_of_ints = [ [ 1, 2 ], [3, 4, 5] ]
        nested_mixed_array = [ [ 1, 2 ], ["a", "b", "c"] ]
        string_array = [ "all", 'strings', \"""are the same\""", '''type''' ]

        # Mixed-type arrays are allowed
        numbers = [ 0.1, 0.2, 0.5, 1, 2, 5 ]
        contributors = [
          "Foo Bar <foo@example.com>",
          { name = "Baz Qux", email = "bazqux@example.com", url = "https://example.com/bazqux" }
        ]

        integers2 = [
          1, 2, 3
        ]

        integers3 = [
          1,
          2, # this is ok
        ]

        empty = []
        blank = [ # a comment
        ]
        dates = [1979-05-27, 07:32:00, 1979-05-27 07:32:00Z]
        """

    static let tables = """
        [table-1]
        key1 = "some string"
        key2 = 123

        [table-2]
        key1 = "another string"
        key2 = 456

        [dog."tater.man"]
        type.name = "pug"

        [a.b.c]            # this is best practice
        [ d.e.f ]          # same as [d.e.f]
        [ g .  h  . i ]    # same as [g.h.i]
        [ j . "ʞ" . 'l' ]  # same as [j."ʞ".'l']
        """

    static let superTableAfterwards = """
        # [x] you
        # [x.y] don't
        # [x.y.z] need these
        [x.y.z.w] # for this to work

        [x] # defining a super-table afterward is ok
        """

    static let tablesOutOfOrder = """
        # VALID BUT DISCOURAGED
        [fruit.apple]
        [animal]
        [fruit.orange]
        """

    static let rootTable = """
        # Top-level table begins.
        name = "Fido"
        breed = "pug"

        # Top-level table ends.
        [owner]
        name = "Regina Dogman"
        member_since = 1999-08-04
        """

    static let dottedKeysDefineTables = """
        fruit.apple.color = "red"
        # Defines a table named fruit
        # Defines a table named fruit.apple

        fruit.apple.taste.sweet = true
        # Defines a table named fruit.apple.taste
        # fruit and fruit.apple were already created
        """

    static let subTableOfDottedKeys = """
        [fruit]
        apple.color = "red"
        apple.taste.sweet = true

        # [fruit.apple]  # INVALID
        # [fruit.apple.taste]  # INVALID

        [fruit.apple.texture]  # you can add sub-tables
        smooth = true
        """

    static let inlineTables = """
        name = { first = "Tom", last = "Preston-Werner" }
        point = { x = 1, y = 2 }
        animal = { type.name = "pug" }
        """

    static let inlineTablesAsStandard = """
        [name]
        first = "Tom"
        last = "Preston-Werner"

        [point]
        x = 1
        y = 2

        [animal]
        type.name = "pug"
        """

    static let inlineTableEdges = """
        empty = {}
        nested = { a = { b = { c = 1 } }, list = [1, 2] }
        spanning = { list = [
          1,  # a comment inside the array is inside a value
          2 ] }
        """

    static let arrayOfTables = """
        [[products]]
        name = "Hammer"
        sku = 738594937

        [[products]]  # empty table within the array

        [[products]]
        name = "Nail"
        sku = 284758393

        color = "gray"
        """

    static let nestedArrayOfTables = """
        [[fruits]]
        name = "apple"

        [fruits.physical]  # subtable
        color = "red"
        shape = "round"

        [[fruits.varieties]]  # nested array of tables
        name = "red delicious"

        [[fruits.varieties]]
        name = "granny smith"


        [[fruits]]
        name = "banana"

        [[fruits.varieties]]
        name = "plantain"
        """

    static let inlineTablesInArray = """
        points = [ { x = 1, y = 2, z = 3 },
                   { x = 7, y = 8, z = 9 },
                   { x = 2, y = 4, z = 8 } ]
        """

    /// Vigil's own shape: the access keys the issue asks for, in every form TOML allows.
    static let vigilAccess = """
        [access]
        anonymous = ["view"]   # what a viewer without a password may do
        ips = [
          "192.168.1.0/24",
          "fd00::/8",          # the home network, IPv6
        ]

        [[user]]
        name = "owner"
        permissions = ["view", "configure", "tokens"]

        [[user]]
        name = 'guest'
        permissions = []

        [library]
        paths = ['/srv/recordings', "/mnt/usb"]
        """

    /// Every valid document, by name, for the fuzzer.
    static let valid: [(name: String, text: String)] = [
        ("comments", comments), ("keys", keys), ("empty quoted keys", emptyQuotedKeys), ("dotted keys", dottedKeys),
        ("dotted key whitespace", dottedKeyWhitespace), ("dotted keys still open", dottedKeysStillOpen),
        ("dotted keys out of order", dottedKeysOutOfOrder), ("float-like key", floatLikeKey), ("basic string", basicString),
        ("multi-line basic", multiLineBasic), ("line-ending backslash", lineEndingBackslash),
        ("quotes in multi-line", quotesInMultiLine), ("literal strings", literalStrings), ("multi-line literal", multiLineLiteral),
        ("quotes in multi-line literal", quotesInMultiLineLiteral), ("escapes", escapes), ("integers", integers),
        ("floats", floats), ("booleans", booleans), ("dates", dates), ("arrays", arrays), ("tables", tables),
        ("super-table afterwards", superTableAfterwards), ("tables out of order", tablesOutOfOrder), ("root table", rootTable),
        ("dotted keys define tables", dottedKeysDefineTables), ("sub-table of dotted keys", subTableOfDottedKeys),
        ("inline tables", inlineTables), ("inline tables as standard", inlineTablesAsStandard),
        ("inline table edges", inlineTableEdges), ("array of tables", arrayOfTables),
        ("nested array of tables", nestedArrayOfTables), ("inline tables in array", inlineTablesInArray),
        ("vigil access", vigilAccess),
    ]

    /// Invalid documents: the line of the (first) error and a part of its message. The spec's
    /// "INVALID" examples first, then Vigil's own.
    static let invalid: [(name: String, text: String, line: Int, message: String)] = [
        ("spec: no value", "key = # INVALID", 1, "expected a value after ="),
        ("spec: two pairs on a line", #"first = "Tom" last = "Preston-Werner" # INVALID"#, 1, "unexpected text after the value of first"),
        ("spec: no key name", #"= "no key name""#, 1, "expected a key"),
        ("spec: multi-line key", #""""key""" = "not allowed""#, 1, #"expected = after the key """#),
        ("spec: key defined twice", "name = \"Tom\"\nname = \"Pradyun\"", 2, "name is defined twice (first at line 1)"),
        ("spec: bare and quoted keys are one", "spelling = \"favorite\"\n\"spelling\" = \"favourite\"", 2, "spelling is defined twice (first at line 1)"),
        ("spec: integer made a table", "fruit.apple = 1\nfruit.apple.smooth = true", 2, "fruit.apple is a value (line 1), not a table"),
        ("spec: three quotes in a multi-line string", #"str5 = """Here are three quotation marks: """.""""#, 1, "unexpected text after the value of str5"),
        ("spec: fifteen apostrophes", #"apos15 = '''Here are fifteen apostrophes: ''''''''''''''''''"#, 1, "unexpected text after the value of apos15"),
        ("spec: .7", "invalid_float_1 = .7", 1, ".7 is not a value"),
        ("spec: 7.", "invalid_float_2 = 7.", 1, "7. is not a value"),
        ("spec: 3.e+20", "invalid_float_3 = 3.e+20", 1, "3.e+20 is not a value"),
        ("spec: table defined twice", "[fruit]\napple = \"red\"\n\n[fruit]\norange = \"orange\"", 4, "[fruit] is defined twice (first at line 1)"),
        ("spec: value made a table", "[fruit]\napple = \"red\"\n\n[fruit.apple]\ntexture = \"smooth\"", 4, "fruit.apple is a value (line 2), not a table"),
        ("spec: header over dotted keys", "[fruit]\napple.color = \"red\"\napple.taste.sweet = true\n[fruit.apple]", 4,
         "[fruit.apple] is defined twice (first by dotted keys at line 2)"),
        ("spec: header over nested dotted keys", "[fruit]\napple.color = \"red\"\napple.taste.sweet = true\n[fruit.apple.taste]", 4,
         "[fruit.apple.taste] is defined twice (first by dotted keys at line 3)"),
        ("spec: inline table extended", "[product]\ntype = { name = \"Nail\" }\ntype.edible = false", 3,
         "type is an inline table (line 2); nothing can be added to it afterwards"),
        ("spec: inline table over dotted keys", "[product]\ntype.name = \"Nail\"\ntype = { edible = false }", 3, "type is defined twice (first at line 2)"),
        ("spec: sub-table before its array", "[fruit.physical]\ncolor = \"red\"\n\n[[fruit]]\nname = \"apple\"", 4,
         "fruit is a table (line 1), not an array of tables; write [fruit]"),
        ("spec: appending to a static array", "fruits = []\n\n[[fruits]]", 3, "fruits is a static array (line 1); [[fruits]] cannot add to it"),
        ("spec: table over an array of tables", "[[fruits]]\nname = \"apple\"\n[[fruits.varieties]]\nname = \"red delicious\"\n[fruits.varieties]", 5,
         "fruits.varieties is an array of tables (line 3); write [[fruits.varieties]]"),
        ("spec: array of tables over a table", "[[fruits]]\n[fruits.physical]\ncolor = \"red\"\n[[fruits.physical]]", 4,
         "fruits.physical is a table (line 2), not an array of tables"),
        // Strings.
        ("unknown escape", #"s = "a\qb""#, 1, #"unknown escape \q in a string"#),
        ("escape of a space", #"s = "a\ b""#, 1, #"unknown escape \  in a string"#),
        ("short \\u", #"s = "\u00G1""#, 1, #"\u takes exactly 4 hex digits"#),
        ("short \\U", #"s = "\U0001F60""#, 1, #"\U takes exactly 8 hex digits"#),
        ("surrogate", #"s = "\uD800""#, 1, #"\uD800 is not a Unicode scalar value"#),
        ("beyond U+10FFFF", #"s = "\U00110000""#, 1, #"\U00110000 is not a Unicode scalar value"#),
        ("bad escape in a multi-line string", "s = \"\"\"\nok\nbad \\x here\n\"\"\"", 3, #"unknown escape \x in a string"#),
        ("line-ending backslash in a basic string", "s = \"abc \\\n\"", 1, "only allowed in a multi-line"),
        ("unterminated basic string", "s = \"abc\nt = 1", 1, "unterminated string"),
        ("unterminated literal string", "s = 'abc", 1, "unterminated string"),
        ("unterminated multi-line basic string", "a = 1\ns = \"\"\"abc\n\ndef", 2, "unterminated multi-line string"),
        ("unterminated multi-line literal string", "s = '''abc\n", 1, "unterminated multi-line string"),
        ("newline in a literal string", "s = 'a\nb'", 1, "unterminated string"),
        ("control character in a string", "s = \"a\u{7}b\"", 1, "control character U+0007"),
        ("control character in a literal string", "s = 'a\u{1}b'", 1, "control character U+0001"),
        ("control character in a comment", "a = 1 # bell \u{7}", 1, "a comment cannot hold the control character U+0007"),
        ("delete in a comment", "# \u{7f}", 1, "control character U+007F"),
        ("lone carriage return", "a = 1\rb = 2", 1, "a carriage return must be followed by a line feed"),
        ("carriage return in a multi-line string", "s = \"\"\"a\rb\"\"\"", 1, "control character U+000D"),
        // Numbers.
        ("leading zero", "a = 007", 1, "007 is not a value"),
        ("leading zero, negative", "a = -01", 1, "-01 is not a value"),
        ("leading zero, float", "a = 03.14", 1, "03.14 is not a value"),
        ("double underscore", "a = 1__000", 1, "1__000 is not a value"),
        ("trailing underscore", "a = 1000_", 1, "1000_ is not a value"),
        ("leading underscore", "a = _1000", 1, "_1000 is not a value"),
        ("underscore after a prefix", "a = 0x_ff", 1, "0x_ff is not a value"),
        ("underscore before the dot", "a = 1_.5", 1, "1_.5 is not a value"),
        ("signed hex", "a = +0xff", 1, "+0xff is not a value"),
        ("uppercase prefix", "a = 0XFF", 1, "0XFF is not a value"),
        ("octal digit 8", "a = 0o8", 1, "0o8 is not a value"),
        ("binary digit 2", "a = 0b102", 1, "0b102 is not a value"),
        ("integer too large", "a = 9223372036854775808", 1, "9223372036854775808 does not fit in a 64-bit integer"),
        ("integer too small", "a = -9223372036854775809", 1, "does not fit in a 64-bit integer"),
        ("hex too large", "a = 0x1_0000_0000_0000_0000", 1, "does not fit in a 64-bit integer"),
        ("exponent without digits", "a = 1e", 1, "1e is not a value"),
        ("float too large", "a = 1e400", 1, "1e400 is too large for a float"),
        ("uppercase inf", "a = Inf", 1, "Inf is not a value"),
        ("uppercase true", "a = True", 1, "True is not a value"),
        ("bare word", "a = yes", 1, "yes is not a value"),
        // Dates and times.
        ("month 13", "d = 1979-13-27", 1, "1979-13-27 is not a valid date or time: the month must be 01...12"),
        ("February 30", "d = 1979-02-29", 1, "that month has 28 days"),
        ("hour 24", "t = 24:00:00", 1, "the hour must be 00...23"),
        ("no seconds", "t = 07:32", 1, "TOML 1.0 times need seconds"),
        ("no fraction digits", "t = 07:32:00.", 1, "a fraction of a second needs digits"),
        ("bad offset", "d = 1979-05-27T07:32:00+7", 1, "an offset is Z or ±HH:MM"),
        ("offset on a local time", "t = 07:32:00Z", 1, "a local time has no offset"),
        ("one-digit day", "d = 1979-05-7", 1, "1979-05-7 is not a value"),
        // Arrays.
        ("unterminated array", "a = [1, 2\n", 1, "unterminated array"),
        ("array missing a comma", "a = [1 2]", 1, "expected , or ] after an element of the array (line 1)"),
        ("array with only a comma", "a = [,]", 1, "expected a value or ] in the array"),
        ("array with two commas", "a = [1,,2]", 1, "expected a value between the commas"),
        ("array broken on a later line", "a = [\n  1,\n  2 3,\n]", 3, "expected , or ] after an element of the array (line 1)"),
        ("nesting too deep", "a = " + String(repeating: "[", count: 100) + String(repeating: "]", count: 100), 1, "nest more than 64 deep"),
        // Inline tables.
        ("inline table with a trailing comma", "a = { x = 1, }", 1, "an inline table has no comma after its last key"),
        ("inline table across lines", "a = { x = 1,\n y = 2 }", 1, "expected a key"),
        ("unterminated inline table", "a = { x = 1\n", 1, "unterminated inline table"),
        ("inline table missing a comma", "a = { x = 1 y = 2 }", 1, "expected , or } after a key of the inline table"),
        ("key twice in an inline table", "a = { x = 1, x = 2 }", 1, "x is defined twice (first at line 1)"),
        ("inline sub-table extended inside", "a = { b = { c = 1 }, b.d = 2 }", 1, "b is an inline table (line 1); nothing can be added"),
        ("header into an inline table", "a = { b = 1 }\n[a.c]", 2, "a is an inline table (line 1); nothing can be added"),
        ("array of tables into an inline table", "a = { b = 1 }\n[[a.c]]", 2, "a is an inline table (line 1)"),
        // Keys and headers.
        ("dotted keys into a header table", "[a.b]\nx = 1\n[a]\nb.y = 2", 4, "b is a table with its own header (line 1)"),
        ("dotted keys into an array of tables", "[[a.b]]\n[a]\nb.y = 2", 3, "b is an array of tables (line 1); dotted keys cannot add to it"),
        ("dotted keys into nested headers", "[a.b.c]\nz = 9\n[a]\nb.c.t = 1", 4, "b.c is a table with its own header (line 1)"),
        ("header over an implicit table made by dotted keys", "[a.b.c]\n[a]\nb.x = 1\n[a.b]", 4, "[a.b] is defined twice (first by dotted keys at line 3)"),
        ("header into a value", "a = 1\n[a.b]", 2, "a is a value (line 1), not a table"),
        ("header into an array", "a = [1]\n[a.b]", 2, "a is an array (line 1), not a table"),
        ("header names an array", "a = [1]\n[a]", 2, "a is an array (line 1), not a table"),
        ("header unclosed", "[a\nb = 1", 1, "a header ends with ]"),
        ("array header half closed", "[[a]\nb = 1", 1, "an array-of-tables header ends with ]]"),
        ("array header with a space", "[[a] ]", 1, "an array-of-tables header ends with ]]"),
        ("empty header", "[]", 1, "expected a key"),
        ("text after a header", "[a] b = 1", 1, "unexpected text after the header"),
        ("no equals", "a 1", 1, "expected = after the key a"),
        ("key ends with a dot", "a. = 1", 1, "expected a key after the dot"),
        ("bare key with a non-ASCII letter", "Fuß = 1", 1, "expected = after the key Fu"),
        ("quoted key twice, differently written", "\"a b\" = 1\n'a b' = 2", 2, #""a b" is defined twice (first at line 1)"#),
    ]
}

/// TOMLDocument against the TOML 1.0 spec: every value of every example, every error with its
/// line, and the lines of keys, headers and array elements.
final class TOMLDocumentTests: XCTestCase {
    /// Parses a document that must be valid.
    func parse(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> TOMLDocument {
        let (document, errors) = TOMLDocument.parse(text)
        XCTAssertEqual(errors, [], "unexpected errors", file: file, line: line)
        return document
    }

    func value(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> TOMLValue {
        TOMLValue(parse(text, file: file, line: line).root)
    }

    func scalar(_ document: TOMLDocument, _ key: String, file: StaticString = #filePath, line: UInt = #line) -> TOMLDocument.Scalar? {
        guard case .scalar(let value, _) = document.root[key] else {
            XCTFail("\(key) is not a scalar", file: file, line: line)
            return nil
        }
        return value
    }

    // MARK: - Comments and keys

    func testComments() {
        XCTAssertEqual(value(TOMLCorpus.comments), ["key": "value", "another": "# This is not a comment"])
    }

    func testKeys() {
        XCTAssertEqual(value(TOMLCorpus.keys), [
            "key": "value", "bare_key": "value", "bare-key": "value", "1234": "value", "127.0.0.1": "value",
            "character encoding": "value", "ʎǝʞ": "value", "key2": "value", "quoted \"value\"": "value",
        ])
        XCTAssertEqual(value(TOMLCorpus.emptyQuotedKeys), ["": "blank", "other": ["": "blank"]])
    }

    /// The spec's JSON for its dotted keys.
    func testDottedKeys() {
        XCTAssertEqual(value(TOMLCorpus.dottedKeys), [
            "name": "Orange", "physical": ["color": "orange", "shape": "round"], "site": ["google.com": true],
        ])
        XCTAssertEqual(value(TOMLCorpus.dottedKeyWhitespace), ["fruit": ["name": "banana", "color": "yellow", "flavor": "banana"]])
        XCTAssertEqual(value(TOMLCorpus.dottedKeysStillOpen), ["fruit": ["apple": ["smooth": true], "orange": 2]])
        XCTAssertEqual(value(TOMLCorpus.dottedKeysOutOfOrder), [
            "apple": ["type": "fruit", "skin": "thin", "color": "red"],
            "orange": ["type": "fruit", "skin": "thick", "color": "orange"],
        ])
        XCTAssertEqual(value(TOMLCorpus.floatLikeKey), ["3": ["14159": "pi"]])
    }

    // MARK: - Strings

    func testBasicString() {
        XCTAssertEqual(value(TOMLCorpus.basicString), ["str": "I'm a string. \"You can quote me\". Name\tJos\u{E9}\nLocation\tSF."])
    }

    func testMultiLineBasicStrings() {
        let roses = "Roses are red\nViolets are blue"
        XCTAssertEqual(value(TOMLCorpus.multiLineBasic), ["str1": .string(roses), "str2": .string(roses)])
        let fox = TOMLValue.string("The quick brown fox jumps over the lazy dog.")
        XCTAssertEqual(value(TOMLCorpus.lineEndingBackslash), ["str1": fox, "str2": fox, "str3": fox])
        XCTAssertEqual(value(TOMLCorpus.quotesInMultiLine), [
            "str4": "Here are two quotation marks: \"\". Simple enough.",
            "str5": "Here are three quotation marks: \"\"\".",
            "str6": "Here are fifteen quotation marks: \"\"\"\"\"\"\"\"\"\"\"\"\"\"\".",
            "str7": "\"This,\" she said, \"is just a pointless statement.\"",
        ])
        // CRLF inside a multi-line string reads as LF; a line-ending backslash swallows CRLF too.
        XCTAssertEqual(value("s = \"\"\"\r\na\r\nb \\\r\n   c\"\"\"\r\n"), ["s": "a\nb c"])
        // Whitespace after a line-ending backslash is allowed.
        XCTAssertEqual(value("s = \"\"\"a \\  \t\n  b\"\"\""), ["s": "a b"])
    }

    func testLiteralStrings() {
        XCTAssertEqual(value(TOMLCorpus.literalStrings), [
            "winpath": #"C:\Users\nodejs\templates"#, "winpath2": #"\\ServerX\admin$\system32\"#,
            "quoted": #"Tom "Dubs" Preston-Werner"#, "regex": #"<\i\c*\s*>"#,
        ])
        XCTAssertEqual(value(TOMLCorpus.multiLineLiteral), [
            "regex2": #"I [dw]on't need \d{2} apples"#,
            "lines": "The first newline is\ntrimmed in raw strings.\n   All other whitespace\n   is preserved.\n",
        ])
        XCTAssertEqual(value(TOMLCorpus.quotesInMultiLineLiteral), [
            "quot15": #"Here are fifteen quotation marks: """"""""""""""""#,
            "apos15": "Here are fifteen apostrophes: '''''''''''''''",
            "str": "'That,' she said, 'is still pointless.'",
        ])
    }

    func testEveryEscape() {
        XCTAssertEqual(value(TOMLCorpus.escapes), [
            "all": "\u{8}\t\n\u{C}\r\"\\", "u": "\u{E9}A", "big": "\u{1F600}A", "ml": "\u{E9}\t\\n",
        ])
    }

    // MARK: - Numbers, booleans, dates

    func testIntegers() {
        XCTAssertEqual(value(TOMLCorpus.integers), [
            "int1": 99, "int2": 42, "int3": 0, "int4": -17, "int5": 1000, "int6": 5_349_221, "int7": 5_349_221, "int8": 12345,
            "zero1": 0, "zero2": 0, "max": .integer(Int.max), "min": .integer(Int.min),
            "hex1": 0xDEAD_BEEF, "hex2": 0xDEAD_BEEF, "hex3": 0xDEAD_BEEF, "hex4": .integer(Int.max),
            "oct1": 0o01234567, "oct2": 0o755, "bin1": 0b11010110,
        ])
    }

    func testFloats() {
        XCTAssertEqual(value(TOMLCorpus.floats), [
            "flt1": 1.0, "flt2": 3.1415, "flt3": -0.01, "flt4": 5e22, "flt5": 1e6, "flt6": -2e-2, "flt7": 6.626e-34,
            "flt8": 224_617.445_991_228, "flt9": .float(-0.0), "flt10": 0.0,
            "sf1": .float(.infinity), "sf2": .float(.infinity), "sf3": .float(-.infinity),
            "sf4": .float(.nan), "sf5": .float(.nan), "sf6": .float(.nan),
        ])
        let document = parse(TOMLCorpus.floats)
        guard case .float(let negativeZero) = scalar(document, "flt9") else { return XCTFail("flt9") }
        XCTAssertEqual(negativeZero.sign, .minus, "-0.0 maps to IEEE 754 negative zero")
        guard case .float(let nan) = scalar(document, "sf4") else { return XCTFail("sf4") }
        XCTAssertTrue(nan.isNaN)
    }

    func testBooleans() {
        XCTAssertEqual(value(TOMLCorpus.booleans), ["bool1": true, "bool2": false])
    }

    /// Dates keep their text and their numbers; nothing goes through a date formatter.
    func testDatesAndTimes() {
        let document = parse(TOMLCorpus.dates)
        typealias DateTime = TOMLDocument.DateTime
        func date(_ key: String) -> DateTime? {
            guard case .dateTime(let value) = scalar(document, key) else { XCTFail("\(key) is not a date"); return nil }
            return value
        }
        let cases: [(key: String, text: String, kind: DateTime.Kind, date: DateTime.FullDate?, time: DateTime.PartialTime?, offset: Int?)] = [
            ("odt1", "1979-05-27T07:32:00Z", .offsetDateTime, .init(year: 1979, month: 5, day: 27), .init(hour: 7, minute: 32, second: 0, nanosecond: 0), 0),
            ("odt2", "1979-05-27T00:32:00-07:00", .offsetDateTime, .init(year: 1979, month: 5, day: 27), .init(hour: 0, minute: 32, second: 0, nanosecond: 0), -420),
            ("odt3", "1979-05-27T00:32:00.999999-07:00", .offsetDateTime, .init(year: 1979, month: 5, day: 27),
             .init(hour: 0, minute: 32, second: 0, nanosecond: 999_999_000), -420),
            ("odt4", "1979-05-27 07:32:00Z", .offsetDateTime, .init(year: 1979, month: 5, day: 27), .init(hour: 7, minute: 32, second: 0, nanosecond: 0), 0),
            ("ldt1", "1979-05-27T07:32:00", .localDateTime, .init(year: 1979, month: 5, day: 27), .init(hour: 7, minute: 32, second: 0, nanosecond: 0), nil),
            ("ldt2", "1979-05-27T00:32:00.999999", .localDateTime, .init(year: 1979, month: 5, day: 27),
             .init(hour: 0, minute: 32, second: 0, nanosecond: 999_999_000), nil),
            ("ld1", "1979-05-27", .localDate, .init(year: 1979, month: 5, day: 27), nil, nil),
            ("lt1", "07:32:00", .localTime, nil, .init(hour: 7, minute: 32, second: 0, nanosecond: 0), nil),
            ("lt2", "00:32:00.999999", .localTime, nil, .init(hour: 0, minute: 32, second: 0, nanosecond: 999_999_000), nil),
            ("lower", "1979-05-27t07:32:00z", .offsetDateTime, .init(year: 1979, month: 5, day: 27), .init(hour: 7, minute: 32, second: 0, nanosecond: 0), 0),
            ("leap", "2000-02-29", .localDate, .init(year: 2000, month: 2, day: 29), nil, nil),
            // Beyond nanoseconds the digits are truncated, not rounded (…891 → …789).
            ("long", "1979-05-27T00:32:00.1234567891+05:30", .offsetDateTime, .init(year: 1979, month: 5, day: 27),
             .init(hour: 0, minute: 32, second: 0, nanosecond: 123_456_789), 330),
        ]
        for item in cases {
            guard let value = date(item.key) else { continue }
            XCTAssertEqual(value.text, item.text, item.key)
            XCTAssertEqual(value.kind, item.kind, item.key)
            XCTAssertEqual(value.date, item.date, item.key)
            XCTAssertEqual(value.time, item.time, item.key)
            XCTAssertEqual(value.offsetMinutes, item.offset, item.key)
        }
    }

    // MARK: - Arrays

    func testArrays() {
        XCTAssertEqual(value(TOMLCorpus.arrays), [
            "integers": [1, 2, 3], "colors": ["red", "yellow", "green"],
            "nested_arrays_of_ints": [[1, 2], [3, 4, 5]], "nested_mixed_array": [[1, 2], ["a", "b", "c"]],
            "string_array": ["all", "strings", "are the same", "type"],
            "numbers": [0.1, 0.2, 0.5, 1, 2, 5],
            "contributors": ["Foo Bar <foo@example.com>", ["name": "Baz Qux", "email": "bazqux@example.com", "url": "https://example.com/bazqux"]],
            "integers2": [1, 2, 3], "integers3": [1, 2], "empty": [], "blank": [],
            "dates": [.dateTime("1979-05-27"), .dateTime("07:32:00"), .dateTime("1979-05-27 07:32:00Z")],
        ])
    }

    /// Each element keeps its own line, so a wrong one can be named.
    func testArrayElementLines() {
        let document = parse(TOMLCorpus.vigilAccess)
        guard case .table(let access) = document.root["access"], case .array(let ips, let line) = access["ips"] else {
            return XCTFail("access.ips")
        }
        XCTAssertEqual(line, 3)
        XCTAssertEqual(ips.map(\.line), [4, 5])
        guard case .array(let contributors, _) = parse(TOMLCorpus.arrays).root["contributors"] else { return XCTFail("contributors") }
        XCTAssertEqual(contributors.map(\.line), [10, 11], "an inline table element has the line of its {")
    }

    // MARK: - Tables

    func testTables() {
        XCTAssertEqual(value(TOMLCorpus.tables), [
            "table-1": ["key1": "some string", "key2": 123],
            "table-2": ["key1": "another string", "key2": 456],
            "dog": ["tater.man": ["type": ["name": "pug"]]],
            "a": ["b": ["c": [:]]], "d": ["e": ["f": [:]]], "g": ["h": ["i": [:]]], "j": ["ʞ": ["l": [:]]],
        ])
        XCTAssertEqual(value(TOMLCorpus.superTableAfterwards), ["x": ["y": ["z": ["w": [:]]]]])
        XCTAssertEqual(value(TOMLCorpus.tablesOutOfOrder), ["fruit": ["apple": [:], "orange": [:]], "animal": [:]])
        XCTAssertEqual(value(TOMLCorpus.rootTable), [
            "name": "Fido", "breed": "pug", "owner": ["name": "Regina Dogman", "member_since": .dateTime("1999-08-04")],
        ])
        XCTAssertEqual(value(TOMLCorpus.dottedKeysDefineTables), ["fruit": ["apple": ["color": "red", "taste": ["sweet": true]]]])
        XCTAssertEqual(value(TOMLCorpus.subTableOfDottedKeys), [
            "fruit": ["apple": ["color": "red", "taste": ["sweet": true], "texture": ["smooth": true]]],
        ])
    }

    func testInlineTables() {
        let inline = value(TOMLCorpus.inlineTables)
        XCTAssertEqual(inline, [
            "name": ["first": "Tom", "last": "Preston-Werner"], "point": ["x": 1, "y": 2], "animal": ["type": ["name": "pug"]],
        ])
        XCTAssertEqual(inline, value(TOMLCorpus.inlineTablesAsStandard), "the spec: identical to the standard tables")
        XCTAssertEqual(value(TOMLCorpus.inlineTableEdges), [
            "empty": [:], "nested": ["a": ["b": ["c": 1]], "list": [1, 2]], "spanning": ["list": [1, 2]],
        ])
        XCTAssertEqual(value(TOMLCorpus.inlineTablesInArray), [
            "points": [["x": 1, "y": 2, "z": 3], ["x": 7, "y": 8, "z": 9], ["x": 2, "y": 4, "z": 8]],
        ])
    }

    /// The spec's JSON for its arrays of tables.
    func testArraysOfTables() {
        XCTAssertEqual(value(TOMLCorpus.arrayOfTables), [
            "products": [["name": "Hammer", "sku": 738_594_937], [:], ["name": "Nail", "sku": 284_758_393, "color": "gray"]],
        ])
        XCTAssertEqual(value(TOMLCorpus.nestedArrayOfTables), [
            "fruits": [
                ["name": "apple", "physical": ["color": "red", "shape": "round"],
                 "varieties": [["name": "red delicious"], ["name": "granny smith"]]],
                ["name": "banana", "varieties": [["name": "plantain"]]],
            ],
        ])
    }

    /// Keys keep file order (unknown keys are reported top to bottom); keys, headers and
    /// implicit parents keep their lines.
    func testLinesAndOrder() {
        let document = parse(TOMLCorpus.nestedArrayOfTables)
        guard case .tables(let fruits) = document.root["fruits"] else { return XCTFail("fruits") }
        XCTAssertEqual(fruits.map(\.line), [1, 15])
        XCTAssertEqual(fruits[0].keys, ["name", "physical", "varieties"])
        XCTAssertEqual(fruits[0]["name"]?.line, 2)
        XCTAssertEqual(fruits[0]["physical"]?.line, 4)
        guard case .tables(let varieties) = fruits[0]["varieties"] else { return XCTFail("varieties") }
        XCTAssertEqual(varieties.map(\.line), [8, 11])
        XCTAssertEqual(varieties[1]["name"]?.line, 12)

        let dotted = parse(TOMLCorpus.subTableOfDottedKeys)
        guard case .table(let fruit) = dotted.root["fruit"], case .table(let apple) = fruit["apple"] else { return XCTFail("fruit.apple") }
        XCTAssertEqual(apple.line, 2, "a table made by dotted keys has the line of the first key that made it")
        XCTAssertEqual(apple.keys, ["color", "taste", "texture"])
        XCTAssertEqual(apple["texture"]?.line, 8)

        let later = parse(TOMLCorpus.superTableAfterwards)
        XCTAssertEqual(later.root["x"]?.line, 6, "a super-table defined afterwards takes the line of its own header")
    }

    /// CRLF line ends everywhere mean the same document with the same lines.
    func testCRLFDocuments() {
        for (name, text) in TOMLCorpus.valid {
            let crlf = text.replacingOccurrences(of: "\n", with: "\r\n")
            let (document, errors) = TOMLDocument.parse(crlf)
            XCTAssertEqual(errors, [], name)
            XCTAssertEqual(TOMLValue(document.root), TOMLValue(TOMLDocument.parse(text).document.root), name)
        }
    }

    func testEveryValidCorpusDocumentParses() {
        for (name, text) in TOMLCorpus.valid {
            XCTAssertEqual(TOMLDocument.parse(text).errors, [], name)
        }
    }

    // MARK: - Errors

    /// Each invalid document: the first error is on the expected line and says what is wrong.
    func testInvalidDocuments() {
        for item in TOMLCorpus.invalid {
            let errors = TOMLDocument.parse(item.text).errors
            guard let first = errors.first else {
                XCTFail("\(item.name): no error")
                continue
            }
            XCTAssertEqual(first.line, item.line, "\(item.name): \(first.message)")
            XCTAssertTrue(first.message.contains(item.message), "\(item.name): \"\(first.message)\" does not say \"\(item.message)\"")
        }
    }

    /// After an error, reading resumes at the next line: every broken line is reported, and the
    /// good lines around them are read.
    func testErrorsAreCollectedAndReadingResumes() {
        let text = #"""
            a = 1
            b = "bad \q escape"
            c = [1, 2 3]
            d = 007
            s = """
            one \x
            two
            """
            e = 2
            [t
            f = 3
            [u]
            g = { x = 1, }
            h = true
            a = 5
            """#
        let (document, errors) = TOMLDocument.parse(text)
        XCTAssertEqual(errors.map(\.line), [2, 3, 4, 6, 10, 13])
        XCTAssertEqual(errors.map(\.message), [
            #"unknown escape \q in a string"#,
            "expected , or ] after an element of the array (line 3)",
            "007 is not a value: write a string in quotes, a number, true or false",
            #"unknown escape \x in a string"#,
            "a header ends with ]",
            "an inline table has no comma after its last key (TOML 1.0)",
        ])
        // The good lines were read; the multi-line string's error resumed after the string.
        XCTAssertEqual(TOMLValue(document.root), ["a": 1, "e": 2, "u": ["h": true, "a": 5]])
    }

    /// A key defined twice, in every way the spec forbids, with the first line named.
    func testRedefinitionsNameTheFirstLine() {
        let cases: [(String, String)] = [
            ("a = 1\na = 2", "a is defined twice (first at line 1)"),
            ("a.b = 1\na.b = 2", "a.b is defined twice (first at line 1)"),
            ("a = {}\n[a]", "[a] is defined twice (first as an inline table at line 1)"),
            ("[a]\n[b]\n[a]", "[a] is defined twice (first at line 1)"),
            ("[[a]]\n[a]", "a is an array of tables (line 1); write [[a]]"),
        ]
        for (text, message) in cases {
            let errors = TOMLDocument.parse(text).errors
            XCTAssertEqual(errors.map(\.message), [message], text)
        }
    }

    // MARK: - What VigilConfigFile makes of the new forms

    /// An inline table, dotted keys and an array of inline tables are the same data as headers.
    func testConfigReadsEveryFormOfTheSameTables() throws {
        let headers = try VigilConfigFile.parse("[rtsp]\nport = 9554\n[[stream]]\npath = \"a\"\n[[stream]]\npath = \"b\"\n[stream.video]\nfps = 5")
        let inline = try VigilConfigFile.parse("rtsp = { port = 9554 }\nstream = [{ path = \"a\" }, { path = \"b\", video = { fps = 5 } }]")
        let dotted = try VigilConfigFile.parse("rtsp.port = 9554\n[[stream]]\npath = \"a\"\n[[stream]]\npath = \"b\"\nvideo.fps = 5")
        XCTAssertEqual(headers.rtsp.port, 9554)
        XCTAssertEqual(headers.streams.map(\.path), ["a", "b"])
        XCTAssertEqual(headers.streams[1].video.frameRate, 5)
        XCTAssertEqual(inline, headers)
        XCTAssertEqual(dotted, headers)
    }

    /// Where a value is expected, an array or a table is named as such, with the key and line.
    func testConfigNamesArraysAndTablesWhereValuesBelong() {
        let cases: [(text: String, line: Int, key: String, message: String)] = [
            ("[rtsp]\nport = [8554]", 2, "rtsp.port", "must be an integer, not an array"),
            ("[http]\n\nenabled = [\n  true,\n]", 3, "http.enabled", "must be true or false, not an array"),
            ("[[stream]]\npath = { name = \"a\" }", 2, "stream.path", "must be a string, not a table"),
            ("rtsp = [1]", 1, "rtsp", "must be a [rtsp] table, not an array"),
            ("stream = [1, 2]", 1, "stream", "must be [[stream]] tables, not an array of values"),
            ("[rtsp]\nhost = 1979-05-27", 2, "rtsp.host", "must be a string in quotes, got a date"),
            ("[rtsp]\nport = 1.5", 2, "rtsp.port", "must be an integer in 0...65535, got a float"),
        ]
        for item in cases {
            XCTAssertThrowsError(try VigilConfigFile.parse(item.text), item.text) { error in
                guard let error = error as? ConfigError else { return XCTFail("\(error)") }
                XCTAssertEqual(error.problems, [ConfigProblem(line: item.line, key: item.key, message: item.message)], item.text)
            }
        }
    }

    /// `strings(_:)`, for the access keys: a list, or every wrong element with its own line.
    func testTableReaderReadsArraysOfStrings() {
        let document = parse(TOMLCorpus.vigilAccess + "\n[bad]\nlist = [\n  \"ok\",\n  1,\n  [\"nested\"],\n  { a = 1 },\n]\nword = \"x\"\ntable = {}")
        let problems = Problems()
        let top = TableReader(document.root, prefix: "", problems: problems)
        let access = top.table("access")
        XCTAssertEqual(access?.strings("anonymous"), ["view"])
        XCTAssertEqual(access?.strings("ips"), ["192.168.1.0/24", "fd00::/8"])
        XCTAssertNil(access?.strings("missing"))
        let users = top.tables("user")
        XCTAssertEqual(users.map { $0.strings("permissions") }, [["view", "configure", "tokens"], []])
        XCTAssertEqual(top.table("library")?.strings("paths"), ["/srv/recordings", "/mnt/usb"])
        XCTAssertEqual(problems.list, [])

        let bad = top.table("bad")
        XCTAssertNil(bad?.strings("list"))
        XCTAssertNil(bad?.strings("word"))
        XCTAssertNil(bad?.strings("table"))
        XCTAssertEqual(problems.list, [
            ConfigProblem(line: 21, key: "bad.list", message: "element 2 must be a string in quotes, got an integer"),
            ConfigProblem(line: 22, key: "bad.list", message: "element 3 must be a string in quotes, got an array"),
            ConfigProblem(line: 23, key: "bad.list", message: "element 4 must be a string in quotes, got a table"),
            ConfigProblem(line: 25, key: "bad.word", message: "must be an array of strings ([\"a\", \"b\"]), got a string"),
            ConfigProblem(line: 26, key: "bad.table", message: "must be an array of strings ([\"a\", \"b\"]), not a table"),
        ])
    }
}
