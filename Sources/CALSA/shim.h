// libasound enters Vigil here and is imported only by the Capture module.
#ifndef VIGIL_CALSA_SHIM_H
#define VIGIL_CALSA_SHIM_H
#include <alsa/asoundlib.h>

// snd_lib_error_set_handler takes a variadic callback; silence the library's own stderr
// printing (Vigil reports errors itself, once per condition).
static void vigil_alsa_silent_error(const char *file, int line, const char *function, int err, const char *fmt, ...) {
    (void)file; (void)line; (void)function; (void)err; (void)fmt;
}
static inline void vigil_alsa_silence_errors(void) { snd_lib_error_set_handler(vigil_alsa_silent_error); }
#endif
