#!/usr/bin/env python3
"""A real WebRTC peer on the other side of Vigil's WHEP SDP negotiation (ServeWire/WebRTC):

    webrtc_sdp_check.py aiortc-offer            # print aiortc's recvonly video + audio offer
    webrtc_sdp_check.py chromium-offer          # print headless Chromium's recvonly video + audio offer
    webrtc_sdp_check.py aiortc DIR              # aiortc offers, then accepts Vigil's answer
    webrtc_sdp_check.py chromium DIR            # Chromium offers, then accepts Vigil's answer

In the last two the offering peer writes DIR/offer.sdp, waits (30 s) for the caller to write
DIR/answer.sdp, applies it with setRemoteDescription and prints JSON: {"ok": true,
"transceivers": [{"mid", "direction", "codecs"}]} or {"ok": false, "error": "..."} (exit 1).
The same peer that made the offer takes the answer, so its ICE credentials, fingerprint and
payload types are the ones the answer refers to.
"""
import asyncio, json, os, shutil, subprocess, sys, tempfile, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHROMIUM = '/usr/bin/chromium'
WAIT = 30


def wait_for(path):
    deadline = time.time() + WAIT
    while time.time() < deadline:
        if os.path.exists(path + '.done'):
            with open(path) as f:
                return f.read()
        time.sleep(0.05)
    raise TimeoutError('no ' + path + ' after %d s' % WAIT)


def write(path, text):
    with open(path, 'w') as f:
        f.write(text)
    open(path + '.done', 'w').close()


async def aiortc_peer(directory):
    from aiortc import RTCPeerConnection, RTCSessionDescription
    pc = RTCPeerConnection()
    try:
        pc.addTransceiver('video', direction='recvonly')
        pc.addTransceiver('audio', direction='recvonly')
        await pc.setLocalDescription(await pc.createOffer())
        if directory is None:
            print(pc.localDescription.sdp, end='')
            return 0
        write(os.path.join(directory, 'offer.sdp'), pc.localDescription.sdp)
        answer = await asyncio.get_running_loop().run_in_executor(None, wait_for, os.path.join(directory, 'answer.sdp'))
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type='answer'))
        except Exception as error:  # aiortc raises ValueError and others for answers it refuses
            print(json.dumps({'ok': False, 'error': '%s: %s' % (type(error).__name__, error)}))
            return 1
        transceivers = [{'peer': 'aiortc', 'mid': t.mid, 'direction': t.currentDirection,
                         'codecs': [c.mimeType + (' ' + ';'.join('%s=%s' % kv for kv in sorted(c.parameters.items())) if c.parameters else '')
                                    for c in t._codecs]} for t in pc.getTransceivers()]
        print(json.dumps({'ok': True, 'signalingState': pc.signalingState, 'transceivers': transceivers}))
        return 0
    finally:
        await pc.close()


PAGE = """<!doctype html><html><body><script>
(async () => {
  const post = (path, body) => fetch(path, {method: 'POST', body});
  try {
    const pc = new RTCPeerConnection();
    pc.addTransceiver('video', {direction: 'recvonly'});
    pc.addTransceiver('audio', {direction: 'recvonly'});
    await pc.setLocalDescription(await pc.createOffer());
    await post('/offer', pc.localDescription.sdp);
    const answer = await (await fetch('/answer')).text();
    try {
      await pc.setRemoteDescription({type: 'answer', sdp: answer});
    } catch (e) {
      await post('/result', JSON.stringify({ok: false, error: e.name + ': ' + e.message}));
      return;
    }
    const transceivers = pc.getTransceivers().map(t => ({peer: 'chromium', mid: t.mid, direction: t.currentDirection,
      codecs: t.receiver.getParameters().codecs.map(c => c.mimeType + (c.sdpFmtpLine ? ' ' + c.sdpFmtpLine : ''))}));
    await post('/result', JSON.stringify({ok: true, signalingState: pc.signalingState, transceivers}));
  } catch (e) {
    await post('/result', JSON.stringify({ok: false, error: 'page: ' + e}));
  }
})();
</script></body></html>"""


def chromium_peer(directory):
    if not os.access(CHROMIUM, os.X_OK):
        print(json.dumps({'ok': False, 'error': CHROMIUM + ' is missing (Scripts/install-deps --test)'}))
        return 2
    results = {}
    done = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def reply(self, body, kind='text/plain'):
            data = body.encode()
            self.send_response(200)
            self.send_header('Content-Type', kind)
            self.send_header('Content-Length', str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path == '/':
                self.reply(PAGE, 'text/html')
            elif self.path == '/answer':
                self.reply(wait_for(os.path.join(directory, 'answer.sdp')) if directory else '')
            else:
                self.send_error(404)

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get('Content-Length', '0'))).decode()
            if self.path == '/offer':
                results['offer'] = body
                if directory is None:
                    done.set()
                else:
                    write(os.path.join(directory, 'offer.sdp'), body)
            elif self.path == '/result':
                results['result'] = body
                done.set()
            self.reply('')

    server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    profile = tempfile.mkdtemp(prefix='vigil-webrtc-chromium-')
    browser = subprocess.Popen([CHROMIUM, '--headless=new', '--no-sandbox', '--disable-gpu', '--user-data-dir=' + profile,
                                'http://127.0.0.1:%d/' % server.server_address[1]],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        if not done.wait(WAIT * 2):
            print(json.dumps({'ok': False, 'error': 'chromium reported nothing'}))
            return 1
    finally:
        browser.kill()
        browser.wait()
        server.shutdown()
        shutil.rmtree(profile, ignore_errors=True)
    if directory is None:
        print(results['offer'], end='')
        return 0
    print(results['result'])
    return 0 if json.loads(results['result']).get('ok') else 1


def main():
    mode = sys.argv[1]
    directory = sys.argv[2] if len(sys.argv) > 2 else None
    if mode == 'aiortc-offer':
        return asyncio.run(aiortc_peer(None))
    if mode == 'aiortc':
        return asyncio.run(aiortc_peer(directory))
    if mode == 'chromium-offer':
        return chromium_peer(None)
    if mode == 'chromium':
        return chromium_peer(directory)
    print(__doc__, file=sys.stderr)
    return 2


sys.exit(main())
