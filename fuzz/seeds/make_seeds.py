"""Writes the committed seed corpora (fuzz/seeds/<target>/): valid inputs of
each parser, so that fuzzing starts from the shapes real peers send.
Run from fuzz/: python3 seeds/make_seeds.py"""
import os, struct, zlib, hashlib

KEY = bytes([0x37, 0xfa, 0x21, 0x3d])

def frame(fin, rsv, opcode, payload, mask=True):
    b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
    n = len(payload)
    m = 0x80 if mask else 0
    if n < 126: head = bytes([b0, m | n])
    elif n < 65536: head = bytes([b0, m | 126]) + struct.pack(">H", n)
    else: head = bytes([b0, m | 127]) + struct.pack(">Q", n)
    if mask:
        return head + KEY + bytes(b ^ KEY[i % 4] for i, b in enumerate(payload))
    return head + payload

def deflate_messages(msgs, wbits=15):
    c = zlib.compressobj(wbits=-wbits)
    out = []
    for m in msgs:
        d = c.compress(m) + c.flush(zlib.Z_SYNC_FLUSH)
        out.append(d[:-4])
    return out

def write(target, seeds):
    d = os.path.join("seeds", target)
    os.makedirs(d, exist_ok=True)
    for s in seeds:
        name = hashlib.sha1(s).hexdigest()
        with open(os.path.join(d, name), "wb") as f:
            f.write(s)

def engine_seeds(mask):
    plain = [frame(True, 0, 1, b"Hello, world", mask),
             frame(False, 0, 1, "caf".encode(), mask) + frame(True, 0, 0, "\u00e9 \u2603".encode(), mask),
             frame(True, 0, 2, bytes(range(256)) * 2, mask),
             frame(True, 0, 9, b"ping", mask) + frame(True, 0, 10, b"pong", mask),
             frame(True, 0, 8, struct.pack(">H", 1000) + b"bye", mask),
             frame(False, 0, 2, b"ab", mask) + frame(True, 0, 9, b"", mask) + frame(True, 0, 0, b"cd", mask)]
    seeds = [bytes([0x07]) + s for s in plain]
    comp = deflate_messages([b"Hello, world " * 20, b"Hello, world " * 21])
    wire = b"".join(frame(True, 4, 1, c, mask) for c in comp)
    seeds.append(bytes([0x20 | 0x10]) + wire)     # deflate, default parameters
    seeds.append(bytes([0x20 | 0x40 | 0x03]) + frame(True, 4, 2, deflate_messages([b"x" * 500])[0], mask))
    c = zlib.compressobj(wbits=-15)
    final = c.compress(b"Hello") + c.flush(zlib.Z_FINISH)
    seeds.append(bytes([0x20]) + frame(True, 4, 1, final, mask) + frame(True, 4, 1, final + b"\x00", mask))
    return seeds

write("frame_header", [frame(True, 0, 1, b"x" * n, m)[: (2 + (0 if n < 126 else 2 if n < 65536 else 8) + (4 if m else 0))]
                       for n in (0, 5, 125, 126, 65535, 65536) for m in (True, False)]
      + [bytes([0x89, 0x00]), bytes([0x88, 0x82]) + KEY])
write("engine_server", engine_seeds(True))
write("engine_client", engine_seeds(False))

req = (b"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
       b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n")
write("handshake_request", [
    req + b"\r\n",
    req + b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n",
    req + b"Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; server_max_window_bits=10, permessage-deflate\r\n"
          b"Sec-WebSocket-Protocol: chat, superchat\r\n\r\n" + frame(True, 0, 1, b"hi"),
    b"GET / HTTP/1.0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\n\r\n",
])
resp = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n")
write("handshake_response", [
    resp + b"\r\n",
    resp + b"Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=12\r\n\r\n",
    resp + b"Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=9; server_no_context_takeover\r\n\r\n"
         + frame(True, 0, 1, b"hello", mask=False),
    b"HTTP/1.1 400 Bad Request\r\nContent-Length: 5\r\n\r\nnope!",
])
write("extensions_header", [
    b"permessage-deflate",
    b"permessage-deflate; client_max_window_bits",
    b"permessage-deflate; server_max_window_bits=10; client_no_context_takeover, permessage-deflate",
    b'foo; bar="baz", permessage-deflate; client_max_window_bits="12"',
    b"permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=8; client_max_window_bits=8",
])
comp = deflate_messages([b'{"user":"ann","text":"hi"}' * 5, b'{"user":"bob","text":"hi"}' * 5])
write("deflate_decode", [bytes([0, 7]) + comp[0], bytes([0, 1]) + comp[0] + b"\xff\xff\xff" + comp[1],
                         bytes([1, 63]) + deflate_messages([b"a" * 3000])[0],
                         bytes([0, 3]) + bytes.fromhex("f348cdc9c90700") + b"\xff\xff\xff" + bytes.fromhex("f348cdc9c9070000")])
write("utf8_fragments", [bytes([2, 3, 7]) + "h\u00e9llo w\u00f6rld \u2603 \U0001F600".encode(),
                         bytes([1, 1]) + "\u20ac".encode(), bytes([3, 1, 2, 3]) + b"ab\xed\xa0\x80cd",
                         bytes([0]) + b"plain ascii", bytes([1, 5]) + b"abc\xf4\x90\x80\x80"])
# extension_stack: setup (deflate parameters, order, chunk), script length,
# the hostile extension's script (op & 7: 0 drop, 1 cut to op >> 3 bytes,
# 2 append op >> 3 script bytes, 3 the same through the spare capacity,
# 4 fail, else pass), then client frames (RSV1: compressed).
texts = ["h\u00e9llo w\u00f6rld \u2603 ".encode() * 8, b'{"user":"ann","text":"hi"}' * 5]
comp = deflate_messages(texts)
wire = b"".join(frame(True, 4, 1, c) for c in comp)
frag = frame(False, 4, 1, comp[0][:7]) + frame(True, 0, 0, comp[0][7:])
write("extension_stack", [bytes([0x00, 1, 5]) + wire,
                          bytes([0x18, 1, 5]) + frag + frame(True, 0, 1, b"plain text"),
                          bytes([0x00, 3, 2 | (2 << 3), 0xc3, 0x28]) + wire,
                          bytes([0x08, 3, 3 | (2 << 3), 0xe2, 0x82]) + frag,
                          bytes([0x30, 2, 5, 1 | (3 << 3)]) + frag + wire,
                          bytes([0x01, 2, 5, 0]) + wire + frame(True, 0, 2, b"binary"),
                          bytes([0x00, 1, 4]) + wire])
write("close_payload", [b"", b"\x03", struct.pack(">H", 1000), struct.pack(">H", 1001) + b"going away",
                        struct.pack(">H", 4999) + "\u00e9".encode(), struct.pack(">H", 1005), struct.pack(">H", 1000) + b"\xc3"])
# h2_connect: flags (method, :protocol, HTTP/2, userinfo, deflate), status - 100
# (2 bytes), then lines: :protocol, round-trip path, headers.
h2 = lambda flags, status, lines: bytes([flags]) + struct.pack(">H", status - 100) + "\n".join(lines).encode()
write("h2_connect", [
    h2(0x0c, 200, ["websocket", "/chat", "sec-websocket-version: 13",
                   "sec-websocket-protocol: chat, superchat",
                   "sec-websocket-extensions: permessage-deflate; client_max_window_bits"]),
    h2(0x2c, 200, ["websocket", "/", "sec-websocket-version: 13", "sec-websocket-protocol: chat",
                   "sec-websocket-extensions: permessage-deflate; server_max_window_bits=12"]),
    h2(0x1c, 204, ["WebSocket", "/feed?x=1", "sec-websocket-version: 12", "origin: https://app.example"]),
    h2(0x02, 404, ["", "/", "content-type: text/plain"]),
    h2(0x4d, 200, ["websocket", "/", "sec-websocket-version: 13", "sec-websocket-version: 13",
                   "sec-websocket-protocol: chat", "sec-websocket-protocol: superchat"]),
])
