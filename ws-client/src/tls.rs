//! `wss://`: TLS under the WebSocket, with rustls or native-tls.
//!
//! With the `rustls` or the `native-tls` feature on, [`connect`](crate::connect)
//! (and, with `tokio`, `connect_async`) takes
//! `wss://` URLs: the TLS handshake runs first, with the URL's host as the
//! server name (SNI) and as the name the certificate must carry, then the
//! WebSocket handshake runs over the encrypted stream. Port 443 unless the
//! URL names one.
//!
//! What a `wss://` URL gets when no [`Connector`] is given:
//! - feature `rustls`: rustls with the `ring` crypto provider and the Mozilla
//!   root certificates compiled in (`webpki-roots`), TLS 1.2 and 1.3. `ring`
//!   builds with a C compiler alone (no cmake or assembler toolchain), which
//!   keeps a fresh build quick; compiled-in roots behave the same in a
//!   container without a CA bundle as on a desktop. For the platform's
//!   verifier, another provider, client certificates or custom roots, give
//!   your own `ClientConfig` as `Connector::Rustls`.
//! - feature `native-tls` alone: the platform's TLS library (OpenSSL on
//!   Linux, Secure Transport on macOS, SChannel on Windows) with the
//!   platform's roots.
//!
//! A failed TLS handshake is [`Error::Tls`]: its
//! `source()` is the TLS library's own error (`rustls::Error`,
//! `native_tls::Error`), or the I/O error that cut the handshake short.

use crate::Error;
use std::fmt;
use std::io::{self, Read, Write};
use std::time::Duration;
use ws_handshake::IoTimeouts;

#[cfg(feature = "native-tls")]
pub use native_tls;
#[cfg(feature = "rustls")]
pub use rustls;

/// How a `wss://` connection sets up its TLS layer.
///
/// ```no_run
/// # #[cfg(feature = "rustls")] {
/// use std::sync::Arc;
/// use ws_client::tls::{rustls, Connector};
/// use rustls::pki_types::{pem::PemObject, CertificateDer};
/// use ws_client::{connect_tls_with_config, ClientConfig};
///
/// // Trust one private CA (PEM) instead of the public roots.
/// let ca_pem = std::fs::read("ca.pem").unwrap();
/// let mut roots = rustls::RootCertStore::empty();
/// for cert in CertificateDer::pem_slice_iter(&ca_pem) {
///     roots.add(cert.unwrap()).unwrap();
/// }
/// let provider = Arc::new(rustls::crypto::ring::default_provider());
/// let tls = rustls::ClientConfig::builder_with_provider(provider)
///     .with_safe_default_protocol_versions()
///     .unwrap()
///     .with_root_certificates(roots)
///     .with_no_client_auth();
/// let connector = Connector::Rustls(Arc::new(tls));
/// let (socket, _) = connect_tls_with_config(
///     "wss://internal.example:8443/feed",
///     ClientConfig::default(),
///     Some(connector),
/// )
/// .unwrap();
/// # }
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub enum Connector {
    /// No TLS layer: the stream is used as it is (say, one that is
    /// already encrypted).
    Plain,
    /// rustls with this configuration: its roots, its verifier, its client
    /// certificate, its crypto provider.
    #[cfg(feature = "rustls")]
    Rustls(std::sync::Arc<rustls::ClientConfig>),
    /// native-tls with this connector.
    #[cfg(feature = "native-tls")]
    NativeTls(native_tls::TlsConnector),
}

impl fmt::Debug for Connector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Connector::Plain => "Connector::Plain",
            #[cfg(feature = "rustls")]
            Connector::Rustls(_) => "Connector::Rustls",
            #[cfg(feature = "native-tls")]
            Connector::NativeTls(_) => "Connector::NativeTls",
        })
    }
}

impl Connector {
    /// The connector for a URL: plain for `ws://`; for `wss://` the one
    /// given, else the default of the TLS feature that is on.
    pub(crate) fn for_url(
        host: &str,
        tls: bool,
        given: Option<Connector>,
    ) -> Result<Connector, Error> {
        let _ = host;
        if !tls {
            return Ok(Connector::Plain);
        }
        if let Some(connector) = given {
            return Ok(connector);
        }
        #[cfg(feature = "rustls")]
        return Ok(Connector::Rustls(default_rustls()));
        #[cfg(all(feature = "native-tls", not(feature = "rustls")))]
        return native_tls::TlsConnector::new()
            .map(Connector::NativeTls)
            .map_err(|e| tls_error(host, Box::new(e)));
        #[cfg(not(any(feature = "rustls", feature = "native-tls")))]
        Err(Error::Url(
            "wss:// needs TLS: build ws-client with the rustls or the native-tls feature",
        ))
    }
}

/// rustls with the `ring` provider and the webpki roots, built once.
#[cfg(feature = "rustls")]
fn default_rustls() -> std::sync::Arc<rustls::ClientConfig> {
    use std::sync::{Arc, OnceLock};
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let roots = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                // ring implements every suite of both default versions.
                .expect("the ring provider supports TLS 1.2 and 1.3")
                .with_root_certificates(roots)
                .with_no_client_auth();
            Arc::new(config)
        })
        .clone()
}

/// A stream that is either plain or TLS on top of `S`: what
/// [`connect`](crate::connect) returns a WebSocket over.
#[non_exhaustive]
pub enum MaybeTlsStream<S: Read + Write> {
    /// No TLS (`ws://`, or [`Connector::Plain`]).
    Plain(S),
    /// rustls.
    #[cfg(feature = "rustls")]
    Rustls(Box<rustls::StreamOwned<rustls::ClientConnection, S>>),
    /// native-tls.
    #[cfg(feature = "native-tls")]
    NativeTls(native_tls::TlsStream<S>),
}

impl<S: Read + Write> MaybeTlsStream<S> {
    /// The transport under the TLS layer (the `TcpStream`). Reading or
    /// writing it directly corrupts the connection.
    pub fn get_ref(&self) -> &S {
        match self {
            MaybeTlsStream::Plain(s) => s,
            #[cfg(feature = "rustls")]
            MaybeTlsStream::Rustls(s) => &s.sock,
            #[cfg(feature = "native-tls")]
            MaybeTlsStream::NativeTls(s) => s.get_ref(),
        }
    }

    /// The transport under the TLS layer, mutably (to set options on it).
    pub fn get_mut(&mut self) -> &mut S {
        match self {
            MaybeTlsStream::Plain(s) => s,
            #[cfg(feature = "rustls")]
            MaybeTlsStream::Rustls(s) => &mut s.sock,
            #[cfg(feature = "native-tls")]
            MaybeTlsStream::NativeTls(s) => s.get_mut(),
        }
    }

    /// Whether a TLS layer is on.
    pub fn is_tls(&self) -> bool {
        !matches!(self, MaybeTlsStream::Plain(_))
    }
}

impl<S: Read + Write> fmt::Debug for MaybeTlsStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MaybeTlsStream::Plain(_) => "MaybeTlsStream::Plain",
            #[cfg(feature = "rustls")]
            MaybeTlsStream::Rustls(_) => "MaybeTlsStream::Rustls",
            #[cfg(feature = "native-tls")]
            MaybeTlsStream::NativeTls(_) => "MaybeTlsStream::NativeTls",
        })
    }
}

impl<S: Read + Write> Read for MaybeTlsStream<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            MaybeTlsStream::Plain(s) => s.read(buf),
            #[cfg(feature = "rustls")]
            MaybeTlsStream::Rustls(s) => s.read(buf),
            #[cfg(feature = "native-tls")]
            MaybeTlsStream::NativeTls(s) => s.read(buf),
        }
    }
}

impl<S: Read + Write> Write for MaybeTlsStream<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            MaybeTlsStream::Plain(s) => s.write(buf),
            #[cfg(feature = "rustls")]
            MaybeTlsStream::Rustls(s) => s.write(buf),
            #[cfg(feature = "native-tls")]
            MaybeTlsStream::NativeTls(s) => s.write(buf),
        }
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        match self {
            MaybeTlsStream::Plain(s) => s.write_vectored(bufs),
            #[cfg(feature = "rustls")]
            MaybeTlsStream::Rustls(s) => s.write_vectored(bufs),
            #[cfg(feature = "native-tls")]
            MaybeTlsStream::NativeTls(s) => s.write_vectored(bufs),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            MaybeTlsStream::Plain(s) => s.flush(),
            #[cfg(feature = "rustls")]
            MaybeTlsStream::Rustls(s) => s.flush(),
            #[cfg(feature = "native-tls")]
            MaybeTlsStream::NativeTls(s) => s.flush(),
        }
    }
}

/// The handshake deadline reaches through the TLS layer to the socket.
impl<S: Read + Write + IoTimeouts> IoTimeouts for MaybeTlsStream<S> {
    fn read_timeout(&self) -> io::Result<Option<Duration>> {
        self.get_ref().read_timeout()
    }
    fn write_timeout(&self) -> io::Result<Option<Duration>> {
        self.get_ref().write_timeout()
    }
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.get_ref().set_read_timeout(timeout)
    }
    fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.get_ref().set_write_timeout(timeout)
    }
}

/// Puts the connector's TLS layer on a blocking `stream` to `host`, the
/// TLS handshake done before this returns. A read or write timeout of the
/// stream that fires during the handshake is reported as the handshake
/// timeout `limit` when there is one.
pub(crate) fn wrap_stream<S: Read + Write>(
    stream: S,
    host: &str,
    connector: Connector,
    limit: Option<Duration>,
) -> Result<MaybeTlsStream<S>, Error> {
    let _ = (host, limit);
    match connector {
        Connector::Plain => Ok(MaybeTlsStream::Plain(stream)),
        #[cfg(feature = "rustls")]
        Connector::Rustls(config) => {
            let name = server_name(host)?;
            let conn = rustls::ClientConnection::new(config, name)
                .map_err(|e| tls_error(host, Box::new(e)))?;
            let mut tls = rustls::StreamOwned::new(conn, stream);
            while tls.conn.is_handshaking() {
                if let Err(e) = tls.conn.complete_io(&mut tls.sock) {
                    return Err(handshake_io_error(host, e, limit));
                }
            }
            Ok(MaybeTlsStream::Rustls(Box::new(tls)))
        }
        #[cfg(feature = "native-tls")]
        Connector::NativeTls(connector) => match connector.connect(host, stream) {
            Ok(tls) => Ok(MaybeTlsStream::NativeTls(tls)),
            Err(native_tls::HandshakeError::Failure(e)) => Err(tls_error(host, Box::new(e))),
            // A socket timeout fired mid-handshake.
            Err(native_tls::HandshakeError::WouldBlock(_)) => Err(handshake_io_error(
                host,
                io::ErrorKind::WouldBlock.into(),
                limit,
            )),
        },
    }
}

/// The name rustls checks the certificate against and sends as SNI.
#[cfg(feature = "rustls")]
pub(crate) fn server_name(host: &str) -> Result<rustls::pki_types::ServerName<'static>, Error> {
    rustls::pki_types::ServerName::try_from(host.to_owned())
        .map_err(|e| tls_error(host, Box::new(e)))
}

#[cfg(any(feature = "rustls", feature = "native-tls"))]
pub(crate) fn tls_error(host: &str, source: Box<dyn std::error::Error + Send + Sync>) -> Error {
    Error::Tls {
        host: host.to_owned(),
        source,
    }
}

/// An I/O error out of a TLS handshake: rustls wraps its own errors in
/// `io::Error`, and those are unwrapped so that `source()` is the
/// `rustls::Error`; a socket timeout is the handshake timeout.
#[cfg(any(feature = "rustls", feature = "native-tls"))]
pub(crate) fn handshake_io_error(host: &str, e: io::Error, limit: Option<Duration>) -> Error {
    if let (Some(limit), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) = (limit, e.kind()) {
        return Error::Handshake(ws_handshake::Error::Timeout(limit));
    }
    #[cfg(feature = "rustls")]
    let e = match e.downcast::<rustls::Error>() {
        Ok(tls) => return tls_error(host, Box::new(tls)),
        Err(e) => e,
    };
    tls_error(host, Box::new(e))
}
