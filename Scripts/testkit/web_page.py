#!/usr/bin/python3
"""Vigil's web page as a person meets it, in Debian's headless chromium driven over the
DevTools protocol (--remote-debugging-pipe: JSON messages ended by NUL on fds 3 and 4, so
no WebSocket client is needed). Standard library only.

It opens BASE/, expects to land on /login, types the user and password into the form and
submits it, waits for the page, then counts the pictures the stream's live <video> paints
(requestVideoFrameCallback, through window.VigilPage.report()) in SECONDS after the first,
waits for the recordings timeline to list a span, picks it (VOD HLS playback), and takes a
screenshot at desktop size and one at phone size. The screenshots are decoded here (zlib,
PNG filters) and their pixel statistics reported.

Usage: web_page.py BASE USER PASSWORD SCREENSHOT_PREFIX [SECONDS]
Prints one JSON object; exits 1 with {"error": ...} when a step fails.
"""
import base64, json, os, shutil, subprocess, sys, tempfile, time, zlib

CHROMIUM = "/usr/bin/chromium"


class Browser:
    def __init__(self, profile):
        self.read_fd, child_write = os.pipe()  # chromium writes to its fd 4
        child_read, self.write_fd = os.pipe()  # chromium reads from its fd 3

        def fds():
            os.dup2(child_read, 3)
            os.dup2(child_write, 4)

        self.process = subprocess.Popen(
            [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
             "--autoplay-policy=no-user-gesture-required", "--no-first-run", "--user-data-dir=" + profile,
             "--window-size=1280,1000", "about:blank"],
            preexec_fn=fds, pass_fds=(3, 4), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(profile, "chromium.log"), "wb"), close_fds=True)
        os.close(child_read)
        os.close(child_write)
        self.next_id = 0
        self.buffer = b""
        self.events = []

    def send(self, method, params=None, session=None):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.write_fd, json.dumps(message).encode() + b"\0")
        wanted = self.next_id
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for reply in self.read():
                if reply.get("id") == wanted:
                    if "error" in reply:
                        raise RuntimeError(f"{method}: {reply['error']}")
                    return reply.get("result", {})
                self.events.append(reply)
        raise RuntimeError(f"{method}: no answer in 30 s")

    def read(self):
        chunk = os.read(self.read_fd, 1 << 20)
        if not chunk:
            raise RuntimeError("chromium closed the pipe")
        self.buffer += chunk
        *messages, self.buffer = self.buffer.split(b"\0")
        return [json.loads(m) for m in messages if m]

    def close(self):
        try:
            self.send("Browser.close")
        except Exception:
            pass
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()


def png_stats(path):
    """Width, height, and the mean and variance of the gray level of an 8-bit RGB(A) PNG."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    at, idat, width, height, channels = 8, b"", 0, 0, 0
    while at < len(data):
        length = int.from_bytes(data[at:at + 4], "big")
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        if kind == b"IHDR":
            width, height = int.from_bytes(body[0:4], "big"), int.from_bytes(body[4:8], "big")
            depth, color = body[8], body[9]
            assert depth == 8 and color in (2, 6), f"8-bit RGB or RGBA expected, got depth {depth} color {color}"
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
        at += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytearray(stride)
    total = total2 = count = 0
    distinct = set()
    for row in range(height):
        start = row * (stride + 1)
        kind = raw[start]
        line = bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):  # PNG filters (RFC 2083 §6)
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        previous = line
        if row % 2:
            continue  # every other row and column is plenty for statistics
        for x in range(0, width, 2):
            r, g, b = line[x * channels], line[x * channels + 1], line[x * channels + 2]
            gray = (r * 299 + g * 587 + b * 114) // 1000
            total += gray
            total2 += gray * gray
            count += 1
            distinct.add((r >> 4, g >> 4, b >> 4))
    mean = total / count
    return {"width": width, "height": height, "mean": round(mean, 2), "variance": round(total2 / count - mean * mean, 2),
            "colors": len(distinct)}


def main():
    base, user, password, prefix = sys.argv[1:5]
    seconds = float(sys.argv[5]) if len(sys.argv) > 5 else 2.0
    profile = tempfile.mkdtemp(prefix="vigil-web-page-")
    browser = Browser(profile)
    result = {}
    try:
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        browser.send("Page.enable", session=session)
        browser.send("Runtime.enable", session=session)

        def evaluate(expression):
            reply = browser.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True},
                                 session=session)
            if "exceptionDetails" in reply:
                raise RuntimeError(f"{expression[:60]}: {reply['exceptionDetails'].get('text')}")
            return reply.get("result", {}).get("value")

        def wait_for(expression, timeout, what):
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                try:
                    value = evaluate(expression)
                    if value:
                        return value
                except RuntimeError:
                    pass
                time.sleep(0.1)
            raise RuntimeError(f"timed out waiting for {what}")

        browser.send("Page.navigate", {"url": base + "/"}, session=session)
        wait_for("document.readyState === 'complete' && location.pathname === '/login' && !!document.getElementById('login')",
                 20, "the login page")
        result["redirected_to"] = evaluate("location.pathname")
        evaluate("document.getElementById('username').value = %s; document.getElementById('password').value = %s; "
                 "document.getElementById('login').submit(); true" % (json.dumps(user), json.dumps(password)))
        wait_for("document.readyState === 'complete' && location.pathname === '/' && !!window.VigilPage", 20, "the page after login")
        result["cookie_visible_to_script"] = "vigil_session" in (evaluate("document.cookie") or "")
        wait_for("VigilPage.report().streams.length > 0 && VigilPage.report().streams[0].frames > 0", 40, "the first live picture")
        first = evaluate("JSON.stringify(VigilPage.report())")
        audio_before = evaluate("VigilPage.audioBytes(VigilPage.report().streams[0].path)")
        time.sleep(seconds)
        second = json.loads(evaluate("JSON.stringify(VigilPage.report())"))
        result["audio_bytes_before"] = audio_before
        result["audio_bytes_after"] = evaluate("VigilPage.audioBytes(VigilPage.report().streams[0].path)")
        first = json.loads(first)
        result["user"] = second["user"]
        result["streams"] = [s["path"] for s in second["streams"]]
        stream, before = second["streams"][0], first["streams"][0]
        result["transport"] = stream["transport"]
        result["whep_error"] = stream["whepError"]
        result["frames"] = stream["frames"] - before["frames"]
        result["seconds"] = seconds
        result["width"] = stream["width"]
        wait_for("VigilPage.report().streams[0].listed > 0", 30, "a recorded span on the timeline")
        result["spans_listed"] = evaluate("VigilPage.report().streams[0].listed")
        wait_for("VigilPage.report().streams[0].viewers >= 0 && document.getElementById('health-version').textContent !== '…'",
                 10, "the status")
        result["health_version"] = evaluate("document.getElementById('health-version').textContent")
        result["health_disk"] = evaluate("document.getElementById('health-disk').textContent")
        # Scrub: pick the recorded span; the playback <video> decodes pictures of it.
        evaluate("VigilPage.pick(VigilPage.report().streams[0].path); true")
        try:
            wait_for("VigilPage.report().streams[0].recordedFrames > 10", 20, "recorded pictures")
        except RuntimeError:
            pass
        result["recorded_frames"] = evaluate("VigilPage.report().streams[0].recordedFrames")
        result["vod_error"] = evaluate("VigilPage.report().streams[0].vodError")
        time.sleep(0.5)
        shot = browser.send("Page.captureScreenshot", {"format": "png"}, session=session)
        with open(prefix + "-desktop.png", "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        result["desktop"] = png_stats(prefix + "-desktop.png")
        browser.send("Emulation.setDeviceMetricsOverride",
                     {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}, session=session)
        time.sleep(1.0)
        result["phone_overflow"] = evaluate("document.documentElement.scrollWidth > window.innerWidth")
        shot = browser.send("Page.captureScreenshot", {"format": "png"}, session=session)
        with open(prefix + "-phone.png", "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        result["phone"] = png_stats(prefix + "-phone.png")
        result["phone_frames_before"] = evaluate("VigilPage.report().streams[0].frames")
        time.sleep(1.0)
        result["phone_frames_after"] = evaluate("VigilPage.report().streams[0].frames")
    except Exception as error:  # report what was reached, and why it stopped
        result["error"] = str(error)
    finally:
        browser.close()
        log = os.path.join(profile, "chromium.log")
        if "error" in result and os.path.exists(log):
            result["chromium_log"] = open(log, errors="replace").read()[-2000:]
        shutil.rmtree(profile, ignore_errors=True)
    print(json.dumps(result))
    sys.exit(1 if "error" in result else 0)


if __name__ == "__main__":
    main()
