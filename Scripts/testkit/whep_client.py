#!/usr/bin/env python3
"""aiortc (PyPI, an independent WebRTC stack) as a WHEP viewer of Vigil:

    whep_client.py URL [--seconds S] [--drop-every N] [--pli-at S] [--no-delete] [--hang]

POSTs an offer with recvonly video and audio to URL, plays what comes for S seconds through
aiortc's own depacketizers and decoders (PyAV's libavcodec for H.264), and prints JSON:

    status, location, answer          the WHEP answer as received
    first_frame_ms                    from the POST to the first decoded picture
    video_frames, audio_frames        decoded, and the picture size
    dropped, recovered                with --drop-every N: every Nth video SRTP datagram is
                                      lost on the way in (once), so aiortc NACKs it;
                                      recovered counts those that came again
    pli_sent_at, key_frame_after_pli_ms  with --pli-at S: aiortc sends a PLI S seconds in;
                                      the time until the next key frame starts to arrive
    delete_status                     DELETE of the Location at the end (not with --no-delete)

--hang: after S seconds, stop answering anything (the process sleeps with the peer open),
so the server sees the peer vanish without a DELETE.
"""
import argparse, asyncio, json, sys, time, urllib.parse, urllib.request

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.rtcicetransport import RTCIceTransport
from aiortc.rtcrtpreceiver import RTCRtpReceiver

parser = argparse.ArgumentParser()
parser.add_argument('url')
parser.add_argument('--seconds', type=float, default=4)
parser.add_argument('--drop-every', type=int, default=0)
parser.add_argument('--pli-at', type=float, default=None)
parser.add_argument('--no-delete', action='store_true')
parser.add_argument('--hang', action='store_true')
options = parser.parse_args()

result = {'video_frames': 0, 'audio_frames': 0, 'dropped': 0, 'recovered': 0, 'key_frames': 0}
dropped_sequences = set()
seen_video = 0
key_frame_times = []
started = time.monotonic()


def is_key_frame_start(payload: bytes) -> bool:
    """RFC 6184: an IDR (5) or SPS (7) NAL unit, alone, first in a STAP-A (24), or starting an FU-A (28)."""
    if not payload:
        return False
    nal = payload[0] & 0x1F
    if nal in (5, 7):
        return True
    if nal == 24 and len(payload) > 3:
        return payload[3] & 0x1F in (5, 7)
    if nal == 28 and len(payload) > 1:
        return payload[1] & 0x80 != 0 and payload[1] & 0x1F == 5
    return False


original_handle = RTCRtpReceiver._handle_rtp_packet


async def handle_rtp_packet(self, packet, arrival_time_ms):
    """aiortc's own RTP path, with a tap: count key frames, and packets that were lost once."""
    if self._RTCRtpReceiver__kind == 'video':
        if is_key_frame_start(packet.payload):
            key_frame_times.append(time.monotonic())
        if packet.sequence_number in dropped_sequences:
            dropped_sequences.discard(packet.sequence_number)
            result['recovered'] += 1
    return await original_handle(self, packet, arrival_time_ms)


RTCRtpReceiver._handle_rtp_packet = handle_rtp_packet
video_payload_type = None
original_ice_init = RTCIceTransport.__init__


def ice_init(self, *args, **kwargs):
    original_ice_init(self, *args, **kwargs)
    original_recv = self._recv

    async def recv():
        return await recv_losing_some(original_recv)
    self._recv = recv


async def recv_losing_some(original_recv):
    """The path, lossy: every Nth video SRTP datagram is lost before aiortc sees it (the RTP
    header is in the clear in SRTP, RFC 3711 §3.1); a packet lost once arrives when sent again."""
    global seen_video
    while True:
        data = await original_recv()
        if options.drop_every and len(data) >= 12 and 128 <= data[0] < 192 and (data[1] & 0x7F) == video_payload_type:
            sequence = int.from_bytes(data[2:4], 'big')
            seen_video += 1
            if seen_video % options.drop_every == 0 and sequence not in lost_once:
                lost_once.add(sequence)
                dropped_sequences.add(sequence)
                result['dropped'] += 1
                continue
        return data


lost_once = set()
RTCIceTransport.__init__ = ice_init


def http(method, url, body=None, content_type=None):
    request = urllib.request.Request(url, data=body, method=method)
    if content_type:
        request.add_header('Content-Type', content_type)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


async def consume(track, kind):
    while True:
        try:
            frame = await track.recv()
        except Exception:
            return
        if kind == 'video':
            if result['video_frames'] == 0:
                result['first_frame_ms'] = round((time.monotonic() - posted) * 1000, 1)
                result['width'], result['height'] = frame.width, frame.height
            result['video_frames'] += 1
        else:
            result['audio_frames'] += 1
            result['audio_rate'] = frame.sample_rate


async def main():
    global posted
    pc = RTCPeerConnection()
    pc.addTransceiver('video', direction='recvonly')
    pc.addTransceiver('audio', direction='recvonly')
    tasks = []

    @pc.on('track')
    def on_track(track):
        tasks.append(asyncio.ensure_future(consume(track, track.kind)))

    await pc.setLocalDescription(await pc.createOffer())
    posted = time.monotonic()
    status, headers, answer = await asyncio.get_event_loop().run_in_executor(
        None, http, 'POST', options.url, pc.localDescription.sdp.encode(), 'application/sdp')
    result['status'] = status
    result['location'] = headers.get('Location')
    result['answer'] = answer
    if status != 201:
        print(json.dumps(result))
        await pc.close()
        return
    global video_payload_type
    for line in answer.splitlines():
        if line.startswith('m=video') and len(line.split()) > 3:
            video_payload_type = int(line.split()[3])
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type='answer'))
    if options.pli_at is not None:
        await asyncio.sleep(options.pli_at)
        receiver = next(t.receiver for t in pc.getTransceivers() if t.kind == 'video')
        ssrc = next(iter(receiver._RTCRtpReceiver__remote_streams.keys()), None)
        before = len(key_frame_times)
        sent = time.monotonic()
        await receiver._send_rtcp_pli(ssrc)
        result['pli_sent_at'] = round(sent - started, 3)
        result['pli_ssrc'] = ssrc
        await asyncio.sleep(max(0.1, options.seconds - options.pli_at))
        after = [t for t in key_frame_times[before:] if t >= sent]
        if after:
            result['key_frame_after_pli_ms'] = round((after[0] - sent) * 1000, 1)
    else:
        await asyncio.sleep(options.seconds)
    result['key_frames'] = len(key_frame_times)
    result['connection_state'] = pc.connectionState
    if options.hang:
        # The peer vanishes: nothing more is read or sent (no consent checks, no DELETE).
        print(json.dumps(result), flush=True)
        time.sleep(3600)
    if not options.no_delete and result['location']:
        target = urllib.parse.urljoin(options.url, result['location'])
        result['delete_status'], _, _ = await asyncio.get_event_loop().run_in_executor(None, http, 'DELETE', target)
    for task in tasks:
        task.cancel()
    await pc.close()
    print(json.dumps(result), flush=True)


asyncio.run(main())
