#!/usr/bin/python3
"""The GStreamer side of Scripts/bench's playback scenario: gst-rtsp-server serving one MP4
file with one media per viewer (not shared), as a file server built on it would:
`filesrc ! qtdemux ! h264parse ! rtph264pay`, at /vod/NAME. Each viewer gets its own
pipeline, its own position and its own seeks (RTSP PLAY with Range).

Usage: file_anchor.py PORT FILE
"""
import os, sys, gi
gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0')
from gi.repository import Gst, GstRtspServer, GLib

Gst.init(None)
port, path = sys.argv[1], sys.argv[2]
server = GstRtspServer.RTSPServer()
server.set_service(port)
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(f'( filesrc location={path} ! qtdemux ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=-1 )')
factory.set_shared(False)
server.get_mount_points().add_factory('/vod/' + os.path.basename(path), factory)
server.attach(None)
print(f'file anchor on rtsp://127.0.0.1:{port}/vod/{os.path.basename(path)}', flush=True)
GLib.MainLoop().run()
