#!/usr/bin/env python3
"""Picture-in → painted latency of a WHEP stream in Debian's headless chromium.

    webrtc_latency.py URL MODE SECONDS [KINDS]

Opens a local page that plays URL by WHEP (chromium's own RTCPeerConnection), and on every
painted picture (requestVideoFrameCallback) draws it to a canvas and reads the time code in
its top rows:
    MODE ms     the anchor's (gst_whep_anchor.py): 32 blocks of 16 px, 16 rows, the wall-clock
                milliseconds (low 32 bits) the picture was pushed, most significant bit first
    MODE frame  Vigil's bench feeder's (timecode.py): 32 blocks of width/32 px on rows 8–56, a
                16-bit frame number and its complement
KINDS: "video,audio" (default) or "video": the transceivers offered. With audio, chromium plays
the two in sync (they share the answer's msid), so the picture waits for the sound's playout
delay; video alone is what the anchor sends.
Prints JSON: post_to_first_ms (WHEP POST → first painted picture) and samples, a list of
[code, painted wall-clock ms] for the pictures whose code read."""
import json, subprocess, sys, tempfile, time, os

url, mode, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
kinds = (sys.argv[4] if len(sys.argv) > 4 else 'video,audio').split(',')
PAGE = """<!doctype html><html><body><video id="v" muted playsinline autoplay></video><canvas id="c"></canvas><script>
const v = document.getElementById('v'), c = document.getElementById('c'), g = c.getContext('2d', {willReadFrequently: true});
const MODE = '%(mode)s', SECONDS = %(seconds)s, KINDS = %(kinds)s;
const samples = []; let posted = null, first = null;
function readCode() {
  const w = v.videoWidth, h = v.videoHeight; if (!w) return null;
  c.width = w; c.height = 64; g.drawImage(v, 0, 0, w, h, 0, 0, w, h);
  const px = g.getImageData(0, 0, w, 64).data;
  const luma = (x, y) => { const i = (y * w + x) * 4; return 0.299 * px[i] + 0.587 * px[i + 1] + 0.114 * px[i + 2]; };
  if (MODE === 'ms') {
    let value = 0;
    for (let b = 0; b < 32; b++) value = (value * 2) + (luma(b * 16 + 8, 8) > 128 ? 1 : 0);
    return value;
  }
  const bw = Math.floor(w / 32); let word = 0;
  for (let b = 0; b < 32; b++) if (luma(b * bw + Math.floor(bw / 2), 32) > 128) word += 2 ** b;
  const n = word %% 65536, check = Math.floor(word / 65536);
  return check === (~n & 0xffff) ? n : null;
}
function painted() {
  const now = Date.now();
  if (first === null) first = performance.now();
  const code = readCode(); if (code !== null) samples.push([code, now]);
  v.requestVideoFrameCallback(painted);
}
v.requestVideoFrameCallback(painted);
(async () => {
  const pc = new RTCPeerConnection();
  for (const kind of KINDS) pc.addTransceiver(kind, {direction: 'recvonly'});
  const stream = new MediaStream(); pc.ontrack = e => { stream.addTrack(e.track); v.srcObject = stream; };
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise(r => { if (pc.iceGatheringState === 'complete') r(); pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r(); setTimeout(r, 1000); });
  posted = performance.now();
  const response = await fetch('%(url)s', {method: 'POST', headers: {'Content-Type': 'application/sdp'}, body: pc.localDescription.sdp});
  if (response.status !== 201) { console.log('VIGIL-RESULT ' + JSON.stringify({error: 'POST ' + response.status})); return; }
  const answer = await response.text();
  console.log('VIGIL-ANSWER ' + JSON.stringify(answer) + ' VIGIL-END');
  await pc.setRemoteDescription({type: 'answer', sdp: answer});
  setTimeout(async () => {
    for (let i = 0; i < samples.length; i += 40) console.log('VIGIL-PART ' + JSON.stringify(samples.slice(i, i + 40)));
    // Where the time went on chromium's side: its jitter buffer and its decode, per picture.
    const stats = {};
    (await pc.getStats()).forEach(r => {
      if (r.type !== 'inbound-rtp' || r.kind !== 'video') return;
      const per = (total, count) => count ? Math.round(total / count * 10000) / 10 : null;
      Object.assign(stats, {jitter_buffer_ms: per(r.jitterBufferDelay, r.jitterBufferEmittedCount),
        jitter_buffer_target_ms: per(r.jitterBufferTargetDelay, r.jitterBufferEmittedCount),
        decode_ms: per(r.totalDecodeTime, r.framesDecoded), processing_ms: per(r.totalProcessingDelay, r.framesDecoded),
        frames_decoded: r.framesDecoded, frames_dropped: r.framesDropped, jitter_ms: r.jitter * 1000, nacks: r.nackCount});
    });
    console.log('VIGIL-RESULT ' + JSON.stringify({post_to_first_ms: first === null ? null : first - posted, count: samples.length, stats}));
  }, SECONDS * 1000);
})().catch(e => console.log('VIGIL-RESULT ' + JSON.stringify({error: String(e)})));
</script></body></html>"""

with tempfile.TemporaryDirectory() as directory:
    page = os.path.join(directory, 'page.html')
    with open(page, 'w') as f:
        f.write(PAGE % {'mode': mode, 'seconds': seconds, 'url': url, 'kinds': json.dumps(kinds)})
    browser = subprocess.Popen(
        ['/usr/bin/chromium', '--headless=new', '--no-sandbox', '--disable-gpu', '--autoplay-policy=no-user-gesture-required',
         '--disable-web-security', '--enable-logging=stderr', '--v=0', f'--user-data-dir={directory}/profile', 'file://' + page],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + seconds + 40
    result = {'error': 'chromium reported nothing'}
    samples, answer = [], None
    while time.monotonic() < deadline:
        line = browser.stderr.readline()
        if not line:
            break
        if 'VIGIL-PART ' in line:
            text = line.split('VIGIL-PART ', 1)[1]
            samples += json.loads(text[:text.rindex(']') + 1])
        if 'VIGIL-ANSWER ' in line:
            text = line.split('VIGIL-ANSWER ', 1)[1]
            answer = json.loads(text[:text.index(' VIGIL-END')])
        if 'VIGIL-RESULT ' in line:
            text = line.split('VIGIL-RESULT ', 1)[1]
            result = json.loads(text[:text.rindex('}') + 1])
            result['samples'] = samples
            result['answer'] = answer
            break
    browser.kill()
    browser.wait()
print(json.dumps(result))
