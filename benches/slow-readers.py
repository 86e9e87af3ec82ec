"""Slow readers against a WebSocket server on loopback: N connections
(4 KiB receive buffers) each upgrade, send 16 x 512 KiB masked binary
frames, and never read. Prints, once a second, the server's open sockets
and resident memory, and when the server dropped every connection.

    target/release/ws serve 127.0.0.1:9001 &
    python3 benches/slow-readers.py 127.0.0.1 9001 $! [CONNECTIONS [SECONDS]]

The server's PID is read from /proc (Linux). With the default keepalive
(20 s + 20 s, looked at every 5 s) the echo server drops them all within
about 45 s and gives back their memory.
"""
import base64, os, socket, sys, threading, time

host, port, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
n = int(sys.argv[4]) if len(sys.argv) > 4 else 10
limit = float(sys.argv[5]) if len(sys.argv) > 5 else 90

def rss():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1])
def sockets():
    return sum(1 for fd in os.listdir(f"/proc/{pid}/fd")
               if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:"))

frame = bytes([0x82, 0x80 | 127]) + (512 << 10).to_bytes(8, "big") + b"\0\0\0\0" + b"\x5a" * (512 << 10)
before_rss, before_socks = rss(), sockets()
print(f"before: server RSS {before_rss} KiB, {before_socks} sockets", flush=True)
conns = []
for i in range(n):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect((host, port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    conns.append(s)

def send(s):
    s.settimeout(limit)
    try:
        for _ in range(16):
            s.sendall(frame)
    except OSError:
        pass
threads = [threading.Thread(target=send, args=(s,), daemon=True) for s in conns]
t0 = time.time()
for t in threads: t.start()
peak = 0
while time.time() - t0 < limit:
    time.sleep(1)
    r, k = rss(), sockets()
    peak = max(peak, r)
    print(f"t={time.time()-t0:5.1f}s server RSS {r} KiB, sockets {k}", flush=True)
    if k <= before_socks:
        print(f"all {n} connections dropped by t={time.time()-t0:.1f}s; RSS {r} KiB (before {before_rss}, peak {peak})", flush=True)
        break
else:
    print(f"still open after {limit}s: sockets {sockets()}, RSS {rss()} KiB (before {before_rss}, peak {peak})")
