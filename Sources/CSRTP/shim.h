// libsrtp2 enters Vigil here and is imported only by the SecureMedia module.
#ifndef VIGIL_CSRTP_SHIM_H
#define VIGIL_CSRTP_SHIM_H
#include <srtp2/srtp.h>

// SRTP_MAX_TRAILER_LEN is a macro of macros; Swift sees it as a constant through this.
static const int vigil_srtp_max_trailer_length = SRTP_MAX_TRAILER_LEN;
#endif
