//! `ws --help`: what every command and flag does (args.rs parses them).

pub const USAGE: &str = "\
ws: a WebSocket client and server, with permessage-deflate (RFC 7692)

Usage:
  ws [OPTIONS] URL              chat: stdin lines become messages, messages go to stdout
  ws send [OPTIONS] FILE URL    send FILE (- for stdin) as one binary message (--text: text),
                                streamed in 1 MiB frames (compressed as it goes when
                                permessage-deflate is agreed), so memory stays a few MiB
                                whatever its size; a progress line on stderr shows bytes
                                read, bytes on the wire and, compressed, the share saved
                                (what the server sends back is read and dropped, but an
                                echo is held whole, up to --max-message-size)
  ws serve [OPTIONS] ADDR       echo server (or --broadcast) on ADDR, e.g. 127.0.0.1:9001

While chatting, a line starting with a slash is a command:
  /ping [text]                  send a ping (pongs received show on stderr: < pong (N bytes))
  /close [code [reason]]        close the connection (default 1000) and wait for the reply
  //text                        send \"/text\"
End of input closes with 1000.

Client options:
  -H, --header 'Name: value'    an extra request header (repeatable)
  --protocol NAME               offer a subprotocol (repeatable)
  --binary                      send lines as binary messages; print binary messages raw
  --show-handshake              print the response's status and headers, and what was agreed
  --ca FILE                     trust the certificates in this PEM file instead of the built-in roots
  --insecure                    accept any server certificate (wss://; for testing only)
  --text                        (send) send FILE as a text message (must be UTF-8)
  --jsonl                       print each message received as one JSON object per line:
                                {\"type\":\"text\",\"data\":...}, {\"type\":\"binary\",\"base64\":...},
                                {\"type\":\"ping\"|\"pong\",\"base64\":...},
                                {\"type\":\"close\",\"code\":N|null,\"reason\":...}
  --reconnect                   when the connection drops (no Close, a failure, or the server
                                closes with 1001 or 1011-1014), connect again after 100 ms,
                                doubling to 5 s, with jitter; lines typed meanwhile wait
  --max-reconnects N            --reconnect, giving up after N failed attempts in a row

Server options:
  --broadcast                   every message goes to every connection, not back to its sender
                                (messages up to 1 MiB unless --max-message-size says more;
                                a listener 256 messages behind misses some). The room holds
                                at most 256 messages and as many bytes again of framed copies
                                (512 MiB at the 1 MiB limit); a listener whose copy would not
                                fit gets the message compressed for it alone
  --protocol NAME               a subprotocol this server speaks (repeatable)
  --cert FILE --key FILE        serve wss:// with this PEM certificate chain and key

Both:
  --no-compress                 do not offer / accept permessage-deflate
  --level N                     zlib level 0-9 (default 6)
  --min-compress-size BYTES     send shorter messages uncompressed (default 32)
  --server-no-context-takeover, --client-no-context-takeover
                                reset that side's context per message (by default both keep
                                it, keeping 2^13 bytes of ours and 2^11 of a client a server caps)
  --context-takeover            let a client keep its context even when its window cannot be
                                capped (a server's default then tells it to reset)
  --server-max-window-bits N, --client-max-window-bits N   (8-15)
  --ping-interval SECS          ping after SECS of silence, fail if no answer in as long
                                (default 20; 0 turns keepalive off); their pongs are not shown
  --handshake-timeout SECS      how long opening a connection may take, TCP, TLS and the
                                upgrade together (default 10)
  --max-message-size BYTES      refuse larger incoming messages (close 1009; default 64 MiB,
                                16 MiB for ws serve, 1 MiB for ws serve --broadcast)
  --max-write-buffer BYTES      cap on queued outgoing bytes (default: room for one message of
                                --max-message-size and its frame headers; for a client at least
                                256 MiB). ws serve closes with 1009 and a reason when an echo
                                would not fit
  -q, --quiet                   no status lines on stderr
  -h, --help                    this text
  -V, --version                 print ws and its version

Exit status: 0 closed normally, 1 other failure, 2 usage, 3 cannot connect,
4 TLS failed, 5 handshake refused, 6 connection closed abnormally.
";
