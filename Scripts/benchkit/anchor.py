#!/usr/bin/python3
"""The GStreamer side of Scripts/bench: gst-rtsp-server with the pipeline of
shared/anchors/gst_rtsp_anchor.py (shared media, x264enc tune=zerolatency
speed-preset=ultrafast, key frame every 2 s, threads=1, rtph264pay config-interval=-1,
G.711 u-law), fed the *same* raw input as Vigil instead of videotestsrc.

Usage: anchor.py PORT WIDTH HEIGHT FPS KBPS VIDEO_FIFO [AUDIO_FIFO]

VIDEO_FIFO carries raw I420 pictures, AUDIO_FIFO raw S16LE mono 8 kHz in 20 ms chunks
(without one, audiotestsrc plays a sine as in gst_rtsp_anchor.py). Like Vigil's raw input,
each FIFO is read from start-up whether or not anyone watches, and each picture is stamped
when its last byte arrives (each audio chunk one chunk duration earlier), so both servers
see the same capture instants. Appsrc queues hold 2 items and drop the oldest, as Vigil's do.
"""
import os, sys, threading, gi
gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0')
from gi.repository import Gst, GstRtspServer, GLib

Gst.init(None)
port, w, h, fps, kbps = sys.argv[1], *map(int, sys.argv[2:6])
video_fifo = sys.argv[6]
audio_fifo = sys.argv[7] if len(sys.argv) > 7 else None
CHUNK = 160 * 2   # 20 ms of 8 kHz S16LE mono
CHUNK_NS = 20_000_000

venc = (f'x264enc tune=zerolatency speed-preset=ultrafast bitrate={kbps} key-int-max={2*fps} threads=1 '
        f'! rtph264pay name=pay0 pt=96 config-interval=-1')
vsrc = (f'appsrc name=vsrc is-live=true format=time do-timestamp=false max-buffers=2 leaky-type=downstream '
        f'caps=video/x-raw,format=I420,width={w},height={h},framerate={fps}/1')
if audio_fifo:
    asrc = ('appsrc name=asrc is-live=true format=time do-timestamp=false max-buffers=4 leaky-type=downstream '
            'caps=audio/x-raw,format=S16LE,rate=8000,channels=1,layout=interleaved')
else:
    asrc = 'audiotestsrc is-live=true wave=sine freq=440 ! audio/x-raw,rate=8000,channels=1'
launch = f'( {vsrc} ! {venc} {asrc} ! mulawenc ! rtppcmupay name=pay1 pt=0 )'

current = {}   # name -> appsrc of the media being served now
lock = threading.Lock()

def on_configure(factory, media):
    element = media.get_element()
    with lock:
        for name in ('vsrc', 'asrc'):
            src = element.get_by_name(name)
            if src is not None:
                current[name] = src

def push(name, data, back_ns):
    with lock:
        src = current.get(name)
    if src is None:
        return
    clock = src.get_clock()
    if clock is None:   # not playing yet: nobody would see this
        return
    running = clock.get_time() - src.get_base_time()
    buf = Gst.Buffer.new_wrapped(data)
    buf.pts = max(0, running - back_ns)
    src.emit('push-buffer', buf)

def reader(path, size, name, back_ns):
    fd = os.open(path, os.O_RDONLY)
    pending = bytearray()
    while True:
        chunk = os.read(fd, size - len(pending))
        if not chunk:             # writer went away: wait for the next one
            os.close(fd); fd = os.open(path, os.O_RDONLY); pending.clear(); continue
        pending += chunk
        if len(pending) == size:
            push(name, bytes(pending), back_ns)
            pending.clear()

server = GstRtspServer.RTSPServer(); server.set_service(port)
factory = GstRtspServer.RTSPMediaFactory(); factory.set_launch(launch); factory.set_shared(True)
factory.connect('media-configure', on_configure)
server.get_mount_points().add_factory('/live', factory)
server.attach(None)
threading.Thread(target=reader, args=(video_fifo, w * h * 3 // 2, 'vsrc', 0), daemon=True).start()
if audio_fifo:
    threading.Thread(target=reader, args=(audio_fifo, CHUNK, 'asrc', CHUNK_NS), daemon=True).start()
print(f'anchor ready rtsp://127.0.0.1:{port}/live', flush=True)
GLib.MainLoop().run()
