//! TLS for SMTP: lettre's `TlsParameters` for STARTTLS, and our own rustls client for
//! implicit TLS (`smtps://`), which must wrap the TCP stream before lettre reads the greeting.
//! Both trust the system's roots plus any given extra CA certificates.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use lettre::transport::smtp::client::{AsyncTokioStream, Certificate, TlsParameters};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::{self, pki_types::CertificateDer, pki_types::ServerName};

use super::url::{ConfigError, Endpoint, Security};

/// How connections to one endpoint are secured.
#[derive(Clone)]
pub(crate) enum Tls {
    None,
    /// STARTTLS: lettre upgrades the connection after EHLO.
    Upgrade(TlsParameters),
    Implicit {
        connector: TlsConnector,
        server_name: ServerName<'static>,
    },
}

impl Tls {
    /// TLS set up for `endpoint`, trusting the system roots and the CA certificates in
    /// `extra_roots_pem` (PEM, possibly several).
    pub(crate) fn new(endpoint: &Endpoint, extra_roots_pem: &[u8]) -> Result<Self, ConfigError> {
        let extra: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(extra_roots_pem)
            .collect::<Result<_, _>>()
            .map_err(|e| tls_error(format!("the extra CA certificates are not valid PEM: {e}")))?;
        match endpoint.security {
            Security::Plain => Ok(Self::None),
            Security::StartTls => {
                let mut builder = TlsParameters::builder(endpoint.host.clone());
                for cert in &extra {
                    let cert = Certificate::from_der(cert.to_vec())
                        .map_err(|e| tls_error(format!("a CA certificate is unusable: {e}")))?;
                    builder = builder.add_root_certificate(cert);
                }
                let parameters = builder
                    .build_rustls()
                    .map_err(|e| tls_error(format!("TLS setup failed: {e}")))?;
                Ok(Self::Upgrade(parameters))
            }
            Security::Implicit => {
                let mut roots = rustls::RootCertStore::empty();
                let native = rustls_native_certs::load_native_certs();
                roots.add_parsable_certificates(native.certs);
                for cert in extra {
                    roots
                        .add(cert)
                        .map_err(|e| tls_error(format!("a CA certificate is unusable: {e}")))?;
                }
                let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
                let config = rustls::ClientConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()
                    .map_err(|e| tls_error(format!("TLS setup failed: {e}")))?
                    .with_root_certificates(roots)
                    .with_no_client_auth();
                let server_name = ServerName::try_from(endpoint.host.clone()).map_err(|_| {
                    tls_error("the host is neither a DNS name nor an IP address".to_owned())
                })?;
                Ok(Self::Implicit {
                    connector: TlsConnector::from(Arc::new(config)),
                    server_name,
                })
            }
        }
    }
}

fn tls_error(why: String) -> ConfigError {
    ConfigError(why)
}

/// A TLS stream lettre can drive (its `AsyncTokioStream` wants `peer_addr`).
#[derive(Debug)]
pub(crate) struct TlsTcp(pub(crate) tokio_rustls::client::TlsStream<TcpStream>);

impl AsyncTokioStream for TlsTcp {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.get_ref().0.peer_addr()
    }
}

impl AsyncRead for TlsTcp {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsTcp {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}
