#!/usr/bin/env python3
"""aioice's STUN (from PyPI, an independent implementation) on the other side of Vigil's:

    stun_peer.py parse HEX KEY    # parse a message, checking MESSAGE-INTEGRITY with KEY and FINGERPRINT
    stun_peer.py respond HEX KEY  # aioice's Binding success response to a request: XOR-MAPPED-ADDRESS 192.0.2.1:32853
    stun_peer.py crc32 HEX        # zlib's CRC-32 of the bytes
    stun_peer.py request USERNAME KEY [use-candidate]
                                  # a full agent's connectivity check as aioice makes it (RFC 8445 §7.2.2)

Prints JSON; a message aioice refuses exits 1 with its reason.
"""
import binascii, json, sys, zlib
from aioice import stun

mode = sys.argv[1]
if mode == 'request':
    request = stun.Message(message_method=stun.Method.BINDING, message_class=stun.Class.REQUEST)
    request.attributes['USERNAME'] = sys.argv[2]
    request.attributes['PRIORITY'] = 1853817087
    request.attributes['ICE-CONTROLLING'] = 0x1122334455667788
    if len(sys.argv) > 4 and sys.argv[4] == 'use-candidate':
        request.attributes['USE-CANDIDATE'] = None
    request.add_message_integrity(sys.argv[3].encode())
    request.add_fingerprint()
    print(json.dumps({'hex': bytes(request).hex(), 'transaction_id': request.transaction_id.hex()}))
    sys.exit(0)
data = binascii.unhexlify(sys.argv[2])
if mode == 'crc32':
    print(json.dumps({'crc32': zlib.crc32(data)}))
    sys.exit(0)
key = sys.argv[3].encode()
try:
    message = stun.parse_message(data)  # checks FINGERPRINT when there is one
except ValueError as error:
    print(json.dumps({'error': str(error)}))
    sys.exit(1)
if not message.check_message_integrity(key):
    print(json.dumps({'error': 'MESSAGE-INTEGRITY does not match'}))
    sys.exit(1)
if mode == 'parse':
    attributes = {}
    for name, value in message.attributes.items():
        if name in ('MESSAGE-INTEGRITY', 'FINGERPRINT'):
            attributes[name] = True
            continue
        attributes[name] = value.hex() if isinstance(value, bytes) else (list(value) if isinstance(value, tuple) else value)
    print(json.dumps({'method': int(message.message_method), 'class': int(message.message_class),
                      'transaction_id': message.transaction_id.hex(), 'attributes': attributes}, default=str))
else:
    response = stun.Message(message_method=stun.Method.BINDING, message_class=stun.Class.RESPONSE,
                            transaction_id=message.transaction_id)
    response.attributes['XOR-MAPPED-ADDRESS'] = ('192.0.2.1', 32853)
    response.add_message_integrity(key)
    response.add_fingerprint()
    print(json.dumps({'hex': bytes(response).hex()}))
