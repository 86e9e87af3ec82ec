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
//!   platform's roots, TLS 1.2 or later.
//!
//! A failed TLS handshake is [`ConnectError::Tls`]: its
//! `source()` is the TLS library's own error (`rustls::Error`,
//! `native_tls::Error`), or the I/O error that cut the handshake short.

mod handshake;

pub(crate) use handshake::{wrap_stream, wrap_tcp};

use crate::ConnectError;
use sockwell_handshake::IoTimeouts;
use std::fmt;
use std::io::{self, Read, Write};
use std::time::Duration;

#[cfg(feature = "native-tls")]
pub use native_tls;
#[cfg(feature = "rustls")]
pub use rustls;

/// How a `wss://` connection sets up its TLS layer.
///
/// ```no_run
/// # #[cfg(feature = "rustls")] {
/// use std::sync::Arc;
/// use sockwell_client::tls::{rustls, Connector};
/// use rustls::pki_types::{pem::PemObject, CertificateDer};
/// use sockwell_client::{ClientConfig, ClientBuilder};
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
/// let (socket, _) = ClientBuilder::new("wss://internal.example:8443/feed")
///     .connector(connector)
///     .connect()
///     .unwrap();
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
    /// The connector for a URL, connecting with the sync driver: plain for
    /// `ws://`; for `wss://` the one given, else the default of the TLS
    /// feature that is on (rustls before native-tls).
    pub(crate) fn for_url(
        host: &str,
        tls: bool,
        given: Option<Connector>,
    ) -> Result<Connector, ConnectError> {
        Self::pick(host, tls, given, cfg!(feature = "rustls"))
    }

    /// [`for_url`](Self::for_url) for the async driver: the default is the
    /// one whose async adapter is on (`tokio-rustls` before
    /// `tokio-native-tls`), so `rustls` with `tokio-native-tls` connects
    /// with native-tls.
    #[cfg(feature = "tokio")]
    pub(crate) fn for_url_async(
        host: &str,
        tls: bool,
        given: Option<Connector>,
    ) -> Result<Connector, ConnectError> {
        let rustls_first = cfg!(feature = "tokio-rustls") || !cfg!(feature = "tokio-native-tls");
        Self::pick(host, tls, given, rustls_first)
    }

    fn pick(
        host: &str,
        tls: bool,
        given: Option<Connector>,
        rustls_first: bool,
    ) -> Result<Connector, ConnectError> {
        let _ = (host, rustls_first);
        if !tls {
            return Ok(Connector::Plain);
        }
        if let Some(connector) = given {
            return Ok(connector);
        }
        #[cfg(feature = "rustls")]
        if rustls_first {
            return Ok(Connector::Rustls(default_rustls()));
        }
        #[cfg(feature = "native-tls")]
        return native_tls::TlsConnector::builder()
            // As rustls: nothing older than TLS 1.2 (RFC 8996 deprecates
            // 1.0 and 1.1).
            .min_protocol_version(Some(native_tls::Protocol::Tlsv12))
            .build()
            .map(Connector::NativeTls)
            .map_err(|e| tls_error(host, Box::new(e)));
        #[cfg(all(feature = "rustls", not(feature = "native-tls")))]
        return Ok(Connector::Rustls(default_rustls()));
        #[cfg(not(any(feature = "rustls", feature = "native-tls")))]
        Err(ConnectError::Url(
            "wss:// needs TLS: build sockwell-client with the rustls or the native-tls feature",
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

/// The name rustls checks the certificate against and sends as SNI.
#[cfg(feature = "rustls")]
pub(crate) fn server_name(
    host: &str,
) -> Result<rustls::pki_types::ServerName<'static>, ConnectError> {
    rustls::pki_types::ServerName::try_from(host.to_owned())
        .map_err(|e| tls_error(host, Box::new(e)))
}

#[cfg(any(feature = "rustls", feature = "native-tls"))]
pub(crate) fn tls_error(
    host: &str,
    source: Box<dyn std::error::Error + Send + Sync>,
) -> ConnectError {
    ConnectError::Tls {
        host: host.to_owned(),
        source,
    }
}

/// An I/O error out of a TLS handshake: rustls wraps its own errors in
/// `io::Error`, and those are unwrapped so that `source()` is the
/// `rustls::Error`; a socket timeout is the handshake timeout.
#[cfg(feature = "rustls")]
pub(crate) fn handshake_io_error(
    host: &str,
    e: io::Error,
    limit: Option<Duration>,
) -> ConnectError {
    if let (Some(limit), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) = (limit, e.kind()) {
        return ConnectError::Handshake(sockwell_handshake::HandshakeError::Timeout(limit));
    }
    match e.downcast::<rustls::Error>() {
        Ok(tls) => tls_error(host, Box::new(tls)),
        Err(e) => tls_error(host, Box::new(e)),
    }
}

/// Whether a TLS error is rustls refusing a CA certificate as the
/// server's own (see [`ConnectError::is_ca_used_as_end_entity`]).
pub(crate) fn is_ca_used_as_end_entity(source: &(dyn std::error::Error + 'static)) -> bool {
    #[cfg(feature = "rustls")]
    if let Some(rustls::Error::InvalidCertificate(rustls::CertificateError::Other(other))) =
        source.downcast_ref::<rustls::Error>()
    {
        return other.0.downcast_ref::<webpki::Error>() == Some(&webpki::Error::CaUsedAsEndEntity);
    }
    let _ = source;
    false
}

/// What [`ConnectError::Tls`]'s message adds after "failed" when the cause has a
/// usual fix (the cause itself is the error's `source()`, not repeated).
pub(crate) fn hint(source: &(dyn std::error::Error + Send + Sync + 'static)) -> &'static str {
    if is_ca_used_as_end_entity(source) {
        " (its certificate is a CA certificate, as `openssl req -x509` makes by default, and \
         rustls takes only a leaf certificate: give the server a leaf certificate signed by a CA \
         and trust that CA, or use sockwell-client's native-tls feature)"
    } else {
        ""
    }
}
