#!/usr/bin/python3
"""The one decoding client of Scripts/bench's latency scenario, used for Vigil and for the
GStreamer anchor alike: rtspsrc latency=0 (UDP) ! rtph264depay ! avdec_h264 (one thread, so
no frame-threading delay) ! appsink. For every decoded picture it reads the time code drawn
by the bench's frame generator and prints "FRAME_NUMBER MONOTONIC_SECONDS" (CLOCK_MONOTONIC,
the clock the bench stamps each picture's write with).

Usage: decoder.py URL SECONDS WIDTH
"""
import sys, time, gi
gi.require_version('Gst', '1.0')
from gi.repository import Gst, GLib

Gst.init(None)
url, seconds, width = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
sys.path.insert(0, __import__('os').path.dirname(__file__))
from timecode import read_code

pipe = Gst.parse_launch(
    f'rtspsrc name=src location={url} latency=0 protocols=udp '
    'rtph264depay name=depay ! h264parse ! avdec_h264 max-threads=1 ! video/x-raw,format=I420 '
    '! appsink name=sink emit-signals=true sync=false max-buffers=4 drop=false '
    'fakesink name=audio sync=false async=false')
depay, audio = pipe.get_by_name('depay'), pipe.get_by_name('audio')

def on_pad(src, pad):
    caps = pad.get_current_caps() or pad.query_caps(None)
    media = caps.get_structure(0).get_string('media')
    target = depay if media == 'video' else audio
    sink = target.get_static_pad('sink')
    if not sink.is_linked():
        pad.link(sink)

counts = {'decoded': 0, 'unreadable': 0}

def on_sample(sink):
    now = time.monotonic()
    sample = sink.emit('pull-sample')
    buf = sample.get_buffer()
    ok, info = buf.map(Gst.MapFlags.READ)
    if ok:
        n = read_code(info.data, width)
        buf.unmap(info)
        if n is not None:
            print(n, f'{now:.6f}', flush=True)
        else:
            counts['unreadable'] += 1
        counts['decoded'] += 1
    return Gst.FlowReturn.OK

pipe.get_by_name('src').connect('pad-added', on_pad)
pipe.get_by_name('sink').connect('new-sample', on_sample)
loop = GLib.MainLoop()
bus = pipe.get_bus(); bus.add_signal_watch()
bus.connect('message::error', lambda b, m: (print('error', m.parse_error()[0].message, file=sys.stderr), loop.quit()))
GLib.timeout_add(int(seconds * 1000), loop.quit)
pipe.set_state(Gst.State.PLAYING)
loop.run()
pipe.set_state(Gst.State.NULL)
print(f"decoded {counts['decoded']} pictures, {counts['unreadable']} without a readable time code", file=sys.stderr)
