#!/usr/bin/env node
// Node `ws` peer for interop runs against our client and server (run.sh
// beside this file); the counterpart of ../peer.py for Python `websockets`.
//
//   node peer.js server [FLAGS]      echo server on 127.0.0.1, prints "port N",
//                                    then "answered: ..." for each handshake
//   node peer.js client URL [FLAGS]  sends messages of several sizes, checks
//                                    each echo byte for byte, prints the
//                                    negotiated extensions
//
// permessage-deflate is always on, with ws' defaults unless FLAGS say
// otherwise (RFC 7692 §7.1 parameters, ws' perMessageDeflate options):
//   --snct (serverNoContextTakeover)   --cnct (clientNoContextTakeover)
//   --smwb N (serverMaxWindowBits)     --cmwb N (clientMaxWindowBits)
//   --no-cmwb (client: do not offer client_max_window_bits, which ws'
//              client offers without a value by default)
//   --threshold N (compress messages of at least N bytes; ws' default is
//                  1024, 0 compresses every message, even empty ones)
//   --once (server: exit once the first connection has closed, after
//           printing its "wire: read R, written W")
'use strict';

const crypto = require('crypto');
const { WebSocket, WebSocketServer } = require('ws');

const SIZES = [0, 1, 125, 126, 1000, 65535, 65536, 200000, 1 << 20];
// Generous: a whole message of 1 MiB is a few ms here even with both cores busy.
const ECHO_TIMEOUT_MS = 30000;
const HANDSHAKE_TIMEOUT_MS = 10000;
const CLOSE_TIMEOUT_MS = 10000;

function fail(message) {
  console.error(`peer.js: ${message}`);
  process.exit(1);
}

function parseArgs(argv) {
  const a = { role: argv[0], url: undefined, deflate: {}, once: false };
  if (a.role !== 'server' && a.role !== 'client') {
    fail('usage: peer.js server [FLAGS] | peer.js client URL [FLAGS]');
  }
  let i = 1;
  if (a.role === 'client') {
    a.url = argv[i++];
    if (!a.url) fail('client needs a URL');
  }
  const number = (flag) => {
    const value = Number(argv[i++]);
    if (!Number.isInteger(value)) fail(`${flag} needs a number`);
    return value;
  };
  while (i < argv.length) {
    const flag = argv[i++];
    switch (flag) {
      case '--snct': a.deflate.serverNoContextTakeover = true; break;
      case '--cnct': a.deflate.clientNoContextTakeover = true; break;
      case '--smwb': a.deflate.serverMaxWindowBits = number(flag); break;
      case '--cmwb': a.deflate.clientMaxWindowBits = number(flag); break;
      case '--no-cmwb': a.deflate.clientMaxWindowBits = false; break;
      case '--threshold': a.deflate.threshold = number(flag); break;
      case '--once': a.once = true; break;
      default: fail(`unknown flag ${flag}`);
    }
  }
  // ws' perMessageDeflate: `true` means every default; an object replaces
  // only the options it names.
  if (Object.keys(a.deflate).length === 0) a.deflate = true;
  return a;
}

// The same set as ../peer.py: for every size a text message (JSON-like
// records, compressible) and a binary one (random, incompressible).
function payloads() {
  let x = 7;
  const next = () => {
    // xorshift32, seeded: the first 70,000 bytes of every binary message
    // are the same each run, the rest is fresh randomness.
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x & 0xff;
  };
  const out = [];
  for (const size of SIZES) {
    let text = '';
    for (let i = 0; text.length < size; i++) {
      text += `{"id": ${i}, "name": "item", "tags": ["a", "b"], "price": 12.5}, `;
    }
    out.push({ binary: false, data: Buffer.from(text.slice(0, size), 'utf8') });
    const seeded = Math.min(size, 70000);
    const bytes = Buffer.alloc(size);
    for (let i = 0; i < seeded; i++) bytes[i] = next();
    crypto.randomFillSync(bytes, seeded);
    out.push({ binary: true, data: bytes });
  }
  return out;
}

function describe(message) {
  return `${message.binary ? 'binary' : 'text'} message of ${message.data.length} bytes`;
}

function runServer(a) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: a.deflate });
  wss.on('listening', () => console.log(`port ${wss.address().port}`));
  wss.on('error', (e) => fail(`server: ${e.message}`));
  wss.on('headers', (headers) => {
    const line = headers.find((h) => /^sec-websocket-extensions:/i.test(h));
    console.log(`answered: ${line ? line.replace(/^[^:]*:\s*/, '') : '(none)'}`);
  });
  wss.on('connection', (ws, req) => {
    let troubled = false;
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    ws.on('error', (e) => {
      troubled = true;
      console.error(`peer.js server: connection error: ${e.code || ''} ${e.message}`);
    });
    ws.on('close', (code, reason) => {
      if (code !== 1000 && code !== 1005) {
        troubled = true;
        console.error(`peer.js server: connection closed with ${code} ${reason}`);
      }
      // The socket's byte counts: with compression on in both directions,
      // far fewer bytes cross it than the messages hold.
      console.log(`wire: read ${req.socket.bytesRead}, written ${req.socket.bytesWritten}`);
      if (a.once) process.exit(troubled ? 1 : 0);
    });
  });
}

function runClient(a) {
  const ws = new WebSocket(a.url, {
    perMessageDeflate: a.deflate,
    handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
  });
  // Echoes arrive in order; each one settles the oldest waiting reader.
  const arrived = [];
  let waiting = null;
  let ended = null; // why the connection can deliver no more echoes
  const settle = () => {
    if (!waiting) return;
    if (arrived.length > 0) {
      const w = waiting; waiting = null; w.resolve(arrived.shift());
    } else if (ended) {
      const w = waiting; waiting = null; w.reject(new Error(ended));
    }
  };
  const nextEcho = () => new Promise((resolve, reject) => {
    waiting = { resolve, reject };
    settle();
  });
  let negotiated = '(none)';
  let socket = null;
  ws.on('upgrade', (res) => {
    negotiated = res.headers['sec-websocket-extensions'] || '(none)';
    socket = res.socket;
  });
  ws.on('message', (data, isBinary) => { arrived.push({ binary: isBinary, data }); settle(); });
  ws.on('error', (e) => {
    ended = ended || `error: ${e.code || ''} ${e.message}`;
    settle();
  });
  const closed = new Promise((resolve) => ws.on('close', (code, reason) => {
    ended = ended || `closed by the server: ${code} ${reason}`;
    settle();
    resolve(code);
  }));
  const opened = new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
    ws.once('close', () => reject(new Error(ended)));
  });

  (async () => {
    try {
      await opened;
    } catch (e) {
      fail(`handshake with ${a.url}: ${e.message}`);
    }
    console.log(`negotiated: ${negotiated}`);
    console.log(`ws accepted: ${ws.extensions || '(none)'}`);
    let count = 0;
    const messages = payloads();
    const total = messages.reduce((sum, m) => sum + m.data.length, 0);
    const before = { read: socket.bytesRead, written: socket.bytesWritten };
    for (const message of messages) {
      ws.send(message.data, { binary: message.binary });
      let timer;
      const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no echo within ${ECHO_TIMEOUT_MS} ms`)), ECHO_TIMEOUT_MS);
      });
      let echo;
      try {
        echo = await Promise.race([nextEcho(), timeout]);
      } catch (e) {
        fail(`${describe(message)} (negotiated: ${negotiated}): ${e.message}`);
      } finally {
        clearTimeout(timer);
      }
      if (echo.binary !== message.binary) {
        fail(`echo of a ${describe(message)} came back as ${echo.binary ? 'binary' : 'text'}`);
      }
      if (!echo.data.equals(message.data)) {
        fail(`echo of a ${describe(message)} differs (${echo.data.length} bytes back)`);
      }
      count++;
    }
    console.log(`${count} messages echoed byte-exact`);
    // The WebSocket frames only: the handshake was before `before`.
    console.log(`wire: ${total} payload bytes each way, sent ${socket.bytesWritten - before.written}, ` +
      `received ${socket.bytesRead - before.read}`);
    ws.close(1000);
    const timer = setTimeout(() => fail(`no close handshake within ${CLOSE_TIMEOUT_MS} ms`), CLOSE_TIMEOUT_MS);
    const code = await closed;
    clearTimeout(timer);
    if (code !== 1000) fail(`closed with ${code}, not 1000`);
    console.log('closed: 1000');
  })();
}

const a = parseArgs(process.argv.slice(2));
if (a.role === 'server') runServer(a); else runClient(a);
