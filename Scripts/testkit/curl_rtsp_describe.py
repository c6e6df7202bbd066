#!/usr/bin/env python3
"""An RTSP DESCRIBE through libcurl (the library the curl command is built on), with digest
authentication: `curl_rtsp_describe.py URL [USER:PASSWORD]`. The curl command line cannot send
DESCRIBE (its RTSP requests are OPTIONS only); libcurl's CURLOPT_RTSP_REQUEST can. Prints the
body on stdout, curl's verbose trace and a last line `RESULT curl=N status=N` on stderr.
Used by AuthInteropTests; Python's ctypes, no other module."""
import ctypes, sys
url, userpwd = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else None)
lib = ctypes.CDLL("libcurl.so.4")
lib.curl_easy_init.restype = ctypes.c_void_p
h = lib.curl_easy_init()
body = bytearray()
WRITE = ctypes.CFUNCTYPE(ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_void_p)
def write(ptr, size, n, _):
    body.extend(ctypes.string_at(ptr, size * n)); return size * n
cb = WRITE(write)
lib.curl_easy_setopt.argtypes = None
# Option numbers from curl.h: URL 10002, RTSP_STREAM_URI 10191, RTSP_REQUEST 189
# (CURL_RTSPREQ_DESCRIBE = 2), VERBOSE 41, TIMEOUT 13, WRITEFUNCTION 20011, HTTPAUTH 107
# (CURLAUTH_DIGEST = 2), USERPWD 10005; CURLINFO_RESPONSE_CODE 0x200002.
lib.curl_easy_setopt(ctypes.c_void_p(h), 10002, ctypes.c_char_p(url.encode()))
lib.curl_easy_setopt(ctypes.c_void_p(h), 10191, ctypes.c_char_p(url.encode()))
lib.curl_easy_setopt(ctypes.c_void_p(h), 189, ctypes.c_long(2))
lib.curl_easy_setopt(ctypes.c_void_p(h), 41, ctypes.c_long(1))
lib.curl_easy_setopt(ctypes.c_void_p(h), 13, ctypes.c_long(10))
lib.curl_easy_setopt(ctypes.c_void_p(h), 20011, cb)
if userpwd:
    lib.curl_easy_setopt(ctypes.c_void_p(h), 107, ctypes.c_long(2))
    lib.curl_easy_setopt(ctypes.c_void_p(h), 10005, ctypes.c_char_p(userpwd.encode()))
rc = lib.curl_easy_perform(ctypes.c_void_p(h))
code = ctypes.c_long()
lib.curl_easy_getinfo(ctypes.c_void_p(h), 0x200002, ctypes.byref(code))
sys.stdout.write(body.decode(errors="replace"))
sys.stderr.write(f"\nRESULT curl={rc} status={code.value}\n")
