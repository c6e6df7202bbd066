#!/usr/bin/env python3
"""N WebRTC viewers of a WHEP URL in one process, light: aiortc's ICE, DTLS and SRTP, then the
RTP is only counted (no jitter buffer, no decoding), so one core holds many viewers.

    webrtc_load.py URL N SECONDS

Prints JSON: viewers (that connected), and for video over the measured window the packets
expected (from each viewer's sequence numbers) and received, and the loss fraction."""
import asyncio, json, sys, time, urllib.request

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.rtcrtpreceiver import RTCRtpReceiver

url, count, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
measuring = {'on': False}
stats = {}  # receiver id -> [first extended seq, last extended seq, received]


async def count_only(self, packet, arrival_time_ms):
    if self._RTCRtpReceiver__kind != 'video' or not measuring['on']:
        return
    entry = stats.setdefault(id(self), [None, None, 0, 0])
    seq = packet.sequence_number
    if entry[0] is None:
        entry[0] = entry[1] = entry[3] = seq
    else:
        delta = (seq - entry[3]) & 0xFFFF
        if delta < 0x8000:
            entry[1] += delta
            entry[3] = seq
    entry[2] += 1


RTCRtpReceiver._handle_rtp_packet = count_only


def post(offer):
    request = urllib.request.Request(url, data=offer.encode(), method='POST', headers={'Content-Type': 'application/sdp'})
    with urllib.request.urlopen(request, timeout=20) as response:
        return response.status, response.read().decode()


async def viewer(pcs):
    pc = RTCPeerConnection()
    pc.addTransceiver('video', direction='recvonly')
    pc.addTransceiver('audio', direction='recvonly')
    await pc.setLocalDescription(await pc.createOffer())
    status, answer = await asyncio.get_event_loop().run_in_executor(None, post, pc.localDescription.sdp)
    if status != 201:
        await pc.close()
        return False
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type='answer'))
    pcs.append(pc)
    return True


async def main():
    pcs = []
    results = await asyncio.gather(*[viewer(pcs) for _ in range(count)], return_exceptions=True)
    connected = sum(1 for r in results if r is True)
    await asyncio.sleep(3)  # ICE, DTLS, the first key frame
    measuring['on'] = True
    started = time.monotonic()
    await asyncio.sleep(seconds)
    measuring['on'] = False
    expected = sum(e[1] - e[0] + 1 for e in stats.values() if e[0] is not None)
    received = sum(e[2] for e in stats.values())
    print(json.dumps({'viewers': connected, 'receiving': len(stats), 'expected': expected, 'received': received,
                      'loss': (1 - received / expected) if expected else None, 'window': time.monotonic() - started}), flush=True)
    await asyncio.gather(*[pc.close() for pc in pcs], return_exceptions=True)


asyncio.run(main())
