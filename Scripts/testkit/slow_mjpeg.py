#!/usr/bin/python3
"""A slow MJPEG reader for the test suite: connects with a 4 KiB receive buffer, reads the
first part, stops reading for STALL seconds, then reads for a second. Prints one JSON object:
the X-Vigil-Frame of every part, split into before and after the stall, and the bytes that
had been sent meanwhile (read in the first 50 ms after resuming).

Usage: slow_mjpeg.py PORT PATH STALL
"""
import json, re, socket, sys, time

port, path, stall = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(('127.0.0.1', port))
s.sendall(f'GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'.encode())
data = b''
while b'X-Vigil-Frame' not in data or data.count(b'--vigil-mjpeg-frame') < 2:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
before = [int(x) for x in re.findall(rb'X-Vigil-Frame: (\d+)', data)]
time.sleep(stall)
resumed = time.monotonic()
backlog = b''
s.settimeout(0.05)
try:
    while time.monotonic() - resumed < 0.05:
        backlog += s.recv(65536)
except socket.timeout:
    pass
rest = backlog
s.settimeout(1.0)
end = time.monotonic() + 1.0
try:
    while time.monotonic() < end:
        chunk = s.recv(65536)
        if not chunk:
            break
        rest += chunk
except socket.timeout:
    pass
after = [int(x) for x in re.findall(rb'X-Vigil-Frame: (\d+)', rest)]
print(json.dumps(dict(before=before, after=after, backlog_bytes=len(backlog))))
