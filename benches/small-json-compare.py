#!/usr/bin/env python3
"""Small JSON messages over permessage-deflate, measured from outside the
server: the compression ratio of a server's echoes and the memory an idle
connection keeps after traffic, for each server named on the command line.

    python3 benches/small-json-compare.py                  # python websockets, then ours
    python3 benches/small-json-compare.py ours --ours-cmd 'target/debug/ws serve -q 127.0.0.1:0'
    python3 benches/small-json-compare.py python 'mine=./my-server --port {port}'

A server is `python` (Python `websockets`' asyncio echo server with its
default compression), `ours` (`ws serve -q 127.0.0.1:0`, the library's
default `DeflateConfig`) or `NAME=COMMAND`, any echo server: COMMAND runs
without a shell; `{port}` in it becomes a free port, otherwise the script
reads `HOST:PORT` from the first line of its output that has one. Its
memory is the RSS of the process that holds the listening socket (the
command itself or one of its descendants).

1. Ratio: one connection offers `permessage-deflate; client_max_window_bits`
   (what browsers offer), sends the records one at a time, uncompressed
   (RSV1 clear, masked), and waits for each echo. The ratio is the records'
   bytes over the bytes of the echoes' frames, headers included, read raw
   from the socket. Every echo is checked against the record: a compressed
   one is inflated by Python's zlib (raw deflate, one decompressor across
   messages unless the server said server_no_context_takeover), an
   independent check of the server's context-takeover stream.
2. Idle memory: a fresh server; its RSS before any connection; N
   connections each send a few records and read their echoes (checked the
   same way), then all sit idle; after --idle-wait seconds the RSS again.
   Reported: (RSS idle - RSS before) / N in KiB, and the same right after
   the traffic.

The records are `benches::SmallJson`'s stream (src/small_json.rs), printed
by `small-json N SEED` (src/bin/small-json.rs), or read from --corpus.
Unless --no-build, the script first builds `ws` and `small-json`
(`cargo build --profile PROFILE`). `python` runs under --python, else the
first of $INTEROP_VENV (default target/interop-venv, the interop suite's
venv) and this interpreter that imports websockets; if neither does, it
makes that venv and installs autobahn/interop/requirements.txt (the pinned
version CI's interop run uses). Linux only (/proc).
"""
import argparse
import asyncio
import base64
import hashlib
import json
import os
import re
import resource
import shlex
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OFFER = "permessage-deflate; client_max_window_bits"
TAIL = b"\x00\x00\xff\xff"

PYTHON_SERVER = r"""
import asyncio, sys, websockets
from websockets.asyncio.server import serve

async def echo(ws):
    async for message in ws:
        await ws.send(message)

async def main():
    # serve()'s defaults, compression included; only the port is chosen.
    async with serve(echo, "127.0.0.1", 0) as server:
        bound = server.sockets[0].getsockname()[1]
        print(f"websockets {websockets.__version__} listening on ws://127.0.0.1:{bound}/", flush=True)
        await server.serve_forever()

asyncio.run(main())
"""


def log(*what):
    print(*what, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- frames


def mask(payload, key):
    """The payload XORed with the 4-byte key, repeated."""
    n = len(payload)
    if n == 0:
        return b""
    keys = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(keys, "little")).to_bytes(n, "little")


def client_frame(opcode, payload, fin=True):
    """A masked client frame, RSV bits clear."""
    head = bytearray([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head.append(0x80 | n)
    elif n < 1 << 16:
        head.append(0x80 | 126)
        head += struct.pack("!H", n)
    else:
        head.append(0x80 | 127)
        head += struct.pack("!Q", n)
    key = os.urandom(4)
    return bytes(head) + key + mask(payload, key)


def parse_frame(buf):
    """(fin, rsv1, opcode, payload, frame length) of the frame at the start
    of buf, or None when buf does not hold all of it yet."""
    if len(buf) < 2:
        return None
    b0, b1 = buf[0], buf[1]
    if b1 & 0x80:
        raise ProtocolError("the server masked a frame")
    if b0 & 0x30:
        raise ProtocolError(f"RSV2/RSV3 set: {b0:#04x}")
    n, at = b1 & 0x7F, 2
    if n == 126:
        if len(buf) < 4:
            return None
        n, at = struct.unpack_from("!H", buf, 2)[0], 4
    elif n == 127:
        if len(buf) < 10:
            return None
        n, at = struct.unpack_from("!Q", buf, 2)[0], 10
    if len(buf) < at + n:
        return None
    return bool(b0 & 0x80), bool(b0 & 0x40), b0 & 0x0F, bytes(buf[at : at + n]), at + n


class ProtocolError(Exception):
    pass


def handshake_request(host, port, key):
    return (
        f"GET / HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Sec-WebSocket-Extensions: {OFFER}\r\n\r\n"
    ).encode()


def check_response(head, key):
    """The agreed Sec-WebSocket-Extensions ('' if none) of a 101 response."""
    lines = head.decode("latin-1").split("\r\n")
    if not lines[0].startswith("HTTP/1.1 101"):
        raise ProtocolError(f"handshake refused: {lines[0]!r}")
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers.setdefault(name.strip().lower(), []).append(value.strip())
    accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
    if headers.get("sec-websocket-accept") != [accept]:
        raise ProtocolError(f"bad Sec-WebSocket-Accept: {headers.get('sec-websocket-accept')}")
    return ", ".join(headers.get("sec-websocket-extensions", []))


def agreed_params(extensions):
    """The parameters of the agreed permessage-deflate, or None."""
    for ext in extensions.split(","):
        parts = [p.strip() for p in ext.split(";")]
        if parts[0] == "permessage-deflate":
            return {p.split("=")[0].strip(): (p.split("=", 1)[1].strip() if "=" in p else None) for p in parts[1:]}
    return None


class Inflater:
    """Inflates a connection's compressed messages with Python's zlib, one
    raw-deflate stream across messages (context takeover) unless the server
    resets its context per message."""

    def __init__(self, extensions):
        params = agreed_params(extensions)
        self.deflate = params is not None
        self.reset = params is not None and "server_no_context_takeover" in params
        self.z = zlib.decompressobj(wbits=-15)

    def message(self, rsv1, payload):
        if not rsv1:
            return payload
        if not self.deflate:
            raise ProtocolError("RSV1 set without permessage-deflate")
        if self.reset:
            self.z = zlib.decompressobj(wbits=-15)
        out = self.z.decompress(payload + TAIL)
        if self.z.unconsumed_tail:
            raise ProtocolError("inflate stopped short")
        return out


class Echoes:
    """Reads a server's messages frame by frame and counts their wire bytes."""

    def __init__(self, extensions, leftover, reply):
        self.buf = bytearray(leftover)
        self.inflater = Inflater(extensions)
        self.reply = reply  # sends a pong
        self.data_wire = 0  # bytes of data frames (headers included)
        self.control_wire = 0
        self.compressed = 0
        self.messages = 0

    def take(self):
        """The next complete message, if buf holds one: (text, payload)."""
        pieces, rsv1, opcode, at = [], False, None, 0
        wire = 0
        while True:
            frame = parse_frame(memoryview(self.buf)[at:])
            if frame is None:
                return None
            fin, r1, op, payload, length = frame
            if op >= 8:
                # A control frame between data frames: answer a ping, and
                # keep the data frames read so far.
                del self.buf[at : at + length]
                self.control_wire += length
                if op == 9:
                    self.reply(client_frame(0xA, payload))
                elif op == 8:
                    code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                    raise ProtocolError(f"the server closed: {code} {payload[2:]!r}")
                continue
            if opcode is None:
                if op == 0:
                    raise ProtocolError("continuation frame first")
                opcode, rsv1 = op, r1
            elif op != 0:
                raise ProtocolError("a new message inside a fragmented one")
            pieces.append(payload)
            wire += length
            at += length
            if fin:
                break
        del self.buf[:at]
        self.data_wire += wire
        self.messages += 1
        self.compressed += rsv1
        return opcode, self.inflater.message(rsv1, b"".join(pieces))

    def check(self, message, record):
        opcode, payload = message
        if opcode != 1 or payload != record:
            raise ProtocolError(f"echo differs: opcode {opcode}, {payload[:80]!r}... against {record[:80]!r}...")


# ---------------------------------------------------------------- ratio


def measure_ratio(host, port, records):
    s = socket.create_connection((host, port), timeout=30)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(handshake_request(host, port, key))
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        if not chunk:
            raise ProtocolError("closed during the handshake")
        head += chunk
    head, leftover = head.split(b"\r\n\r\n", 1)
    extensions = check_response(head, key)
    echoes = Echoes(extensions, leftover, s.sendall)
    plain = 0
    started = time.monotonic()
    for record in records:
        s.sendall(client_frame(1, record))
        while (message := echoes.take()) is None:
            chunk = s.recv(65536)
            if not chunk:
                raise ProtocolError("the server closed the connection")
            echoes.buf += chunk
        echoes.check(message, record)
        plain += len(record)
    elapsed = time.monotonic() - started
    s.sendall(client_frame(8, struct.pack("!H", 1000)))
    s.close()
    return {
        "extensions": extensions,
        "records": len(records),
        "payload_bytes": plain,
        "wire_bytes": echoes.data_wire,
        "ratio": round(plain / echoes.data_wire, 3),
        "compressed_messages": echoes.compressed,
        "control_frame_bytes": echoes.control_wire,
        "seconds": round(elapsed, 3),
    }


# ---------------------------------------------------------------- idle memory


async def open_and_talk(host, port, records, gate):
    """One connection: handshake, its records echoed and checked; returns
    the open (reader, writer) pair and the agreed extensions."""
    async with gate:
        reader, writer = await asyncio.open_connection(host, port)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(handshake_request(host, port, key))
        head = await reader.readuntil(b"\r\n\r\n")
        extensions = check_response(head[:-4], key)
    echoes = Echoes(extensions, b"", writer.write)
    for record in records:
        writer.write(client_frame(1, record))
        await writer.drain()
        while (message := echoes.take()) is None:
            chunk = await reader.read(65536)
            if not chunk:
                raise ProtocolError("the server closed the connection")
            echoes.buf += chunk
        echoes.check(message, record)
    return reader, writer, extensions


async def idle_connections(host, port, corpus, count, per_connection, in_flight):
    gate = asyncio.Semaphore(in_flight)
    tasks = []
    for i in range(count):
        start = (i * per_connection) % len(corpus)
        mine = [corpus[(start + j) % len(corpus)] for j in range(per_connection)]
        tasks.append(asyncio.create_task(open_and_talk(host, port, mine, gate)))
    return await asyncio.gather(*tasks)


def cpu_seconds(pid):
    """User plus system CPU time of a process and its threads, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of stat(5); the split starts at field 3.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def measure_idle(server, corpus, args):
    before = rss_kib(server.pid)
    loop = asyncio.new_event_loop()
    try:
        started = time.monotonic()
        conns = loop.run_until_complete(
            idle_connections(server.host, server.port, corpus, args.connections, args.records_per_connection, args.in_flight)
        )
        opened = time.monotonic() - started
        # Right after the last echo: the connections that talked first have
        # been quiet for a while already, the last ones not at all.
        after_traffic = rss_kib(server.pid)
        time.sleep(args.idle_wait)
        idle = rss_kib(server.pid)
        for _, writer, _ in conns:
            writer.transport.abort()
        loop.run_until_complete(asyncio.sleep(0.1))
    finally:
        loop.close()
    n = args.connections
    return {
        "connections": n,
        "records_per_connection": args.records_per_connection,
        "open_and_talk_seconds": round(opened, 3),
        "idle_wait_seconds": args.idle_wait,
        "rss_before_kib": before,
        "rss_after_traffic_kib": after_traffic,
        "rss_idle_kib": idle,
        "kib_per_connection_after_traffic": round((after_traffic - before) / n, 2),
        "kib_per_idle_connection": round((idle - before) / n, 2),
        "idle_extensions": sorted({e for _, _, e in conns}),
    }


# ---------------------------------------------------------------- servers


def descendants(pid):
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(children.get(p, []))
    return found


def listening_inodes(port):
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    cols = line.split()
                    if int(cols[1].rsplit(":", 1)[1], 16) == port and cols[3] == "0A":
                        inodes.add(cols[9])
        except OSError:
            pass
    return inodes


def owner_of_listener(root_pid, port):
    """The process among root_pid and its descendants that holds the
    listening socket on port (root_pid if none is found)."""
    inodes = {f"socket:[{i}]" for i in listening_inodes(port)}
    for pid in descendants(root_pid):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                        return pid
                except OSError:
                    continue
        except OSError:
            continue
    return root_pid


ADDRESS = re.compile(r"(?:wss?://)?(\d{1,3}(?:\.\d{1,3}){3}|localhost|\[[0-9a-fA-F:]+\]):(\d{1,5})")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A server process; its address from its output (or from {port})."""

    def __init__(self, name, argv):
        self.name = name
        port = None
        if any("{port}" in a for a in argv):
            port = free_port()
            argv = [a.replace("{port}", str(port)) for a in argv]
        self.argv = argv
        self.lines = []
        self.found = threading.Event()
        self.host, self.port = "127.0.0.1", port
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, start_new_session=True
        )
        for stream in (self.proc.stdout, self.proc.stderr):
            threading.Thread(target=self._drain, args=(stream,), daemon=True).start()
        deadline = time.monotonic() + 60
        if port is None:
            while not self.found.wait(0.1):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"{name}: no listening address from {shlex.join(argv)}: {self.lines[-10:]}")
        while True:
            try:
                socket.create_connection((self.host, self.port), timeout=1).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"{name}: cannot connect to {self.host}:{self.port}: {self.lines[-10:]}")
                time.sleep(0.05)
        self.pid = owner_of_listener(self.proc.pid, self.port)
        # Let start-up settle (the probe connection above, lazy init).
        time.sleep(0.5)

    def _drain(self, stream):
        for raw in stream:
            line = raw.decode("utf-8", "replace").rstrip()
            if len(self.lines) < 1000:
                self.lines.append(line)
            if not self.found.is_set():
                m = ADDRESS.search(line)
                if m:
                    host = m.group(1).strip("[]")
                    self.host = "127.0.0.1" if host in ("0.0.0.0", "localhost") else host
                    self.port = int(m.group(2))
                    self.found.set()

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def python_with_websockets(args):
    if args.python:
        return args.python
    venv = os.environ.get("INTEROP_VENV") or os.path.join(TARGET, "interop-venv")
    venv_python = os.path.join(venv, "bin", "python")
    for candidate in (venv_python, sys.executable):
        if os.path.exists(candidate) and subprocess.run([candidate, "-c", "import websockets"], capture_output=True).returncode == 0:
            return candidate
    log(f"websockets not found: making {venv} (autobahn/interop/requirements.txt)")
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    requirements = os.path.join(ROOT, "autobahn", "interop", "requirements.txt")
    subprocess.run([venv_python, "-m", "pip", "install", "-q", "-r", requirements], check=True)
    return venv_python


def server_commands(args):
    """(name, argv) for each server spec."""
    out = []
    for spec in args.servers:
        if spec == "python":
            out.append(("python websockets", [python_with_websockets(args), "-c", PYTHON_SERVER]))
        elif spec == "ours":
            cmd = args.ours_cmd or f"{os.path.join(TARGET, args.profile, 'ws')} serve -q 127.0.0.1:0"
            out.append(("ours (ws serve)", shlex.split(cmd)))
        elif "=" in spec:
            name, cmd = spec.split("=", 1)
            out.append((name, shlex.split(cmd)))
        else:
            sys.exit(f"unknown server {spec!r}: python, ours or NAME=COMMAND")
    return out


def load_corpus(args):
    if args.corpus:
        with open(args.corpus, "rb") as f:
            lines = f.read().split(b"\n")
    else:
        exe = os.path.join(TARGET, args.profile, "small-json")
        lines = subprocess.run([exe, str(args.records), str(args.seed)], check=True, capture_output=True).stdout.split(b"\n")
    records = [line for line in lines if line][: args.records]
    if len(records) < args.records:
        sys.exit(f"the corpus has {len(records)} records, {args.records} wanted")
    return records


def raise_nofile(wanted):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        new = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
        if new < wanted:
            log(f"warning: open-file limit {new} < {wanted}: fewer connections may open")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("servers", nargs="*", default=["python", "ours"], help="python, ours or NAME=COMMAND (default: python ours)")
    p.add_argument("--ours-cmd", help="the command for `ours` (default: TARGET/PROFILE/ws serve -q 127.0.0.1:0)")
    p.add_argument("--python", help="the interpreter (with websockets) for `python`")
    p.add_argument("--profile", default="release", help="cargo profile of ws and small-json (default release)")
    p.add_argument("--no-build", action="store_true", help="use the binaries already built")
    p.add_argument("--records", type=int, default=2000, help="records sent on the ratio connection (default 2000)")
    p.add_argument("--seed", type=int, default=7, help="SmallJson seed (default 7)")
    p.add_argument("--corpus", help="a file of records, one per line, instead of small-json")
    p.add_argument("--connections", type=int, default=1000, help="idle connections (default 1000; 0 skips the memory part)")
    p.add_argument("--records-per-connection", type=int, default=5, help="records each idle connection sends first (default 5)")
    p.add_argument("--idle-wait", type=float, default=3.0, help="seconds of quiet before the idle RSS (default 3)")
    p.add_argument("--in-flight", type=int, default=64, help="handshakes in flight at once (default 64)")
    p.add_argument("--check", action="store_true",
                   help="exit 1 unless every server other than python has ratio >= 4.0 and >= python's, and fewer KiB per idle connection than python")
    args = p.parse_args()
    # A TERM or HUP unwinds like an exception, so that the servers (in
    # sessions of their own) are stopped by the `finally`s below.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda number, _frame: sys.exit(128 + number))

    print("$ " + shlex.join(["python3", os.path.relpath(os.path.abspath(sys.argv[0]))] + sys.argv[1:]))
    if not args.no_build:
        build = ["cargo", "build", "-q", "--profile", args.profile, "-p", "benches", "--bin", "small-json"]
        if "ours" in args.servers and not args.ours_cmd:
            build += ["-p", "sockwell-cli", "--bin", "ws"]
        log("$ " + shlex.join(build))
        subprocess.run(build, check=True, cwd=ROOT)
    raise_nofile(2 * args.connections + 256)
    records = load_corpus(args)
    corpus_desc = args.corpus or f"SmallJson seed {args.seed}"
    print(f"corpus: {len(records)} records from {corpus_desc}, {sum(map(len, records))} bytes, "
          f"{sum(map(len, records)) / len(records):.1f} B on average; offer: {OFFER}")

    results = []
    for name, argv in server_commands(args):
        server = Server(name, argv)
        try:
            print(f"{name}: {shlex.join(argv) if argv[1:2] != ['-c'] else argv[0] + ' -c <websockets echo server>'}"
                  f" (pid {server.pid}, {server.host}:{server.port}){': ' + server.lines[0] if server.lines else ''}", flush=True)
            cpu_before = cpu_seconds(server.pid)
            ratio = measure_ratio(server.host, server.port, records)
            cpu = cpu_seconds(server.pid) - cpu_before
            ratio["server_cpu_us_per_message"] = round(cpu * 1e6 / len(records), 1)
        finally:
            server.stop()
        result = {"server": name, "command": shlex.join(argv) if argv[1:2] != ["-c"] else f"{argv[0]} -c <websockets echo server>"}
        result.update(ratio)
        print(f"  agreed: {ratio['extensions'] or '(none)'}")
        print(f"  ratio: {ratio['payload_bytes']} / {ratio['wire_bytes']} = {ratio['ratio']}:1 "
              f"({ratio['compressed_messages']}/{ratio['records']} echoes compressed, {ratio['seconds']} s; "
              f"server CPU {ratio['server_cpu_us_per_message']} us per echo, one connection, "
              f"clock ticks of {1e6 / os.sysconf('SC_CLK_TCK'):.0f} us)", flush=True)
        if args.connections > 0:
            server = Server(name, argv)
            try:
                idle = measure_idle(server, records, args)
            finally:
                server.stop()
            result.update(idle)
            print(f"  {idle['connections']} connections: RSS {idle['rss_before_kib']} KiB before, "
                  f"{idle['rss_after_traffic_kib']} after traffic, {idle['rss_idle_kib']} after {args.idle_wait} s idle: "
                  f"{idle['kib_per_connection_after_traffic']} KiB/conn after traffic, "
                  f"{idle['kib_per_idle_connection']} KiB/conn idle", flush=True)
        results.append(result)

    print()
    print("| server | agreed Sec-WebSocket-Extensions | ratio | server CPU µs per echo | KiB per connection after traffic | KiB per idle connection |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for r in results:
        print(f"| {r['server']} | `{r['extensions'] or '(none)'}` | {r['ratio']:.2f}:1 | {r['server_cpu_us_per_message']} | "
              f"{r.get('kib_per_connection_after_traffic', '-')} | {r.get('kib_per_idle_connection', '-')} |")
    print()
    for r in results:
        print(json.dumps(r))

    if args.check:
        reference = next((r for r in results if r["server"] == "python websockets"), None)
        failed = []
        for r in results:
            if r is reference:
                continue
            if r["ratio"] < 4.0:
                failed.append(f"{r['server']}: ratio {r['ratio']} < 4.0")
            if reference and r["ratio"] < reference["ratio"]:
                failed.append(f"{r['server']}: ratio {r['ratio']} < python's {reference['ratio']}")
            if reference and "kib_per_idle_connection" in r and r["kib_per_idle_connection"] >= reference["kib_per_idle_connection"]:
                failed.append(f"{r['server']}: {r['kib_per_idle_connection']} KiB per idle connection, python {reference['kib_per_idle_connection']}")
        for f in failed:
            print("FAIL " + f)
        if failed:
            sys.exit(1)
        print("check passed")


if __name__ == "__main__":
    main()
