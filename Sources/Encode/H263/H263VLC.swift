/// The variable-length codes of ITU-T H.263 (03/2005) §5.3–5.4 used by a baseline encoder,
/// written out from the standard's tables as (code, length) pairs, the code right-aligned.
enum H263VLC {
    struct Code: Hashable {
        var bits: UInt32
        var length: Int
        init(_ bits: UInt32, _ length: Int) {
            self.bits = bits
            self.length = length
        }
    }

    /// Table 7 — MCBPC for I-pictures, by CBPC (Cb bit then Cr bit): MB type 3 (INTRA).
    static let mcbpcIntraPicture: [Code] = [
        Code(0b1, 1),       // CBPC 00
        Code(0b001, 3),     // CBPC 01
        Code(0b010, 3),     // CBPC 10
        Code(0b011, 3),     // CBPC 11
    ]

    /// Table 8 — MCBPC for P-pictures, MB type 0 (INTER), by CBPC.
    static let mcbpcInter: [Code] = [
        Code(0b1, 1),          // CBPC 00
        Code(0b0011, 4),       // CBPC 01
        Code(0b0010, 4),       // CBPC 10
        Code(0b000101, 6),     // CBPC 11
    ]

    /// Table 8 — MCBPC for P-pictures, MB type 3 (INTRA), by CBPC.
    static let mcbpcIntraInPPicture: [Code] = [
        Code(0b00011, 5),      // CBPC 00
        Code(0b00000100, 8),   // CBPC 01
        Code(0b00000011, 8),   // CBPC 10
        Code(0b0000011, 7),    // CBPC 11
    ]

    /// Table 13 — CBPY by the intra pattern Y1Y2Y3Y4 (Y1 the most significant bit). An
    /// inter macroblock sends the code of the inverted pattern (15 − CBPY).
    static let cbpy: [Code] = [
        Code(0b0011, 4), Code(0b00101, 5), Code(0b00100, 5), Code(0b1001, 4),
        Code(0b00011, 5), Code(0b0111, 4), Code(0b000010, 6), Code(0b1011, 4),
        Code(0b00010, 5), Code(0b000011, 6), Code(0b0101, 4), Code(0b1010, 4),
        Code(0b0100, 4), Code(0b1000, 4), Code(0b0110, 4), Code(0b11, 2),
    ]

    /// Table 14 — MVD by magnitude in half-pel units (0…32); a sign bit follows every code
    /// but the one for 0 (0 = positive).
    static let motionVectorMagnitude: [Code] = [
        Code(0b1, 1), Code(0b01, 2), Code(0b001, 3), Code(0b0001, 4),
        Code(0b000011, 6), Code(0b0000101, 7), Code(0b0000100, 7), Code(0b0000011, 7),
        Code(0b000001011, 9), Code(0b000001010, 9), Code(0b000001001, 9), Code(0b0000010001, 10),
        Code(0b0000010000, 10), Code(0b0000001111, 10), Code(0b0000001110, 10), Code(0b0000001101, 10),
        Code(0b0000001100, 10), Code(0b0000001011, 10), Code(0b0000001010, 10), Code(0b0000001001, 10),
        Code(0b0000001000, 10), Code(0b0000000111, 10), Code(0b0000000110, 10), Code(0b0000000101, 10),
        Code(0b0000000100, 10), Code(0b00000000111, 11), Code(0b00000000110, 11), Code(0b00000000101, 11),
        Code(0b00000000100, 11), Code(0b00000000011, 11), Code(0b00000000010, 11), Code(0b000000000011, 12),
        Code(0b000000000010, 12),
    ]

    /// Table 16 — TCOEF: (LAST, RUN, |LEVEL|) → code without its trailing sign bit
    /// (0 = positive). Events not listed use ESCAPE + LAST(1) + RUN(6) + LEVEL(8).
    static let transformCoefficients: [(last: Int, run: Int, level: Int, code: Code)] = {
        // Rows of Table 16 grouped by (LAST, RUN): codes for LEVEL = 1, 2, 3, …
        let rows: [(last: Int, run: Int, codes: [Code])] = [
            (0, 0, [Code(0b10, 2), Code(0b1111, 4), Code(0b010101, 6), Code(0b0010111, 7), Code(0b00011111, 8),
                    Code(0b000100101, 9), Code(0b000100100, 9), Code(0b0000100001, 10), Code(0b0000100000, 10),
                    Code(0b00000000111, 11), Code(0b00000000110, 11), Code(0b00000100000, 11)]),
            (0, 1, [Code(0b110, 3), Code(0b010100, 6), Code(0b00011110, 8), Code(0b0000001111, 10),
                    Code(0b00000100001, 11), Code(0b000001010000, 12)]),
            (0, 2, [Code(0b1110, 4), Code(0b00011101, 8), Code(0b0000001110, 10), Code(0b000001010001, 12)]),
            (0, 3, [Code(0b01101, 5), Code(0b000100011, 9), Code(0b0000001101, 10)]),
            (0, 4, [Code(0b01100, 5), Code(0b000100010, 9), Code(0b000001010010, 12)]),
            (0, 5, [Code(0b01011, 5), Code(0b0000001100, 10), Code(0b000001010011, 12)]),
            (0, 6, [Code(0b010011, 6), Code(0b0000001011, 10), Code(0b000001010100, 12)]),
            (0, 7, [Code(0b010010, 6), Code(0b0000001010, 10)]),
            (0, 8, [Code(0b010001, 6), Code(0b0000001001, 10)]),
            (0, 9, [Code(0b010000, 6), Code(0b0000001000, 10)]),
            (0, 10, [Code(0b0010110, 7), Code(0b000001010101, 12)]),
            (0, 11, [Code(0b0010101, 7)]),
            (0, 12, [Code(0b0010100, 7)]),
            (0, 13, [Code(0b00011100, 8)]),
            (0, 14, [Code(0b00011011, 8)]),
            (0, 15, [Code(0b000100001, 9)]),
            (0, 16, [Code(0b000100000, 9)]),
            (0, 17, [Code(0b000011111, 9)]),
            (0, 18, [Code(0b000011110, 9)]),
            (0, 19, [Code(0b000011101, 9)]),
            (0, 20, [Code(0b000011100, 9)]),
            (0, 21, [Code(0b000011011, 9)]),
            (0, 22, [Code(0b000011010, 9)]),
            (0, 23, [Code(0b00000100010, 11)]),
            (0, 24, [Code(0b00000100011, 11)]),
            (0, 25, [Code(0b000001010110, 12)]),
            (0, 26, [Code(0b000001010111, 12)]),
            (1, 0, [Code(0b0111, 4), Code(0b000011001, 9), Code(0b00000000101, 11)]),
            (1, 1, [Code(0b001111, 6), Code(0b00000000100, 11)]),
            (1, 2, [Code(0b001110, 6)]),
            (1, 3, [Code(0b001101, 6)]),
            (1, 4, [Code(0b001100, 6)]),
            (1, 5, [Code(0b0010011, 7)]),
            (1, 6, [Code(0b0010010, 7)]),
            (1, 7, [Code(0b0010001, 7)]),
            (1, 8, [Code(0b0010000, 7)]),
            (1, 9, [Code(0b00011010, 8)]),
            (1, 10, [Code(0b00011001, 8)]),
            (1, 11, [Code(0b00011000, 8)]),
            (1, 12, [Code(0b00010111, 8)]),
            (1, 13, [Code(0b00010110, 8)]),
            (1, 14, [Code(0b00010101, 8)]),
            (1, 15, [Code(0b00010100, 8)]),
            (1, 16, [Code(0b00010011, 8)]),
            (1, 17, [Code(0b000011000, 9)]),
            (1, 18, [Code(0b000010111, 9)]),
            (1, 19, [Code(0b000010110, 9)]),
            (1, 20, [Code(0b000010101, 9)]),
            (1, 21, [Code(0b000010100, 9)]),
            (1, 22, [Code(0b000010011, 9)]),
            (1, 23, [Code(0b000010010, 9)]),
            (1, 24, [Code(0b000010001, 9)]),
            (1, 25, [Code(0b0000000111, 10)]),
            (1, 26, [Code(0b0000000110, 10)]),
            (1, 27, [Code(0b0000000101, 10)]),
            (1, 28, [Code(0b0000000100, 10)]),
            (1, 29, [Code(0b00000100100, 11)]),
            (1, 30, [Code(0b00000100101, 11)]),
            (1, 31, [Code(0b00000100110, 11)]),
            (1, 32, [Code(0b00000100111, 11)]),
            (1, 33, [Code(0b000001011000, 12)]),
            (1, 34, [Code(0b000001011001, 12)]),
            (1, 35, [Code(0b000001011010, 12)]),
            (1, 36, [Code(0b000001011011, 12)]),
            (1, 37, [Code(0b000001011100, 12)]),
            (1, 38, [Code(0b000001011101, 12)]),
            (1, 39, [Code(0b000001011110, 12)]),
            (1, 40, [Code(0b000001011111, 12)]),
        ]
        return rows.flatMap { row in
            row.codes.enumerated().map { (row.last, row.run, $0.offset + 1, $0.element) }
        }
    }()

    /// Table 16 ESCAPE: followed by LAST (1 bit), RUN (6 bits) and LEVEL (8 bits, two's complement).
    static let escape = Code(0b0000011, 7)

    /// Largest |LEVEL| and RUN that Table 16 can hold, for the lookup below.
    static let maxTabulatedLevel = 12
    static let maxTabulatedRun = 40

    /// TCOEF codes by `(last * 64 + run) * 16 + level`; length 0 = not in the table (escape).
    static let coefficientLookup: [Code] = {
        var table = [Code](repeating: Code(0, 0), count: 2 * 64 * 16)
        for entry in transformCoefficients {
            table[(entry.last * 64 + entry.run) * 16 + entry.level] = entry.code
        }
        return table
    }()
}
