/// Codes one picture at a time into an ITU-T H.263 bitstream: picture layer (§5.1), GOB
/// layer (§5.2), macroblock layer (§5.3) and block layer (§5.4) of the baseline, with the
/// H.263+ PLUSPTYPE header only for custom picture sizes.
///
/// Owns every buffer it uses (source, reference and reconstruction planes, block scratch),
/// allocated once: coding a picture allocates nothing but its output bytes. Every GOB after
/// the first carries a header and starts on a byte boundary, so a packetizer can begin a
/// packet at any GOB.
final class H263PictureCoder {
    let format: H263PictureFormat
    let width: Int
    let height: Int
    let macroblockColumns: Int
    let macroblockRows: Int
    let rowsPerGOB: Int
    let gobCount: Int
    let searchRange: Int

    /// The picture to code (written by the caller through `sourcePlanes`).
    private let source: Planes
    /// The previous reconstructed picture, and the one being reconstructed now.
    private var reference: Planes
    private var reconstruction: Planes
    /// Coefficients of the six blocks of a macroblock (raster order), then their levels.
    private let coefficients: UnsafeMutablePointer<Int32>
    private let levels: UnsafeMutablePointer<Int32>
    /// The prediction of a macroblock: 16x16 luma, then 8x8 Cb and Cr.
    private let prediction: UnsafeMutablePointer<UInt8>
    /// Motion vectors (half-pel) of the current and previous picture per macroblock; zero for
    /// intra and skipped macroblocks, as the predictor rules of §6.1.1 want.
    private let vectorsX: UnsafeMutablePointer<Int32>
    private let vectorsY: UnsafeMutablePointer<Int32>
    private let previousVectorsX: UnsafeMutablePointer<Int32>
    private let previousVectorsY: UnsafeMutablePointer<Int32>
    /// Times each macroblock was coded inter since it was last coded intra (§4.4: at most 132).
    private let interCount: UnsafeMutablePointer<Int32>
    /// Bits each GOB took in the last picture of each type, for steering within a picture.
    private var gobBitsIntra: [Int]
    private var gobBitsInter: [Int]
    private let zigzag: UnsafeMutablePointer<Int>
    private let coefficientCodes: UnsafeMutablePointer<H263VLC.Code>
    private var hasReference = false

    /// §4.4 allows 132; refresh a little earlier.
    static let intraRefreshCount: Int32 = 120

    struct Planes {
        let y: UnsafeMutablePointer<UInt8>
        let u: UnsafeMutablePointer<UInt8>
        let v: UnsafeMutablePointer<UInt8>

        init(width: Int, height: Int) {
            y = .allocate(capacity: width * height)
            u = .allocate(capacity: width * height / 4)
            v = .allocate(capacity: width * height / 4)
            y.initialize(repeating: 0, count: width * height)
            u.initialize(repeating: 128, count: width * height / 4)
            v.initialize(repeating: 128, count: width * height / 4)
        }

        func deallocate() {
            y.deallocate()
            u.deallocate()
            v.deallocate()
        }
    }

    /// The result of one picture: its bytes and where each GOB starts in them.
    struct CodedPicture {
        var bytes: [UInt8]
        var gobOffsets: [Int]
        var meanQP: Double
    }

    init(format: H263PictureFormat, searchRange: Int) {
        self.format = format
        width = format.width
        height = format.height
        macroblockColumns = width / 16
        macroblockRows = height / 16
        rowsPerGOB = format.macroblockRowsPerGOB
        gobCount = (macroblockRows + rowsPerGOB - 1) / rowsPerGOB
        self.searchRange = min(max(1, searchRange), 15)
        source = Planes(width: width, height: height)
        reference = Planes(width: width, height: height)
        reconstruction = Planes(width: width, height: height)
        coefficients = .allocate(capacity: 64 * 6)
        levels = .allocate(capacity: 64 * 6)
        prediction = .allocate(capacity: 256 + 128)
        let macroblocks = macroblockColumns * macroblockRows
        vectorsX = .allocate(capacity: macroblocks)
        vectorsY = .allocate(capacity: macroblocks)
        previousVectorsX = .allocate(capacity: macroblocks)
        previousVectorsY = .allocate(capacity: macroblocks)
        interCount = .allocate(capacity: macroblocks)
        for buffer in [vectorsX, vectorsY, previousVectorsX, previousVectorsY, interCount] {
            buffer.initialize(repeating: 0, count: macroblocks)
        }
        gobBitsIntra = [Int](repeating: 1, count: gobCount)
        gobBitsInter = [Int](repeating: 1, count: gobCount)
        zigzag = .allocate(capacity: 64)
        zigzag.initialize(from: H263Transform.zigzag, count: 64)
        coefficientCodes = .allocate(capacity: H263VLC.coefficientLookup.count)
        coefficientCodes.initialize(from: H263VLC.coefficientLookup, count: H263VLC.coefficientLookup.count)
    }

    deinit {
        source.deallocate()
        reference.deallocate()
        reconstruction.deallocate()
        coefficients.deallocate()
        levels.deallocate()
        prediction.deallocate()
        for buffer in [vectorsX, vectorsY, previousVectorsX, previousVectorsY, interCount] { buffer.deallocate() }
        zigzag.deallocate()
        coefficientCodes.deallocate()
    }

    /// Where the caller writes the next picture (I420 planes of the coded size).
    var sourcePlanes: (y: UnsafeMutablePointer<UInt8>, u: UnsafeMutablePointer<UInt8>, v: UnsafeMutablePointer<UInt8>) {
        (source.y, source.u, source.v)
    }

    /// The last reconstructed picture, as a decoder sees it (for tests).
    func reconstructedPicture() -> [UInt8] {
        let lumaSize = width * height
        return Array(UnsafeBufferPointer(start: reference.y, count: lumaSize))
            + Array(UnsafeBufferPointer(start: reference.u, count: lumaSize / 4))
            + Array(UnsafeBufferPointer(start: reference.v, count: lumaSize / 4))
    }

    /// Codes the picture in `sourcePlanes`: intra if asked or if there is no reference yet.
    /// `stuffingBits` (rounded up to whole codewords) are spread over the macroblocks.
    func code(intra requestedIntra: Bool, quantizer: Int, temporalReference: Int, targetBits: Double, stuffingBits: Int = 0) -> CodedPicture {
        let intra = requestedIntra || !hasReference
        var writer = H263BitWriter(capacity: max(4096, Int(targetBits / 8) * 2))
        writePictureHeader(&writer, intra: intra, quantizer: quantizer, temporalReference: temporalReference)
        let macroblocks = macroblockColumns * macroblockRows
        previousVectorsX.update(from: vectorsX, count: macroblocks)
        previousVectorsY.update(from: vectorsY, count: macroblocks)

        var gobOffsets: [Int] = []
        gobOffsets.reserveCapacity(gobCount)
        let profile = intra ? gobBitsIntra : gobBitsInter
        let profileTotal = Double(profile.reduce(0, +))
        var expectedSoFar = 0.0
        var qp = quantizer
        var qpSum = 0
        var gobBits = [Int](repeating: 0, count: gobCount)
        // MCBPC stuffing (Tables 7 and 8): 9 bits, after COD = 0 in a P-picture.
        let stuffingCodeLength = intra ? 9 : 10
        let stuffingCodes = (stuffingBits + stuffingCodeLength - 1) / stuffingCodeLength
        var macroblockNumber = 0
        for gob in 0..<gobCount {
            let gobStart = writer.bitCount
            if gob > 0 {
                // Steer within the picture: compare the bits spent with what the last picture
                // of this type spent on the same GOBs, scaled to this picture's target.
                let spent = Double(gobStart)
                if spent > expectedSoFar * 1.15 + 256 {
                    qp = min(qp + 1, quantizer + 3, H263RateControl.maximumQP)
                } else if spent < expectedSoFar * 0.85 - 256 {
                    qp = max(qp - 1, quantizer - 3, H263RateControl.minimumQP)
                }
                writer.alignWithZeros()
                gobOffsets.append(writer.bytes.count)
                writeGOBHeader(&writer, number: gob, intra: intra, quantizer: qp)
            } else {
                gobOffsets.append(0)
            }
            expectedSoFar += targetBits * Double(profile[gob]) / max(1, profileTotal)
            qpSum += qp
            let firstRow = gob * rowsPerGOB
            for row in firstRow..<min(firstRow + rowsPerGOB, macroblockRows) {
                for column in 0..<macroblockColumns {
                    if stuffingCodes > 0 {
                        let count = (macroblockNumber + 1) * stuffingCodes / macroblocks - macroblockNumber * stuffingCodes / macroblocks
                        for _ in 0..<count { writer.write(1, count: stuffingCodeLength) }
                    }
                    macroblockNumber += 1
                    if intra {
                        codeIntraMacroblock(&writer, column: column, row: row, quantizer: qp, inPPicture: false)
                    } else {
                        codeInterMacroblock(&writer, column: column, row: row, gobFirstRow: firstRow, quantizer: qp)
                    }
                }
            }
            gobBits[gob] = max(1, writer.bitCount - gobStart)
        }
        writer.alignWithZeros()
        if intra { gobBitsIntra = gobBits } else { gobBitsInter = gobBits }
        swap(&reference, &reconstruction)
        hasReference = true
        return CodedPicture(bytes: writer.take(), gobOffsets: gobOffsets, meanQP: Double(qpSum) / Double(gobCount))
    }

    // MARK: Headers

    /// §5.1: PSC, TR, PTYPE (and for custom sizes PLUSPTYPE, CPM, CPFMT), PQUANT, CPM, PEI.
    private func writePictureHeader(_ w: inout H263BitWriter, intra: Bool, quantizer: Int, temporalReference: Int) {
        w.write(0b1_00000, count: 22)                 // PSC: 16 zeros, 1, 5 zeros
        w.write(UInt32(temporalReference & 0xFF), count: 8) // TR
        w.write(0b10, count: 2)                       // PTYPE 1–2: marker 1, 0 (not H.261)
        w.write(0b000, count: 3)                      // PTYPE 3–5: split screen, document camera, freeze release
        if let code = format.sourceFormatCode {
            w.write(code, count: 3)                   // PTYPE 6–8: source format
            w.write(intra ? 0 : 1, count: 1)          // PTYPE 9: picture coding type
            w.write(0b0000, count: 4)                 // PTYPE 10–13: UMV, SAC, AP, PB frames off
            w.write(UInt32(quantizer), count: 5)      // PQUANT
            w.write(0, count: 1)                      // CPM off
        } else {
            w.write(0b111, count: 3)                  // PTYPE 6–8: extended PTYPE
            w.write(0b001, count: 3)                  // UFEP: OPPTYPE follows
            w.write(0b110, count: 3)                  // OPPTYPE 1–3: custom source format
            w.write(0, count: 11)                     // OPPTYPE 4–14: custom PCF and every optional mode off
            w.write(0b1000, count: 4)                 // OPPTYPE 15–18: marker 1, 000
            w.write(intra ? 0b000 : 0b001, count: 3)  // MPPTYPE 1–3: I or P picture
            w.write(0b000, count: 3)                  // MPPTYPE 4–6: RPR, RRU off, rounding type 0
            w.write(0b001, count: 3)                  // MPPTYPE 7–9: 00, marker 1
            w.write(0, count: 1)                      // CPM off
            w.write(0b0001, count: 4)                 // CPFMT PAR: 1:1 (square pixels)
            w.write(UInt32(width / 4 - 1), count: 9)  // CPFMT PWI: (width / 4) − 1
            w.write(1, count: 1)                      // CPFMT bit 14: marker 1
            w.write(UInt32(height / 4), count: 9)     // CPFMT PHI: height / 4
            w.write(UInt32(quantizer), count: 5)      // PQUANT
        }
        w.write(0, count: 1)                          // PEI: no PSUPP
    }

    /// §5.2: GBSC, GN, GFID, GQUANT (no GSBI: CPM is off).
    private func writeGOBHeader(_ w: inout H263BitWriter, number: Int, intra: Bool, quantizer: Int) {
        w.write(1, count: 17)                         // GBSC: 16 zeros, 1
        w.write(UInt32(number), count: 5)             // GN
        // GFID: equal in every GOB of a picture and between pictures of the same PTYPE.
        w.write(intra ? 0 : 1, count: 2)
        w.write(UInt32(quantizer), count: 5)          // GQUANT
    }

    // MARK: Macroblocks

    /// The six 8x8 blocks of a macroblock: plane pointer and stride.
    @inline(__always)
    private func block(_ planes: Planes, _ index: Int, column: Int, row: Int) -> (UnsafeMutablePointer<UInt8>, Int) {
        if index < 4 {
            let x = column * 16 + (index & 1) * 8
            let y = row * 16 + (index >> 1) * 8
            return (planes.y + y * width + x, width)
        }
        let chromaWidth = width / 2
        let offset = row * 8 * chromaWidth + column * 8
        return (index == 4 ? planes.u + offset : planes.v + offset, chromaWidth)
    }

    private func codeIntraMacroblock(_ w: inout H263BitWriter, column: Int, row: Int, quantizer qp: Int, inPPicture: Bool) {
        var cbp = 0
        let qp32 = Int32(qp)
        for b in 0..<6 {
            let (src, stride) = block(source, b, column: column, row: row)
            let coef = coefficients + b * 64
            let lev = levels + b * 64
            for y in 0..<8 {
                for x in 0..<8 { coef[y * 8 + x] = Int32(src[y * stride + x]) }
            }
            H263Transform.forward(coef)
            // INTRADC (§5.4.1): the DC divided by 8, rounded, in 1…254. The transform's output
            // is 8 × the coefficient, hence 64.
            lev[0] = min(max((coef[0] + 32) >> 6, 1), 254)
            // |c| / (16·QP) by a reciprocal: any rounding is the encoder's choice, and a
            // division per coefficient would cost more than the transform.
            let reciprocal = (1 << 20) / (16 * qp32)
            if quantize(coef + 1, into: lev + 1, count: 63, deadZone: 0, reciprocal: reciprocal) > 0 {
                cbp |= 1 << (5 - b)
            }
        }
        let index = row * macroblockColumns + column
        vectorsX[index] = 0
        vectorsY[index] = 0
        interCount[index] = 0
        if inPPicture {
            w.write(0, count: 1)  // COD: coded
            let code = H263VLC.mcbpcIntraInPPicture[cbp & 3]
            w.write(code.bits, count: code.length)
        } else {
            let code = H263VLC.mcbpcIntraPicture[cbp & 3]
            w.write(code.bits, count: code.length)
        }
        let cbpy = H263VLC.cbpy[cbp >> 2]
        w.write(cbpy.bits, count: cbpy.length)
        for b in 0..<6 {
            let lev = levels + b * 64
            // INTRADC 128 is sent as 255 (§5.4.1 Table 15).
            w.write(lev[0] == 128 ? 255 : UInt32(lev[0]), count: 8)
            if cbp & (1 << (5 - b)) != 0 { writeCoefficients(&w, lev, start: 1) }
            // Reconstruct as a decoder does.
            let coef = coefficients + b * 64
            coef[0] = lev[0] * 8
            for i in 1..<64 { coef[i] = dequantize(lev[i], qp32) }
            H263Transform.inverse(coef)
            let (dst, stride) = block(reconstruction, b, column: column, row: row)
            for y in 0..<8 {
                for x in 0..<8 { dst[y * stride + x] = clampPixel(coef[y * 8 + x]) }
            }
        }
    }

    private func codeInterMacroblock(_ w: inout H263BitWriter, column: Int, row: Int, gobFirstRow: Int, quantizer qp: Int) {
        let index = row * macroblockColumns + column
        if interCount[index] >= Self.intraRefreshCount {
            codeIntraMacroblock(&w, column: column, row: row, quantizer: qp, inPPicture: true)
            return
        }
        let predictor = vectorPredictor(column: column, row: row, gobFirstRow: gobFirstRow)
        let search = motionSearch(column: column, row: row, predictor: predictor, quantizer: qp)
        if search.intra {
            codeIntraMacroblock(&w, column: column, row: row, quantizer: qp, inPPicture: true)
            return
        }
        let mvx = search.x
        let mvy = search.y
        buildPrediction(column: column, row: row, mvx: mvx, mvy: mvy)

        let qp32 = Int32(qp)
        var cbp = 0
        var clipped = false
        // A block whose residual sums to less than 10·QP in magnitude has every coefficient
        // under 2.5·QP (each basis function is at most 1/4), so it quantizes to zero.
        let zeroBound = 10 * qp32
        for b in 0..<6 {
            let (src, stride) = block(source, b, column: column, row: row)
            let pred = predictionBlock(b)
            let coef = coefficients + b * 64
            var total: Int32 = 0
            for y in 0..<8 {
                let s = src + y * stride, q = pred.pointer + y * pred.stride, c = coef + y * 8
                for x in 0..<8 {
                    let r = Int32(s[x]) &- Int32(q[x])
                    c[x] = r
                    total &+= (r ^ (r &>> 31)) &- (r &>> 31)  // |r|, without a branch
                }
            }
            guard total >= zeroBound else { continue }
            H263Transform.forward(coef)
            let lev = levels + b * 64
            // Inter: a dead zone of QP/2 (on the 8× scale, 4·QP) keeps noise out.
            let peak = quantize(coef, into: lev, count: 64, deadZone: 4 * qp32, reciprocal: (1 << 20) / (16 * qp32))
            if peak > 0 { cbp |= 1 << (5 - b) }
            if peak > 127 { clipped = true }
        }
        if clipped {
            // At a low QP a large change (a scene cut, a light switched on) needs levels beyond
            // 127, which inter coding cannot send and would leave behind for pictures to come;
            // intra sends the block means exactly (INTRADC) and fixes it now.
            codeIntraMacroblock(&w, column: column, row: row, quantizer: qp, inPPicture: true)
            return
        }

        if cbp == 0 && mvx == 0 && mvy == 0 {
            w.write(1, count: 1)  // COD: not coded; the decoder copies the reference
            vectorsX[index] = 0
            vectorsY[index] = 0
            interCount[index] += 1
            copyPrediction(column: column, row: row)
            return
        }
        vectorsX[index] = mvx
        vectorsY[index] = mvy
        interCount[index] += 1
        w.write(0, count: 1)  // COD: coded
        let mcbpc = H263VLC.mcbpcInter[cbp & 3]
        w.write(mcbpc.bits, count: mcbpc.length)
        let cbpy = H263VLC.cbpy[15 - (cbp >> 2)]  // inter: the inverted pattern's code
        w.write(cbpy.bits, count: cbpy.length)
        writeVectorDifference(&w, mvx - predictor.x)
        writeVectorDifference(&w, mvy - predictor.y)
        for b in 0..<6 {
            let pred = predictionBlock(b)
            let (dst, stride) = block(reconstruction, b, column: column, row: row)
            if cbp & (1 << (5 - b)) == 0 {
                for y in 0..<8 {
                    (dst + y * stride).update(from: pred.pointer + y * pred.stride, count: 8)
                }
                continue
            }
            let lev = levels + b * 64
            writeCoefficients(&w, lev, start: 0)
            let coef = coefficients + b * 64
            for i in 0..<64 { coef[i] = dequantize(lev[i], qp32) }
            H263Transform.inverse(coef)
            for y in 0..<8 {
                for x in 0..<8 {
                    dst[y * stride + x] = clampPixel(Int32(pred.pointer[y * pred.stride + x]) &+ coef[y * 8 + x])
                }
            }
        }
    }

    /// Levels = (|c| − deadZone) / (16·QP), clipped to 127 (the largest LEVEL, §5.4.2), sign
    /// kept; `reciprocal` is 2^20 / (16·QP). Branch-free so the loop vectorizes. Returns the
    /// largest magnitude before clipping: 0 = nothing to code, above 127 = clipped.
    @inline(__always)
    private func quantize(
        _ coef: UnsafeMutablePointer<Int32>, into lev: UnsafeMutablePointer<Int32>, count: Int, deadZone: Int32, reciprocal: Int32
    ) -> Int32 {
        var peak: Int32 = 0
        for i in 0..<count {
            let c = coef[i]
            let sign = c &>> 31
            let a = max(((c ^ sign) &- sign) &- deadZone, 0)
            let unclipped = (a &* reciprocal) &>> 20
            peak = max(peak, unclipped)
            let magnitude = min(unclipped, 127)
            lev[i] = (magnitude ^ sign) &- sign
        }
        return peak
    }

    /// §6.2.1 inverse quantization: |REC| = QP·(2·|LEVEL| + 1), minus 1 for even QP.
    @inline(__always)
    private func dequantize(_ level: Int32, _ qp: Int32) -> Int32 {
        if level == 0 { return 0 }
        let magnitude = min(qp * (2 * (level < 0 ? -level : level) + 1) - (qp & 1 == 0 ? 1 : 0), 2047)
        return level < 0 ? max(-magnitude, -2048) : magnitude
    }

    @inline(__always)
    private func clampPixel(_ value: Int32) -> UInt8 {
        UInt8(truncatingIfNeeded: min(max(value, 0), 255))
    }

    /// TCOEF events (§5.4.2) of a block's levels in zigzag order from `start`.
    private func writeCoefficients(_ w: inout H263BitWriter, _ lev: UnsafeMutablePointer<Int32>, start: Int) {
        var last = 63
        while last >= start && lev[zigzag[last]] == 0 { last -= 1 }
        var run = 0
        var position = start
        while position <= last {
            let level = lev[zigzag[position]]
            if level == 0 {
                run += 1
                position += 1
                continue
            }
            let isLast = position == last ? 1 : 0
            let magnitude = Int(level < 0 ? -level : level)
            let code = magnitude <= H263VLC.maxTabulatedLevel && run <= H263VLC.maxTabulatedRun
                ? coefficientCodes[(isLast * 64 + run) * 16 + magnitude] : H263VLC.Code(0, 0)
            if code.length > 0 {
                w.write(code.bits, count: code.length)
                w.write(level < 0 ? 1 : 0, count: 1)
            } else {
                w.write(H263VLC.escape.bits, count: H263VLC.escape.length)
                w.write(UInt32(isLast), count: 1)
                w.write(UInt32(run), count: 6)
                w.write(UInt32(bitPattern: level) & 0xFF, count: 8)
            }
            run = 0
            position += 1
        }
    }

    /// MVD (§5.3.7, Table 14): the difference folded into [-32, 31] half-pels, since the
    /// decoder wraps the sum back into the baseline range.
    private func writeVectorDifference(_ w: inout H263BitWriter, _ difference: Int32) {
        var d = difference
        if d < -32 { d += 64 } else if d > 31 { d -= 64 }
        let magnitude = Int(d < 0 ? -d : d)
        let code = H263VLC.motionVectorMagnitude[magnitude]
        w.write(code.bits, count: code.length)
        if magnitude != 0 { w.write(d < 0 ? 1 : 0, count: 1) }
    }

    /// §6.1.1: the median of the left (MV1), above (MV2) and above-right (MV3) vectors. MV1 is
    /// zero at the left edge; MV2 and MV3 are MV1 above the picture or the GOB (every GOB has
    /// a header); MV3 is zero at the right edge.
    private func vectorPredictor(column: Int, row: Int, gobFirstRow: Int) -> (x: Int32, y: Int32) {
        let index = row * macroblockColumns + column
        let left = column > 0 ? (vectorsX[index - 1], vectorsY[index - 1]) : (Int32(0), Int32(0))
        guard row > gobFirstRow else { return left }
        let above = (vectorsX[index - macroblockColumns], vectorsY[index - macroblockColumns])
        let aboveRight = column + 1 < macroblockColumns
            ? (vectorsX[index - macroblockColumns + 1], vectorsY[index - macroblockColumns + 1]) : (Int32(0), Int32(0))
        return (median(left.0, above.0, aboveRight.0), median(left.1, above.1, aboveRight.1))
    }

    @inline(__always)
    private func median(_ a: Int32, _ b: Int32, _ c: Int32) -> Int32 {
        max(min(a, b), min(max(a, b), c))
    }

    // MARK: Motion

    struct SearchResult {
        var x: Int32
        var y: Int32
        var intra: Bool
    }

    /// Full-pel search around the best of a few predicted candidates (zero, the median
    /// predictor, the neighbours' and last picture's vectors): a large then a small diamond,
    /// each SAD cut short once it cannot win; then the eight half-pel positions around the
    /// winner (§6.1.2 interpolation). Vectors keep the whole block inside the picture
    /// (baseline has no unrestricted vectors) and within [-16, 15.5].
    private func motionSearch(column: Int, row: Int, predictor: (x: Int32, y: Int32), quantizer: Int) -> SearchResult {
        let x0 = column * 16
        let y0 = row * 16
        let minX = -min(16, searchRange + 1, x0), maxX = min(searchRange, width - 16 - x0)
        let minY = -min(16, searchRange + 1, y0), maxY = min(searchRange, height - 16 - y0)
        let current = source.y + y0 * width + x0
        let ref = reference.y + y0 * width + x0
        let stride = width

        // Zero vector first, favoured: it codes cheapest and may skip the macroblock.
        let zeroBias = Int32(64 + 4 * quantizer)
        var best = sad16(current, ref, stride: stride, limit: Int32.max)
        var bestX = 0, bestY = 0
        if best < Int32(2 * 256 / 4 + 16 * quantizer) {
            return SearchResult(x: 0, y: 0, intra: false)
        }
        best -= zeroBias

        let index = row * macroblockColumns + column
        func consider(_ cx: Int, _ cy: Int) -> Bool {
            let x = min(max(cx, minX), maxX), y = min(max(cy, minY), maxY)
            if x == bestX && y == bestY { return false }
            let cost = sad16(current, ref + y * stride + x, stride: stride, limit: best)
            guard cost < best else { return false }
            best = cost
            bestX = x
            bestY = y
            return true
        }
        _ = consider(Int(predictor.x >> 1), Int(predictor.y >> 1))
        _ = consider(Int(previousVectorsX[index] >> 1), Int(previousVectorsY[index] >> 1))
        if column > 0 { _ = consider(Int(vectorsX[index - 1] >> 1), Int(vectorsY[index - 1] >> 1)) }
        if row > 0 { _ = consider(Int(vectorsX[index - macroblockColumns] >> 1), Int(vectorsY[index - macroblockColumns] >> 1)) }
        // Diamonds of radius 4, 2, then 1 around the best so far, each until it stops moving.
        var step = 4
        while step >= 1 {
            var iterations = 0
            var moved = true
            while moved && iterations < (step == 1 ? 16 : 1 + step / 4) {
                iterations += 1
                let cx = bestX, cy = bestY
                moved = false
                for direction in 0..<4 {
                    let x = cx + (direction == 0 ? step : direction == 1 ? -step : 0)
                    let y = cy + (direction == 2 ? step : direction == 3 ? -step : 0)
                    guard x >= minX, x <= maxX, y >= minY, y <= maxY else { continue }
                    if consider(x, y) { moved = true }
                }
            }
            step /= 2
        }
        if bestX == 0 && bestY == 0 { best += zeroBias }

        // Half-pel refinement.
        var halfX = Int32(bestX * 2), halfY = Int32(bestY * 2)
        let centreX = halfX, centreY = halfY
        let minHalfX = Int32(2 * minX), maxHalfX = Int32(min(31, 2 * (width - 16 - x0)))
        let minHalfY = Int32(2 * minY), maxHalfY = Int32(min(31, 2 * (height - 16 - y0)))
        // The four half-pel neighbours, then the diagonal between the better horizontal
        // and the better vertical one: five interpolations instead of eight.
        var costs: (left: Int32, right: Int32, up: Int32, down: Int32) = (.max, .max, .max, .max)
        func tryHalf(_ dx: Int32, _ dy: Int32) -> Int32 {
            let hx = centreX + dx, hy = centreY + dy
            guard hx >= minHalfX, hx <= maxHalfX, hy >= minHalfY, hy <= maxHalfY else { return .max }
            let cost = halfPelSAD(current, column: column, row: row, hx: hx, hy: hy, limit: best)
            if cost < best {
                best = cost
                halfX = hx
                halfY = hy
            }
            return cost
        }
        costs.left = tryHalf(-1, 0)
        costs.right = tryHalf(1, 0)
        costs.up = tryHalf(0, -1)
        costs.down = tryHalf(0, 1)
        _ = tryHalf(costs.left < costs.right ? -1 : 1, costs.up < costs.down ? -1 : 1)

        // Intra when the picture's own texture is cheaper than the residual (TMN's rule).
        if best > 512 {
            var sum: Int32 = 0
            for y in 0..<16 { for x in 0..<16 { sum += Int32(current[y * stride + x]) } }
            let mean = (sum + 128) >> 8
            var deviation: Int32 = 0
            for y in 0..<16 {
                for x in 0..<16 {
                    let d = Int32(current[y * stride + x]) - mean
                    deviation += d < 0 ? -d : d
                }
            }
            if deviation + 500 < best { return SearchResult(x: 0, y: 0, intra: true) }
        }
        return SearchResult(x: halfX, y: halfY, intra: false)
    }

    /// SAD of a 16x16 block, abandoned (returning ≥ limit) once past `limit`.
    @inline(__always)
    private func sad16(_ a: UnsafeMutablePointer<UInt8>, _ b: UnsafeMutablePointer<UInt8>, stride: Int, limit: Int32) -> Int32 {
        var total: Int32 = 0
        for y in 0..<16 {
            let pa = a + y * stride, pb = b + y * stride
            var rowSum: Int32 = 0
            for x in 0..<16 {
                let d = Int32(pa[x]) &- Int32(pb[x])
                rowSum &+= (d ^ (d &>> 31)) &- (d &>> 31)
            }
            total &+= rowSum
            if total >= limit { return total }
        }
        return total
    }

    private func halfPelSAD(_ current: UnsafeMutablePointer<UInt8>, column: Int, row: Int, hx: Int32, hy: Int32, limit: Int32) -> Int32 {
        let stride = width
        let ref = reference.y + (row * 16 + Int(hy >> 1)) * stride + column * 16 + Int(hx >> 1)
        let fx = hx & 1, fy = hy & 1
        var total: Int32 = 0
        for y in 0..<16 {
            let pa = current + y * stride
            let p0 = ref + y * stride
            let p1 = p0 + (fy != 0 ? stride : 0)
            var rowSum: Int32 = 0
            if fx != 0 && fy != 0 {
                for x in 0..<16 {
                    let v = (Int32(p0[x]) &+ Int32(p0[x + 1]) &+ Int32(p1[x]) &+ Int32(p1[x + 1]) &+ 2) &>> 2
                    let d = Int32(pa[x]) &- v
                    rowSum &+= (d ^ (d &>> 31)) &- (d &>> 31)
                }
            } else {
                let q = fx != 0 ? p0 + 1 : p1
                for x in 0..<16 {
                    let v = (Int32(p0[x]) &+ Int32(q[x]) &+ 1) &>> 1
                    let d = Int32(pa[x]) &- v
                    rowSum &+= (d ^ (d &>> 31)) &- (d &>> 31)
                }
            }
            total &+= rowSum
            if total >= limit { return total }
        }
        return total
    }

    /// The prediction block `b` of the current macroblock (in `prediction`).
    @inline(__always)
    private func predictionBlock(_ b: Int) -> (pointer: UnsafeMutablePointer<UInt8>, stride: Int) {
        if b < 4 { return (prediction + (b >> 1) * 8 * 16 + (b & 1) * 8, 16) }
        return (prediction + 256 + (b - 4) * 64, 8)
    }

    /// §6.1.2: luma at the vector, chroma at the vector halved with ¼ and ¾ positions moved
    /// to the half (Table 12's rounding: (v >> 1) | (v & 1) per component).
    private func buildPrediction(column: Int, row: Int, mvx: Int32, mvy: Int32) {
        interpolate(
            from: reference.y + (row * 16 + Int(mvy >> 1)) * width + column * 16 + Int(mvx >> 1), stride: width,
            fx: mvx & 1, fy: mvy & 1, size: 16, into: prediction, outStride: 16)
        let cx = (mvx >> 1) | (mvx & 1), cy = (mvy >> 1) | (mvy & 1)
        let chromaWidth = width / 2
        let offset = (row * 8 + Int(cy >> 1)) * chromaWidth + column * 8 + Int(cx >> 1)
        interpolate(from: reference.u + offset, stride: chromaWidth, fx: cx & 1, fy: cy & 1, size: 8, into: prediction + 256, outStride: 8)
        interpolate(from: reference.v + offset, stride: chromaWidth, fx: cx & 1, fy: cy & 1, size: 8, into: prediction + 320, outStride: 8)
    }

    @inline(__always)
    private func interpolate(
        from src: UnsafeMutablePointer<UInt8>, stride: Int, fx: Int32, fy: Int32, size: Int,
        into dst: UnsafeMutablePointer<UInt8>, outStride: Int
    ) {
        for y in 0..<size {
            let p0 = src + y * stride
            let p1 = p0 + (fy != 0 ? stride : 0)
            let out = dst + y * outStride
            switch (fx, fy) {
            case (0, 0):
                out.update(from: p0, count: size)
            case (1, 1):
                for x in 0..<size {
                    out[x] = UInt8(truncatingIfNeeded: (Int32(p0[x]) &+ Int32(p0[x + 1]) &+ Int32(p1[x]) &+ Int32(p1[x + 1]) &+ 2) &>> 2)
                }
            default:
                let q = fx != 0 ? p0 + 1 : p1
                for x in 0..<size {
                    out[x] = UInt8(truncatingIfNeeded: (Int32(p0[x]) &+ Int32(q[x]) &+ 1) &>> 1)
                }
            }
        }
    }

    /// A skipped macroblock: the reference, unchanged, becomes the reconstruction.
    private func copyPrediction(column: Int, row: Int) {
        for b in 0..<6 {
            let (dst, stride) = block(reconstruction, b, column: column, row: row)
            let (src, _) = block(reference, b, column: column, row: row)
            for y in 0..<8 { (dst + y * stride).update(from: src + y * stride, count: 8) }
        }
    }
}
