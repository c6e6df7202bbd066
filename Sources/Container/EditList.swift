import NIOCore

/// A track's edit list (ISO/IEC 14496-12 §8.6.6) as far as players honour it: empty edits at
/// the start delay the track, the first edit with media says which media time is presented
/// first, and later edits are not followed (ffmpeg and most players ignore them too, and a
/// camera's files have one edit or two).
///
/// ```
/// aligned(8) class EditListBox extends FullBox('elst', version, 0) {
///    unsigned int(32) entry_count;
///    for (i=1; i <= entry_count; i++) {
///       if (version==1) {
///          unsigned int(64) segment_duration;  // in the movie's timescale (mvhd)
///          int(64) media_time;                 // in the track's; -1: an empty edit
///       } else { // version==0
///          unsigned int(32) segment_duration;
///          int(32) media_time;
///       }
///       int(16) media_rate_integer;
///       int(16) media_rate_fraction = 0;
///    }
/// }
/// ```
struct EditList: Hashable, Sendable {
    /// The leading empty edits' total, in the movie's timescale.
    var delay: UInt64 = 0
    /// `media_time` of the first edit with media: the composition time presented first.
    var mediaTime: Int64 = 0

    /// No edit list: media time is presentation time.
    init() {}

    init(elst: Box) throws {
        var (version, count, entries) = try elst.table(entrySize: 12)  // version 0's; version 1's checked below
        guard version <= 1 else { throw ContainerError.unsupported("elst version \(version)") }
        let entrySize = version == 1 ? 20 : 12
        guard count <= entries.readableBytes / entrySize else {
            throw ContainerError.malformed("elst", "\(count) entries of \(entrySize) bytes in \(entries.readableBytes) bytes")
        }
        for _ in 0..<count {
            let duration: UInt64
            let time: Int64
            if version == 1 {
                guard let d = entries.readInteger(as: UInt64.self), let t = entries.readInteger(as: Int64.self) else { break }
                (duration, time) = (d, t)
            } else {
                guard let d = entries.readInteger(as: UInt32.self), let t = entries.readInteger(as: Int32.self) else { break }
                (duration, time) = (UInt64(d), Int64(t))
            }
            entries.moveReaderIndex(forwardBy: 4)  // media_rate: a dwell (rate 0) still starts at media_time
            guard time >= -1 else { throw ContainerError.malformed("elst", "media_time \(time)") }
            if time == -1 {
                let (sum, overflow) = delay.addingReportingOverflow(duration)
                guard !overflow else { throw ContainerError.malformed("elst", "empty edits longer than 2^64 ticks") }
                delay = sum
                continue
            }
            mediaTime = time
            break
        }
    }

    /// What to add to a sample's composition time (decode time plus composition offset) for
    /// its presentation time, in the track's timescale: the delay converted from the movie's
    /// timescale, rounded to the nearest tick (as ffmpeg's `av_rescale` does), less `mediaTime`.
    func shift(trackTimescale: UInt32, movieTimescale: UInt32?) throws -> Int64 {
        var converted: UInt64 = 0
        if delay > 0 {
            guard let movieTimescale else { throw ContainerError.missingBox("mvhd", in: "moov (an empty edit needs its timescale)") }
            guard movieTimescale > 0 else { throw ContainerError.malformed("mvhd", "timescale 0") }
            let (whole, part) = delay.quotientAndRemainder(dividingBy: UInt64(movieTimescale))
            let (scaled, overflow) = whole.multipliedReportingOverflow(by: UInt64(trackTimescale))
            // part < 2^32 and the track's timescale < 2^32: their product and half the movie's
            // timescale fit 64 bits.
            let rounded = (part * UInt64(trackTimescale) + UInt64(movieTimescale / 2)) / UInt64(movieTimescale)
            guard !overflow, scaled <= UInt64(Int64.max) - rounded else { throw ContainerError.malformed("elst", "an empty edit of \(delay) ticks") }
            converted = scaled + rounded
        }
        let (shift, overflow) = Int64(converted).subtractingReportingOverflow(mediaTime)
        guard !overflow else { throw ContainerError.malformed("elst", "media_time \(mediaTime)") }
        return shift
    }
}
