// libv4l2 and the V4L2 UAPI enter Vigil here and are imported only by the Capture module.
#ifndef VIGIL_CV4L2_SHIM_H
#define VIGIL_CV4L2_SHIM_H
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/videodev2.h>
#include <libv4l2.h>

// v4l2_open and v4l2_ioctl are variadic, which Swift cannot call; wrap them.
static inline int vigil_v4l2_open(const char *path, int flags) { return v4l2_open(path, flags); }
static inline int vigil_v4l2_ioctl(int fd, unsigned long request, void *arg) { return v4l2_ioctl(fd, request, arg); }

// The ioctl request numbers are function-like macros (_IOWR…); give Swift constants.
static const unsigned long VIGIL_VIDIOC_QUERYCAP = VIDIOC_QUERYCAP;
static const unsigned long VIGIL_VIDIOC_ENUM_FMT = VIDIOC_ENUM_FMT;
static const unsigned long VIGIL_VIDIOC_ENUM_FRAMESIZES = VIDIOC_ENUM_FRAMESIZES;
static const unsigned long VIGIL_VIDIOC_ENUM_FRAMEINTERVALS = VIDIOC_ENUM_FRAMEINTERVALS;
static const unsigned long VIGIL_VIDIOC_G_FMT = VIDIOC_G_FMT;
static const unsigned long VIGIL_VIDIOC_S_FMT = VIDIOC_S_FMT;
static const unsigned long VIGIL_VIDIOC_G_PARM = VIDIOC_G_PARM;
static const unsigned long VIGIL_VIDIOC_S_PARM = VIDIOC_S_PARM;
static const unsigned long VIGIL_VIDIOC_REQBUFS = VIDIOC_REQBUFS;
static const unsigned long VIGIL_VIDIOC_QUERYBUF = VIDIOC_QUERYBUF;
static const unsigned long VIGIL_VIDIOC_QBUF = VIDIOC_QBUF;
static const unsigned long VIGIL_VIDIOC_DQBUF = VIDIOC_DQBUF;
static const unsigned long VIGIL_VIDIOC_STREAMON = VIDIOC_STREAMON;
static const unsigned long VIGIL_VIDIOC_STREAMOFF = VIDIOC_STREAMOFF;

// FourCC codes are macros over v4l2_fourcc(); give Swift constants.
static const uint32_t VIGIL_PIX_FMT_YUYV = V4L2_PIX_FMT_YUYV;
static const uint32_t VIGIL_PIX_FMT_NV12 = V4L2_PIX_FMT_NV12;
static const uint32_t VIGIL_PIX_FMT_YUV420 = V4L2_PIX_FMT_YUV420;
static const uint32_t VIGIL_PIX_FMT_MJPEG = V4L2_PIX_FMT_MJPEG;
#endif
