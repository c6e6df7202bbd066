/// Picture-level rate control for the H.263 encoder: a virtual buffer of the bits spent above
/// the budget, and a model per picture type where bits ≈ complexity / QP.
///
/// An intra picture gets several pictures' budget (it has no prediction to lean on); what it
/// spends above the budget, like any other excess, is paid back by the pictures of the next
/// second. Credit from pictures that could not use their budget is capped at half a second,
/// so a still scene does not bank bits for a burst later. Within a picture the encoder also
/// steers per GOB (GQUANT), see `H263PictureCoder`.
struct H263RateControl {
    private(set) var bitrate: Int
    /// Nominal pictures per second: where the measured spacing starts.
    let frameRate: Int
    /// Seconds between pictures as the capture instants show them (an average), so a camera
    /// that delivers 15 fps when 30 were asked still gets the whole bitrate.
    private(set) var pictureInterval: Double
    let keyFrameInterval: Int
    /// Bits spent above the budget so far (negative: below).
    private(set) var fullness: Double = 0
    private var complexityIntra: Double
    private var complexityInter: Double
    private var lastInterQP: Int?
    private var lastIntraQP: Int?

    static let minimumQP = 1
    static let maximumQP = 31
    /// Largest change of QP between consecutive inter pictures: quality moves smoothly.
    static let maximumInterStep = 3

    let constantBitrate: Bool

    init(bitrateKbps: Int, frameRate: Int, keyFrameInterval: Int, pixels: Int, constantBitrate: Bool) {
        self.constantBitrate = constantBitrate
        bitrate = bitrateKbps * 1000
        self.frameRate = max(1, frameRate)
        pictureInterval = 1 / Double(max(1, frameRate))
        self.keyFrameInterval = max(1, keyFrameInterval)
        // First guesses (bits × QP per pixel) for ordinary camera content; they adapt at once.
        complexityIntra = 4.0 * Double(pixels)
        complexityInter = 0.8 * Double(pixels)
    }

    var bitsPerPicture: Double { Double(bitrate) * pictureInterval }
    /// Pictures per second as measured.
    private var measuredRate: Double { 1 / pictureInterval }

    mutating func setBitrate(kbps: Int) {
        bitrate = kbps * 1000
        fullness = min(max(fullness, -credit), -credit + Double(bitrate))
    }

    /// The most the stream may fall behind its budget: half a second of bits.
    private var credit: Double { Double(bitrate) / 2 }

    /// Stuffing the next picture must carry to stay within `credit` of the budget.
    var stuffingBits: Int {
        constantBitrate ? max(0, Int(-fullness - credit)) : 0
    }

    /// How many pictures' budget an intra picture may take: up to 6, less with frequent key frames.
    private var intraWeight: Double { min(6, max(1, Double(keyFrameInterval) / 4)) }

    /// The bit target of the next picture.
    func target(intra: Bool) -> Double {
        let base = bitsPerPicture * (intra ? intraWeight : 1)
        let payback = fullness / measuredRate
        return min(max(base - payback, base * 0.3), base * 2)
    }

    /// The starting QP of the next picture (GOBs may move from it).
    func quantizer(intra: Bool) -> Int {
        let target = target(intra: intra)
        let model = (intra ? complexityIntra : complexityInter) / target
        var qp = Int(model.rounded())
        if intra, let lastInter = lastInterQP {
            // An intra picture a little finer than the inter ones around it, so quality
            // does not pulse at each key frame.
            qp = min(max(qp, lastInter - 2), lastInter + 4)
        } else if !intra, let last = lastInterQP ?? lastIntraQP {
            qp = min(max(qp, last - Self.maximumInterStep), last + Self.maximumInterStep)
        }
        return min(max(qp, Self.minimumQP), Self.maximumQP)
    }

    /// Accounts a coded picture: its size, the mean QP of its GOBs, and the time since the
    /// previous picture's capture (nil for the first), which is what it may spend.
    mutating func update(bits: Int, meanQP: Double, intra: Bool, interval: Double?) {
        if let interval {
            // Within a tenth and ten times the nominal spacing: a stall or a burst of late
            // pictures should not swing the budget.
            let nominal = 1 / Double(frameRate)
            let clamped = min(max(interval, nominal / 10), nominal * 10)
            pictureInterval = 0.9 * pictureInterval + 0.1 * clamped
        }
        fullness += Double(bits) - Double(bitrate) * (interval.map { min(max($0, 0), 1) } ?? pictureInterval)
        // Without stuffing, forget a shortfall beyond the credit; with it, the next picture
        // pays it back.
        if !constantBitrate { fullness = max(fullness, -credit) }
        let observed = max(1, Double(bits)) * meanQP
        if intra {
            complexityIntra = observed
            lastIntraQP = Int(meanQP.rounded())
        } else {
            complexityInter = 0.5 * complexityInter + 0.5 * observed
            lastInterQP = Int(meanQP.rounded())
        }
    }
}
