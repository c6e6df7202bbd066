import CALSA

/// A capture PCM as discovery found it.
public struct MicrophoneInfo: Hashable, Sendable {
    /// The name to configure: `hw:CARD,DEVICE`.
    public var name: String
    public var card: String
    public var device: String
    public var rates: ClosedRange<Int>?
    public var channels: ClosedRange<Int>?
}

/// Finds capture PCMs: every card's devices that can capture, with the rates and channel
/// counts the hardware accepts.
public enum MicrophoneDiscovery {
    public static func microphones() -> [MicrophoneInfo] {
        vigil_alsa_silence_errors()
        var found: [MicrophoneInfo] = []
        var card: Int32 = -1
        while snd_card_next(&card) >= 0 && card >= 0 {
            var control: OpaquePointer?
            guard snd_ctl_open(&control, "hw:\(card)", 0) >= 0, let control else { continue }
            defer { snd_ctl_close(control) }
            var cardInfo: OpaquePointer?
            snd_ctl_card_info_malloc(&cardInfo)
            defer { snd_ctl_card_info_free(cardInfo) }
            snd_ctl_card_info(control, cardInfo)
            let cardName = String(cString: snd_ctl_card_info_get_name(cardInfo))
            var device: Int32 = -1
            while snd_ctl_pcm_next_device(control, &device) >= 0 && device >= 0 {
                var pcmInfo: OpaquePointer?
                snd_pcm_info_malloc(&pcmInfo)
                defer { snd_pcm_info_free(pcmInfo) }
                snd_pcm_info_set_device(pcmInfo, UInt32(device))
                snd_pcm_info_set_subdevice(pcmInfo, 0)
                snd_pcm_info_set_stream(pcmInfo, SND_PCM_STREAM_CAPTURE)
                guard snd_ctl_pcm_info(control, pcmInfo) >= 0 else { continue }
                let name = "hw:\(card),\(device)"
                let (rates, channels) = limits(of: name)
                found.append(MicrophoneInfo(
                    name: name, card: cardName, device: String(cString: snd_pcm_info_get_name(pcmInfo)),
                    rates: rates, channels: channels))
            }
        }
        return found
    }

    /// The rate and channel ranges of a PCM, from its hardware parameter space.
    static func limits(of name: String) -> (ClosedRange<Int>?, ClosedRange<Int>?) {
        var pcm: OpaquePointer?
        guard snd_pcm_open(&pcm, name, SND_PCM_STREAM_CAPTURE, Int32(SND_PCM_NONBLOCK)) >= 0, let pcm else { return (nil, nil) }
        defer { snd_pcm_close(pcm) }
        var hw: OpaquePointer?
        snd_pcm_hw_params_malloc(&hw)
        defer { snd_pcm_hw_params_free(hw) }
        guard snd_pcm_hw_params_any(pcm, hw) >= 0 else { return (nil, nil) }
        var minRate: UInt32 = 0
        var maxRate: UInt32 = 0
        var minChannels: UInt32 = 0
        var maxChannels: UInt32 = 0
        var direction: Int32 = 0
        snd_pcm_hw_params_get_rate_min(hw, &minRate, &direction)
        snd_pcm_hw_params_get_rate_max(hw, &maxRate, &direction)
        snd_pcm_hw_params_get_channels_min(hw, &minChannels)
        snd_pcm_hw_params_get_channels_max(hw, &maxChannels)
        let rates = minRate <= maxRate ? Int(minRate)...Int(maxRate) : nil
        let channels = minChannels <= maxChannels ? Int(minChannels)...Int(maxChannels) : nil
        return (rates, channels)
    }
}
