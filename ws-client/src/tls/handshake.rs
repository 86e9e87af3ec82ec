//! The TLS handshake of a blocking `wss://` connection: on any stream,
//! bounded only by its own timeouts, or over TCP within the handshake
//! deadline.

#[cfg(any(feature = "rustls", feature = "native-tls"))]
use super::tls_error;
#[cfg(feature = "rustls")]
use super::{handshake_io_error, server_name};
use super::{Connector, MaybeTlsStream};
#[cfg(feature = "rustls")]
use crate::deadline::before_io;
use crate::deadline::Deadline;
use crate::ConnectError;
#[cfg(any(feature = "rustls", feature = "native-tls"))]
use std::io;
use std::io::{Read, Write};
use std::net::TcpStream;
#[cfg(feature = "native-tls")]
use std::time::Duration;

/// Puts the connector's TLS layer on a blocking `stream` to `host`, the
/// TLS handshake done before this returns, bounded in time only by the
/// stream's own timeouts ([`ClientBuilder::connect_on`](crate::ClientBuilder::connect_on)).
pub(crate) fn wrap_stream<S: Read + Write>(
    stream: S,
    host: &str,
    connector: Connector,
) -> Result<MaybeTlsStream<S>, ConnectError> {
    let _ = host;
    match connector {
        Connector::Plain => Ok(MaybeTlsStream::Plain(stream)),
        #[cfg(feature = "rustls")]
        Connector::Rustls(config) => rustls_handshake(stream, host, config, None, |_, _| Ok(()))
            .map(|tls| MaybeTlsStream::Rustls(Box::new(tls))),
        #[cfg(feature = "native-tls")]
        Connector::NativeTls(connector) => match connector.connect(host, stream) {
            Ok(tls) => Ok(MaybeTlsStream::NativeTls(tls)),
            Err(native_tls::HandshakeError::Failure(e)) => Err(tls_error(host, Box::new(e))),
            // A timeout of the caller's stream fired mid-handshake.
            Err(native_tls::HandshakeError::WouldBlock(_)) => Err(tls_error(
                host,
                Box::new(io::Error::from(io::ErrorKind::WouldBlock)),
            )),
        },
    }
}

/// [`wrap_stream`] over TCP within `deadline`: every read and write of
/// the TLS handshake is given the time left as its socket timeout, so a
/// server that trickles its answer is abandoned at the deadline, not at
/// the deadline after each byte. The socket's timeouts are off again
/// when this returns.
pub(crate) fn wrap_tcp(
    stream: TcpStream,
    host: &str,
    connector: Connector,
    deadline: Option<Deadline>,
) -> Result<MaybeTlsStream<TcpStream>, ConnectError> {
    let Some(deadline) = deadline else {
        return wrap_stream(stream, host, connector);
    };
    let _ = deadline;
    match connector {
        Connector::Plain => Ok(MaybeTlsStream::Plain(stream)),
        #[cfg(feature = "rustls")]
        Connector::Rustls(config) => {
            rustls_handshake(stream, host, config, Some(deadline), before_io)
                .map(|tls| untimed(MaybeTlsStream::Rustls(Box::new(tls))))
        }
        #[cfg(feature = "native-tls")]
        Connector::NativeTls(connector) => native_tls_within(stream, host, &connector, deadline)
            .map(|tls| untimed(MaybeTlsStream::NativeTls(tls))),
    }
}

/// The stream with its socket's timeouts off again, as `connect` found it.
#[cfg(any(feature = "rustls", feature = "native-tls"))]
fn untimed(stream: MaybeTlsStream<TcpStream>) -> MaybeTlsStream<TcpStream> {
    let _ = stream.get_ref().set_read_timeout(None);
    let _ = stream.get_ref().set_write_timeout(None);
    stream
}

/// The rustls client handshake over a blocking stream, each read and
/// write preceded by `before_io` (which sets the socket timeouts to the
/// time left, or fails once none is). rustls' own `complete_io` would do
/// several reads per call, each under whatever timeout was set before.
#[cfg(feature = "rustls")]
fn rustls_handshake<S: Read + Write>(
    mut sock: S,
    host: &str,
    config: std::sync::Arc<rustls::ClientConfig>,
    deadline: Option<Deadline>,
    before_io: fn(&S, Option<Deadline>) -> Result<(), ConnectError>,
) -> Result<rustls::StreamOwned<rustls::ClientConnection, S>, ConnectError> {
    let name = server_name(host)?;
    let mut conn =
        rustls::ClientConnection::new(config, name).map_err(|e| tls_error(host, Box::new(e)))?;
    let io_error = |e: io::Error| match (deadline, e.kind()) {
        (Some(deadline), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => deadline.expired(),
        _ => handshake_io_error(host, e, None),
    };
    // Until the handshake is done and what it queued (the client's
    // Finished) is sent.
    while conn.is_handshaking() || conn.wants_write() {
        if conn.wants_write() {
            before_io(&sock, deadline)?;
            match conn.write_tls(&mut sock) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_error(e)),
            }
            continue;
        }
        before_io(&sock, deadline)?;
        match conn.read_tls(&mut sock) {
            Ok(0) => {
                let eof = io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the server closed the connection during the TLS handshake",
                );
                return Err(tls_error(host, Box::new(eof)));
            }
            Ok(_) => {
                if let Err(e) = conn.process_new_packets() {
                    // Tell the server why (the alert rustls queued), if it
                    // still listens; the error is ours to report either way.
                    let _ = before_io(&sock, deadline).map(|()| conn.write_tls(&mut sock));
                    return Err(tls_error(host, Box::new(e)));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_error(e)),
        }
    }
    Ok(rustls::StreamOwned::new(conn, sock))
}

/// How long a native-tls handshake waits for the server before it tries
/// again anyway: it may be waiting on its own write (a full send buffer),
/// which a readable socket would not show.
#[cfg(feature = "native-tls")]
const RETRY: Duration = Duration::from_millis(50);

/// The native-tls client handshake within `deadline`. The platform's TLS
/// library reads from the socket itself, as often as it likes, so the
/// socket is non-blocking while it runs: each time it needs more, the
/// socket is waited on (a peek) for at most the time left, and the
/// handshake resumed. A server that trickles bytes wakes the wait often,
/// but the deadline is checked at every wake.
#[cfg(feature = "native-tls")]
fn native_tls_within(
    stream: TcpStream,
    host: &str,
    connector: &native_tls::TlsConnector,
    deadline: Deadline,
) -> Result<native_tls::TlsStream<TcpStream>, ConnectError> {
    let io_failed = |e: io::Error| tls_error(host, Box::new(e));
    stream.set_nonblocking(true).map_err(io_failed)?;
    let mut attempt = connector.connect(host, stream);
    loop {
        match attempt {
            Ok(tls) => {
                tls.get_ref().set_nonblocking(false).map_err(io_failed)?;
                return Ok(tls);
            }
            Err(native_tls::HandshakeError::Failure(e)) => {
                return Err(tls_error(host, Box::new(e)))
            }
            Err(native_tls::HandshakeError::WouldBlock(mid)) => {
                let left = deadline.left()?;
                let socket = mid.get_ref();
                socket.set_nonblocking(false).map_err(io_failed)?;
                let _ = socket.set_read_timeout(Some(left.min(RETRY)));
                // Readable, closed, or the wait is over: the handshake
                // finds out which.
                let _ = socket.peek(&mut [0u8; 1]);
                socket.set_nonblocking(true).map_err(io_failed)?;
                deadline.left()?;
                attempt = mid.handshake();
            }
        }
    }
}
