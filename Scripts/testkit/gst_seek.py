#!/usr/bin/python3
"""GStreamer's rtspsrc plays an RTSP URL, seeks, and writes the first five pictures decoded
after the seek as raw GRAY8 (width x height bytes each) to OUT; prints the first one's
position in seconds.

Usage: gst_seek.py URL SECONDS key|accurate OUT

key: a flushing KEY_UNIT|SNAP_BEFORE seek (rtspsrc asks for the key frame at or before);
accurate: a flushing ACCURATE seek (rtspsrc sends Seek-Style: First-Prior where it can, and
the decoder drops what precedes the position).
"""
import sys, gi
gi.require_version('Gst', '1.0')
from gi.repository import Gst

Gst.init(None)
url, seconds, mode, out = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
pictures = 5
pipeline = Gst.parse_launch(
    f'rtspsrc name=src location={url} protocols=tcp latency=300 ! rtph264depay ! h264parse ! avdec_h264 ! '
    'videoconvert ! video/x-raw,format=GRAY8 ! appsink name=sink sync=false max-buffers=8 drop=false')
sink = pipeline.get_by_name('sink')
pipeline.set_state(Gst.State.PLAYING)
first = sink.emit('try-pull-sample', 10 * Gst.SECOND)
if first is None:
    sys.exit('no picture before the seek')
flags = Gst.SeekFlags.FLUSH | (Gst.SeekFlags.ACCURATE if mode == 'accurate' else Gst.SeekFlags.KEY_UNIT | Gst.SeekFlags.SNAP_BEFORE)
if not pipeline.seek_simple(Gst.Format.TIME, flags, int(seconds * Gst.SECOND)):
    sys.exit('seek refused')
before = first.get_segment().start
sample = None
for _ in range(400):
    sample = sink.emit('try-pull-sample', 5 * Gst.SECOND)
    # The first picture of the new segment (older ones may still drain out of the queue).
    if sample is None or sample.get_segment().start != before:
        break
if sample is None:
    sys.exit('no picture after the seek')
print(f'{sample.get_buffer().pts / Gst.SECOND:.3f} segment_start={sample.get_segment().start / Gst.SECOND:.3f}')
with open(out, 'wb') as f:
    # The first pictures after the seek, one after another.
    for count in range(pictures):
        buffer = sample.get_buffer()
        ok, info = buffer.map(Gst.MapFlags.READ)
        caps = sample.get_caps().get_structure(0)
        width, height = caps.get_value('width'), caps.get_value('height')
        stride = (width + 3) // 4 * 4
        data = bytes(info.data)
        for row in range(height):
            f.write(data[row * stride: row * stride + width])
        buffer.unmap(info)
        if count + 1 < pictures:
            sample = sink.emit('try-pull-sample', 5 * Gst.SECOND)
            if sample is None:
                break
pipeline.set_state(Gst.State.NULL)
