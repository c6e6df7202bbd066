#!/usr/bin/env python3
"""pylibsrtp (from PyPI: its own build of libsrtp behind its own binding) on the other side of
Vigil's SRTP. Reads one JSON object on stdin:

    {"profile": "aes128_cm_sha1_80" | "aead_aes_128_gcm",
     "outbound": HEX,   # master key + salt this peer protects with (Vigil's remote side)
     "inbound": HEX,    # master key + salt this peer unprotects with (Vigil's local side)
     "steps": [{"op": "protect" | "unprotect" | "protect_rtcp" | "unprotect_rtcp", "hex": HEX}, ...]}

Runs the steps in order on one outbound and one inbound session (so replay windows hold across
steps; the outbound allows repeated packets, as NACK resends need) and prints a JSON list with
one object per step: {"hex": HEX} or {"error": "..."}.
"""
import binascii, json, sys
from pylibsrtp import Error, Policy, Session

PROFILES = {
    'aes128_cm_sha1_80': Policy.SRTP_PROFILE_AES128_CM_SHA1_80,
    'aead_aes_128_gcm': Policy.SRTP_PROFILE_AEAD_AES_128_GCM,
}

request = json.load(sys.stdin)
profile = PROFILES[request['profile']]
outbound_policy = Policy(key=binascii.unhexlify(request['outbound']), ssrc_type=Policy.SSRC_ANY_OUTBOUND,
                         srtp_profile=profile)
outbound_policy.allow_repeat_tx = True
outbound = Session(policy=outbound_policy)
inbound_policy = Policy(key=binascii.unhexlify(request['inbound']), ssrc_type=Policy.SSRC_ANY_INBOUND,
                        srtp_profile=profile)
inbound_policy.window_size = 1024
inbound = Session(policy=inbound_policy)

results = []
for step in request['steps']:
    data = binascii.unhexlify(step['hex'])
    try:
        if step['op'] == 'protect':
            out = outbound.protect(data)
        elif step['op'] == 'protect_rtcp':
            out = outbound.protect_rtcp(data)
        elif step['op'] == 'unprotect':
            out = inbound.unprotect(data)
        elif step['op'] == 'unprotect_rtcp':
            out = inbound.unprotect_rtcp(data)
        else:
            raise ValueError('unknown op ' + step['op'])
        results.append({'hex': out.hex()})
    except Error as error:
        results.append({'error': str(error)})
print(json.dumps(results))
