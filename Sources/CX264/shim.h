// libx264 enters Vigil here and is imported only by the Encode module.
#ifndef VIGIL_CX264_SHIM_H
#define VIGIL_CX264_SHIM_H
#include <stdint.h>
#include <x264.h>

// x264_encoder_open is a macro that names a versioned symbol (x264_encoder_open_164);
// Swift cannot call a macro, so wrap it.
static inline x264_t *vigil_x264_encoder_open(x264_param_t *param) {
    return x264_encoder_open(param);
}
#endif
