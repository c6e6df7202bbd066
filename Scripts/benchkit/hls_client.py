#!/usr/bin/python3
"""The HLS client of Scripts/bench's hls scenario, for Vigil and the ffmpeg anchor alike.

    hls_client.py decode URL SECONDS WIDTH   # play it: print "FRAME_NUMBER MONOTONIC_SECONDS" per picture
    hls_client.py fetch URL SECONDS          # only follow and download (a load client)

It follows a media (or multivariant) playlist as a player does. With parts
(EXT-X-PART, CAN-BLOCK-RELOAD) it is a low-latency client: it starts PART-HOLD-BACK behind the
newest part on an independent part, then asks for each next part with a blocking reload
(_HLS_msn/_HLS_part). Without parts it is an ordinary client that starts at the newest
segment (the lowest latency a segment player gets) and reloads every half target duration.

In decode mode the fMP4 bytes go through GStreamer (appsrc ! qtdemux ! h264parse ! avdec_h264,
one thread) and each picture is "presented" as a player would: the first when decoded, the
next at its timestamp's distance from the first, later if it was decoded later (a stall
shifts the rest). The time printed is that presentation time, on CLOCK_MONOTONIC, the clock
the bench stamps each picture's write with; the frame number is the time code in the picture.
"""
import re, sys, threading, time, urllib.parse, urllib.request

mode, url, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
deadline = time.monotonic() + seconds


def get(address, timeout=15):
    with urllib.request.urlopen(address, timeout=timeout) as answer:
        return answer.read()


def attributes(text):
    return {k: v.strip('"') for k, v in re.findall(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)', text)}


def parse(text, base):
    """(parts, segments, info): parts as (msn, index, uri, independent), segments as
    (msn, uri), both in playlist order; info: part hold-back, target, whether it blocks."""
    msn, index, parts, segments = 0, 0, [], []
    info = dict(hold_back=None, target=2.0, blocking=False, map=None)
    expect_uri = False
    for line in text.splitlines():
        line = line.strip()
        if line.startswith('#EXT-X-MEDIA-SEQUENCE:'):
            msn = int(line.split(':')[1])
        elif line.startswith('#EXT-X-TARGETDURATION:'):
            info['target'] = float(line.split(':')[1])
        elif line.startswith('#EXT-X-SERVER-CONTROL:'):
            a = attributes(line[22:])
            info['blocking'] = a.get('CAN-BLOCK-RELOAD') == 'YES'
            if 'PART-HOLD-BACK' in a:
                info['hold_back'] = float(a['PART-HOLD-BACK'])
        elif line.startswith('#EXT-X-MAP:'):
            info['map'] = urllib.parse.urljoin(base, attributes(line[11:])['URI'])
        elif line.startswith('#EXT-X-PART:'):
            a = attributes(line[12:])
            parts.append((msn, index, urllib.parse.urljoin(base, a['URI']), a.get('INDEPENDENT') == 'YES',
                          float(a['DURATION'])))
            index += 1
        elif line.startswith('#EXTINF:'):
            expect_uri = True
        elif line and not line.startswith('#') and expect_uri:
            segments.append((msn, urllib.parse.urljoin(base, line)))
            msn, index, expect_uri = msn + 1, 0, False
    return parts, segments, info


def media_playlist(address):
    text = get(address).decode()
    if '#EXT-X-STREAM-INF' in text:
        lines = [l.strip() for l in text.splitlines()]
        at = next(i for i, l in enumerate(lines) if l.startswith('#EXT-X-STREAM-INF'))
        address = urllib.parse.urljoin(address, next(l for l in lines[at + 1:] if l and not l.startswith('#')))
        text = get(address).decode()
    return address, text


def with_query(address, **params):
    parsed = urllib.parse.urlsplit(address)
    query = urllib.parse.parse_qsl(parsed.query) + [(k, str(v)) for k, v in params.items()]
    return urllib.parse.urlunsplit(parsed._replace(query=urllib.parse.urlencode(query)))


# Media to decode but not present at the start (seconds): a low-latency client must start
# decoding on an independent part, which may lie well before PART-HOLD-BACK behind the edge;
# like hls.js and Safari it plays from the hold-back point, not from the key frame.
skip = [0.0]


def follow(sink):
    """Calls sink(bytes) with the initialization segment and then the media, until the deadline."""
    address, text = media_playlist(url)
    parts, segments, info = parse(text, address)
    sink(get(info['map']))
    if info['blocking'] and parts:
        behind, start = 0.0, len(parts) - 1
        while start > 0 and behind < (info['hold_back'] or 0.6):
            behind += parts[start][4]
            start -= 1
        hold_point = start
        while start > 0 and not parts[start][3]:
            start -= 1
        skip[0] = sum(part[4] for part in parts[start:hold_point + 1])
        next_msn, next_index = parts[start][0], parts[start][1]
        while time.monotonic() < deadline:
            for msn, index, uri, independent, _ in parts:
                if (msn, index) >= (next_msn, next_index):
                    sink(get(uri))
                    next_msn, next_index = msn, index + 1
            try:
                text = get(with_query(address, _HLS_msn=next_msn, _HLS_part=next_index))
            except Exception:
                time.sleep(0.1)
                continue
            parts, _, _ = parse(text.decode(), address)
    else:
        next_msn = segments[-1][0] if segments else 0
        while time.monotonic() < deadline:
            for msn, uri in segments:
                if msn >= next_msn:
                    sink(get(uri))
                    next_msn = msn + 1
            time.sleep(info['target'] / 2)
            _, segments, _ = parse(get(address).decode(), address)


if mode == 'fetch':
    total = [0]
    follow(lambda data: total.__setitem__(0, total[0] + len(data)))
    print(total[0])
    sys.exit(0)

import gi
gi.require_version('Gst', '1.0')
from gi.repository import Gst, GLib
sys.path.insert(0, __import__('os').path.dirname(__file__))
from timecode import read_code

Gst.init(None)
width = int(sys.argv[4])
pipe = Gst.parse_launch(
    'appsrc name=src is-live=true format=bytes ! qtdemux name=demux '
    'h264parse name=parse ! avdec_h264 max-threads=1 ! video/x-raw,format=I420 '
    '! appsink name=sink emit-signals=true sync=false max-buffers=100 drop=false '
    'fakesink name=audio sync=false async=false')
src, parser, audio = pipe.get_by_name('src'), pipe.get_by_name('parse'), pipe.get_by_name('audio')


def on_pad(demux, pad):
    target = parser if pad.get_name().startswith('video') else audio
    if not target.get_static_pad('sink').is_linked():
        pad.link(target.get_static_pad('sink'))


clock = {'base': None, 'pts0': None}
counts = {'decoded': 0, 'unreadable': 0}


def on_sample(sink):
    decoded = time.monotonic()
    sample = sink.emit('pull-sample')
    buf = sample.get_buffer()
    pts = buf.pts / 1e9 if buf.pts != Gst.CLOCK_TIME_NONE else None
    if pts is not None:
        if clock['pts0'] is None:
            clock['pts0'] = pts
        if pts < clock['pts0'] + skip[0] - 1e-6:
            return Gst.FlowReturn.OK  # decoded on the way to the hold-back point, never shown
        if clock['base'] is None:
            clock['base'], clock['pts0'] = decoded, pts
        slot = clock['base'] + (pts - clock['pts0'])
        if decoded > slot:  # decoded too late for its slot: a stall, the rest shifts
            clock['base'] += decoded - slot
            slot = decoded
        presented = slot
    else:
        presented = decoded
    ok, info = buf.map(Gst.MapFlags.READ)
    if ok:
        n = read_code(info.data, width)
        buf.unmap(info)
        if n is not None:
            print(n, f'{presented:.6f}', flush=True)
        else:
            counts['unreadable'] += 1
        counts['decoded'] += 1
    return Gst.FlowReturn.OK


pipe.get_by_name('demux').connect('pad-added', on_pad)
pipe.get_by_name('sink').connect('new-sample', on_sample)
loop = GLib.MainLoop()
bus = pipe.get_bus()
bus.add_signal_watch()
bus.connect('message::error', lambda b, m: (print('error', m.parse_error()[0].message, file=sys.stderr), loop.quit()))
pipe.set_state(Gst.State.PLAYING)


def feed():
    try:
        follow(lambda data: src.emit('push-buffer', Gst.Buffer.new_wrapped(data)))
    except Exception as error:
        print('error', error, file=sys.stderr)
    GLib.idle_add(loop.quit)


threading.Thread(target=feed, daemon=True).start()
GLib.timeout_add(int((seconds + 1) * 1000), loop.quit)
loop.run()
pipe.set_state(Gst.State.NULL)
print(f"decoded {counts['decoded']} pictures, {counts['unreadable']} without a readable time code", file=sys.stderr)
