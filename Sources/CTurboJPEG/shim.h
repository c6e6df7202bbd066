// libturbojpeg (Debian's libturbojpeg0-dev) enters Vigil here and is imported only by the
// Encode module: snapshots are JPEGs of the raw picture, compressed straight from its YUV
// planes.
#ifndef VIGIL_CTURBOJPEG_SHIM_H
#define VIGIL_CTURBOJPEG_SHIM_H
#include <turbojpeg.h>
#endif
