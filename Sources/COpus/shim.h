// libopus enters Vigil here and is imported only by the Encode module.
#ifndef VIGIL_COPUS_SHIM_H
#define VIGIL_COPUS_SHIM_H
#include <opus.h>

// opus_encoder_ctl is variadic and its requests are macros (OPUS_SET_BITRATE(x) expands to a
// request number and a type-checked argument); Swift can call neither, so each request Vigil
// makes is wrapped here. Each returns OPUS_OK or a negative error code.
static inline int vigil_opus_set_bitrate(OpusEncoder *encoder, opus_int32 bitsPerSecond) {
    return opus_encoder_ctl(encoder, OPUS_SET_BITRATE(bitsPerSecond));
}

static inline int vigil_opus_get_bitrate(OpusEncoder *encoder, opus_int32 *bitsPerSecond) {
    return opus_encoder_ctl(encoder, OPUS_GET_BITRATE(bitsPerSecond));
}

// The encoder's delay in samples at its own sampling rate (what Ogg and MP4 call pre-skip,
// once scaled to 48 kHz).
static inline int vigil_opus_get_lookahead(OpusEncoder *encoder, opus_int32 *samples) {
    return opus_encoder_ctl(encoder, OPUS_GET_LOOKAHEAD(samples));
}
#endif
