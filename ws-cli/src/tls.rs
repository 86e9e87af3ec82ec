//! `wss://` options: the roots a client trusts (`--ca`, `--insecure`), and
//! the certificate a server presents (`--cert`, `--key`).

use crate::failure::{exit, Failure};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sockwell_client::Connector;
use std::path::Path;
use std::sync::Arc;

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn tls_failure(what: impl std::fmt::Display) -> Failure {
    Failure::new(exit::TLS, what.to_string())
}

/// The client's TLS setup: `None` for the default (the built-in Mozilla
/// roots), else roots from `ca` only, or no certificate checks at all.
pub fn connector(ca: Option<&Path>, insecure: bool) -> Result<Option<Connector>, Failure> {
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(tls_failure)?;
    let config = if insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider())))
            .with_no_client_auth()
    } else if let Some(ca) = ca {
        let mut roots = rustls::RootCertStore::empty();
        let certs = CertificateDer::pem_file_iter(ca)
            .map_err(|e| tls_failure(format!("cannot read --ca {}: {e}", ca.display())))?;
        for cert in certs {
            let cert =
                cert.map_err(|e| tls_failure(format!("bad certificate in {}: {e}", ca.display())))?;
            roots
                .add(cert)
                .map_err(|e| tls_failure(format!("bad certificate in {}: {e}", ca.display())))?;
        }
        if roots.is_empty() {
            let complaint = format!("no PEM certificates in --ca {}", ca.display());
            return Err(tls_failure(complaint));
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    } else {
        return Ok(None);
    };
    Ok(Some(Connector::Rustls(Arc::new(config))))
}

/// The server's TLS setup from PEM files.
pub fn acceptor(cert: &Path, key: &Path) -> Result<tokio_rustls::TlsAcceptor, Failure> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| tls_failure(format!("cannot read --cert {}: {e}", cert.display())))?;
    if chain.is_empty() {
        let complaint = format!("no PEM certificates in --cert {}", cert.display());
        return Err(tls_failure(complaint));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| tls_failure(format!("cannot read --key {}: {e}", key.display())))?;
    let config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(tls_failure)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| tls_failure(format!("certificate and key do not go together: {e}")))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// `--insecure`: any certificate, for any name, is accepted. The handshake
/// signatures are still checked, so the connection is encrypted to whoever
/// holds the certificate's key; who that is, nobody checked.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
