#!/usr/bin/env python3
"""Python `websockets` peer for interop runs against our client and server.

  peer.py server [FLAGS]       echo server on 127.0.0.1, prints "port N"
  peer.py client URL [FLAGS]   sends messages of several sizes, checks each echo
                               byte for byte, prints the negotiated extensions

FLAGS set permessage-deflate parameters (RFC 7692 §7.1) on this side:
  --snct (server_no_context_takeover)  --cnct (client_no_context_takeover)
  --smwb N (server_max_window_bits)    --cmwb N (client_max_window_bits; as a
  client, 0 offers the parameter without a value)

TLS: the server with --tls CERT_PEM KEY_PEM serves wss://; the client
trusts the CA in --ca CA_PEM for a wss:// URL.

Both roles use websockets' asyncio implementation. Its threaded (sync)
client reads the socket on one thread while another writes, and over TLS
that shares one OpenSSL `SSL` object between two threads, which OpenSSL does
not support (openssl/openssl#20446; with TLS 1.3 written bytes can be lost,
openssl/openssl#8977): CI saw it as opening handshakes that stalled until
both sides' deadlines and one echo that never came back, with three
different servers of ours. The asyncio client drives TLS on one thread.
"""
import argparse
import asyncio
import os
import random
import ssl
import sys

from websockets.asyncio.server import serve
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    ServerPerMessageDeflateFactory,
)
from websockets.asyncio.client import connect

SIZES = [0, 1, 125, 126, 1000, 65535, 65536, 200_000, 1 << 20]
# Generous: a whole message of 1 MiB is a few ms here even with both cores busy.
ECHO_TIMEOUT = 30


def payloads():
    rnd = random.Random(7)
    for size in SIZES:
        record = '{"id": %d, "name": "item", "tags": ["a", "b"], "price": 12.5}, '
        text = "".join(record % i for i in range(size // 40 + 1))[:size]
        yield text
        yield bytes(rnd.getrandbits(8) for _ in range(min(size, 70_000))) + os.urandom(max(0, size - 70_000))


def args():
    p = argparse.ArgumentParser()
    p.add_argument("role", choices=["server", "client"])
    p.add_argument("url", nargs="?")
    p.add_argument("--snct", action="store_true")
    p.add_argument("--cnct", action="store_true")
    p.add_argument("--smwb", type=int)
    p.add_argument("--cmwb", type=int)
    p.add_argument("--tls", nargs=2, metavar=("CERT_PEM", "KEY_PEM"))
    p.add_argument("--ca", metavar="CA_PEM")
    return p.parse_args()


async def run_server(a):
    factory = ServerPerMessageDeflateFactory(
        server_no_context_takeover=a.snct,
        client_no_context_takeover=a.cnct,
        server_max_window_bits=a.smwb,
        client_max_window_bits=a.cmwb,
    )

    async def echo(ws):
        async for message in ws:
            await ws.send(message)

    tls = None
    if a.tls:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(*a.tls)

    async with serve(echo, "127.0.0.1", 0, extensions=[factory], compression=None, max_size=None, ssl=tls) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"port {port}", flush=True)
        await asyncio.get_running_loop().create_future()


async def run_client(a):
    cmwb = True if a.cmwb == 0 else a.cmwb
    factory = ClientPerMessageDeflateFactory(
        server_no_context_takeover=a.snct,
        client_no_context_takeover=a.cnct,
        server_max_window_bits=a.smwb,
        client_max_window_bits=cmwb,
    )
    tls = ssl.create_default_context(cafile=a.ca) if a.ca else None
    async with connect(a.url, extensions=[factory], compression=None, max_size=None, ssl=tls) as ws:
        print("negotiated:", ws.response.headers.get("Sec-WebSocket-Extensions"), flush=True)
        if tls is not None:
            print("tls:", ws.transport.get_extra_info("ssl_object").version(), flush=True)
        count = 0
        for message in payloads():
            await ws.send(message)
            try:
                echo = await asyncio.wait_for(ws.recv(), ECHO_TIMEOUT)
            except TimeoutError:
                sys.exit(f"no echo of a {type(message).__name__} of {len(message)} bytes within {ECHO_TIMEOUT} s")
            if echo != message:
                sys.exit(f"echo of a {type(message).__name__} of {len(message)} bytes differs")
            count += 1
        print(f"{count} messages echoed byte-exact", flush=True)


if __name__ == "__main__":
    a = args()
    if a.role == "server":
        asyncio.run(run_server(a))
    else:
        asyncio.run(run_client(a))
