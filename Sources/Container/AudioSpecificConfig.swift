/// The start of an MPEG-4 Audio AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1): the object
/// type, the sampling frequency and the channel configuration — what an MP4 `mp4a` sample
/// entry may not say right (ffmpeg's MP4 muxer writes channelcount 2 for every AAC stream, as
/// ISO/IEC 14496-12's template value, and samplerate 0 above 65535 Hz).
///
/// ```
/// audioObjectType;                 // 5 bits; 31: 32 + the next 6 bits
/// samplingFrequencyIndex;          // 4 bits; 0xF: the next 24 bits are the frequency
/// channelConfiguration;            // 4 bits
/// ...                              // the object type's own config, not read
/// ```
public struct AudioSpecificConfig: Hashable, Sendable {
    /// Table 1.17: 2 is AAC LC, 5 SBR, 29 PS.
    public var audioObjectType: Int
    /// Hz, from Table 1.18's index or given explicitly. For SBR and PS signalled implicitly,
    /// the core's rate (half the output's).
    public var samplingFrequency: Int
    /// Table 1.19: 0 when a program_config_element in the object type's config says.
    public var channelConfiguration: Int

    /// Table 1.18, samplingFrequencyIndex 0 to 12 (13 and 14 are reserved).
    static let samplingFrequencies = [96_000, 88_200, 64_000, 48_000, 44_100, 32_000, 24_000, 22_050, 16_000, 12_000, 11_025, 8_000, 7_350]
    /// Table 1.19: the channels of configurations 1 to 7 (7 is 7.1: eight).
    static let channelCounts = [1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 8]

    /// How many channels the configuration names; nil for 0 and the values Table 1.19 reserves.
    public var channelCount: Int? { Self.channelCounts[channelConfiguration] }

    public init(parsing bytes: [UInt8]) throws {
        var position = 0
        func bits(_ count: Int) throws -> Int {
            guard position + count <= bytes.count * 8 else { throw ContainerError.malformed("esds", "AudioSpecificConfig cut short") }
            var value = 0
            for _ in 0..<count {
                value = value << 1 | Int(bytes[position / 8] >> (7 - position % 8) & 1)
                position += 1
            }
            return value
        }
        var objectType = try bits(5)
        if objectType == 31 { objectType = 32 + (try bits(6)) }
        audioObjectType = objectType
        let index = try bits(4)
        if index == 0xF {
            samplingFrequency = try bits(24)
        } else {
            guard index < Self.samplingFrequencies.count else {
                throw ContainerError.malformed("esds", "samplingFrequencyIndex \(index) is reserved")
            }
            samplingFrequency = Self.samplingFrequencies[index]
        }
        channelConfiguration = try bits(4)
    }
}
