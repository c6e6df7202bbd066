/// The 8x8 DCT pair of ITU-T H.263 Annex A, in integer arithmetic: the Loeffler–Ligtenberg–
/// Moschytz factorisation (12 multiplies per 8-point pass) with 13-bit constants and two
/// extra bits of precision between the passes.
///
/// Arithmetic wraps (`&+`, `&*`) instead of trapping: the ranges are bounded by design
/// (9-bit input, 13-bit constants, well inside 32 bits), and overflow checks would keep the
/// compiler from vectorizing the passes.
///
/// `forward` leaves coefficients scaled by 8 (the quantizer divides that out for free);
/// `inverse` takes true coefficients (H.263's dequantized values) and is accurate to well
/// inside the IEEE 1180 limits the standard asks of a decoder's IDCT, so the encoder's
/// reconstruction and a decoder's stay together between intra refreshes.
enum H263Transform {
    static let constantBits: Int32 = 13
    static let passBits: Int32 = 2
    // cos/sin products of the factorisation, × 2^13.
    static let c0_298631336: Int32 = 2446
    static let c0_390180644: Int32 = 3196
    static let c0_541196100: Int32 = 4433
    static let c0_765366865: Int32 = 6270
    static let c0_899976223: Int32 = 7373
    static let c1_175875602: Int32 = 9633
    static let c1_501321110: Int32 = 12299
    static let c1_847759065: Int32 = 15137
    static let c1_961570560: Int32 = 16069
    static let c2_053119869: Int32 = 16819
    static let c2_562915447: Int32 = 20995
    static let c3_072711026: Int32 = 25172

    @inline(__always)
    static func descale(_ x: Int32, _ n: Int32) -> Int32 { (x &+ (1 &<< (n &- 1))) &>> n }

    /// In place on 64 values in raster order; output is 8 × the orthonormal DCT.
    static func forward(_ block: UnsafeMutablePointer<Int32>) {
        // Rows: results scaled up by 2^passBits.
        for row in 0..<8 {
            let p = block + row * 8
            let tmp0 = p[0] &+ p[7], tmp7 = p[0] &- p[7]
            let tmp1 = p[1] &+ p[6], tmp6 = p[1] &- p[6]
            let tmp2 = p[2] &+ p[5], tmp5 = p[2] &- p[5]
            let tmp3 = p[3] &+ p[4], tmp4 = p[3] &- p[4]
            let tmp10 = tmp0 &+ tmp3, tmp13 = tmp0 &- tmp3
            let tmp11 = tmp1 &+ tmp2, tmp12 = tmp1 &- tmp2
            p[0] = (tmp10 &+ tmp11) &<< passBits
            p[4] = (tmp10 &- tmp11) &<< passBits
            let z1 = (tmp12 &+ tmp13) &* c0_541196100
            p[2] = descale(z1 &+ tmp13 &* c0_765366865, constantBits &- passBits)
            p[6] = descale(z1 &- tmp12 &* c1_847759065, constantBits &- passBits)
            odd(tmp4, tmp5, tmp6, tmp7, p, stride: 1, shift: constantBits &- passBits)
        }
        // Columns: remove the pass bits.
        for column in 0..<8 {
            let p = block + column
            let tmp0 = p[0] &+ p[56], tmp7 = p[0] &- p[56]
            let tmp1 = p[8] &+ p[48], tmp6 = p[8] &- p[48]
            let tmp2 = p[16] &+ p[40], tmp5 = p[16] &- p[40]
            let tmp3 = p[24] &+ p[32], tmp4 = p[24] &- p[32]
            let tmp10 = tmp0 &+ tmp3, tmp13 = tmp0 &- tmp3
            let tmp11 = tmp1 &+ tmp2, tmp12 = tmp1 &- tmp2
            p[0] = descale(tmp10 &+ tmp11, passBits)
            p[32] = descale(tmp10 &- tmp11, passBits)
            let z1 = (tmp12 &+ tmp13) &* c0_541196100
            p[16] = descale(z1 &+ tmp13 &* c0_765366865, constantBits &+ passBits)
            p[48] = descale(z1 &- tmp12 &* c1_847759065, constantBits &+ passBits)
            odd(tmp4, tmp5, tmp6, tmp7, p, stride: 8, shift: constantBits &+ passBits)
        }
    }

    /// The odd half of the forward butterfly: outputs 1, 3, 5, 7.
    @inline(__always)
    private static func odd(_ t4: Int32, _ t5: Int32, _ t6: Int32, _ t7: Int32, _ p: UnsafeMutablePointer<Int32>, stride: Int, shift: Int32) {
        var z1 = t4 &+ t7, z2 = t5 &+ t6, z3 = t4 &+ t6, z4 = t5 &+ t7
        let z5 = (z3 &+ z4) &* c1_175875602
        let a4 = t4 &* c0_298631336, a5 = t5 &* c2_053119869
        let a6 = t6 &* c3_072711026, a7 = t7 &* c1_501321110
        z1 = z1 &* -c0_899976223
        z2 = z2 &* -c2_562915447
        z3 = z3 &* -c1_961570560 &+ z5
        z4 = z4 &* -c0_390180644 &+ z5
        p[7 &* stride] = descale(a4 &+ z1 &+ z3, shift)
        p[5 &* stride] = descale(a5 &+ z2 &+ z4, shift)
        p[3 &* stride] = descale(a6 &+ z2 &+ z3, shift)
        p[1 &* stride] = descale(a7 &+ z1 &+ z4, shift)
    }

    /// In place on 64 coefficients in raster order; output is the residual (or pixels).
    static func inverse(_ block: UnsafeMutablePointer<Int32>) {
        // Columns first; a column with no AC term (the common case) is its DC, shifted.
        for column in 0..<8 {
            let p = block + column
            if p[8] == 0 && p[16] == 0 && p[24] == 0 && p[32] == 0 && p[40] == 0 && p[48] == 0 && p[56] == 0 {
                let dc = p[0] &<< passBits
                for k in 0..<8 { p[k &* 8] = dc }
                continue
            }
            inverse8(p, stride: 8, shift: constantBits &- passBits)
        }
        // Rows: remove the pass bits and the 1/8 of the 2-D transform.
        for row in 0..<8 {
            inverse8(block + row * 8, stride: 1, shift: constantBits + passBits + 3)
        }
    }

    @inline(__always)
    private static func inverse8(_ p: UnsafeMutablePointer<Int32>, stride s: Int, shift: Int32) {
        // Even part.
        var z2 = p[2 &* s], z3 = p[6 &* s]
        var z1 = (z2 &+ z3) &* c0_541196100
        let e2 = z1 &- z3 &* c1_847759065
        let e3 = z1 &+ z2 &* c0_765366865
        z2 = p[0]
        z3 = p[4 &* s]
        let e0 = (z2 &+ z3) &<< constantBits
        let e1 = (z2 &- z3) &<< constantBits
        let tmp10 = e0 &+ e3, tmp13 = e0 &- e3
        let tmp11 = e1 &+ e2, tmp12 = e1 &- e2
        // Odd part.
        var o0 = p[7 &* s], o1 = p[5 &* s], o2 = p[3 &* s], o3 = p[1 &* s]
        z1 = o0 &+ o3
        z2 = o1 &+ o2
        z3 = o0 &+ o2
        var z4 = o1 &+ o3
        let z5 = (z3 &+ z4) &* c1_175875602
        o0 = o0 &* c0_298631336
        o1 = o1 &* c2_053119869
        o2 = o2 &* c3_072711026
        o3 = o3 &* c1_501321110
        z1 = z1 &* -c0_899976223
        z2 = z2 &* -c2_562915447
        z3 = z3 &* -c1_961570560 &+ z5
        z4 = z4 &* -c0_390180644 &+ z5
        o0 &+= z1 &+ z3
        o1 &+= z2 &+ z4
        o2 &+= z2 &+ z3
        o3 &+= z1 &+ z4
        p[0] = descale(tmp10 &+ o3, shift)
        p[7 &* s] = descale(tmp10 &- o3, shift)
        p[1 &* s] = descale(tmp11 &+ o2, shift)
        p[6 &* s] = descale(tmp11 &- o2, shift)
        p[2 &* s] = descale(tmp12 &+ o1, shift)
        p[5 &* s] = descale(tmp12 &- o1, shift)
        p[3 &* s] = descale(tmp13 &+ o0, shift)
        p[4 &* s] = descale(tmp13 &- o0, shift)
    }

    /// Zigzag scan (H.263 Figure 14): scan position → raster index.
    static let zigzag: [Int] = [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
        12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
        58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
    ]
}
