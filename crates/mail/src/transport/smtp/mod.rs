//! SMTP with our own small pool of lettre connections over `TCP_NODELAY` sockets.
//!
//! Why not lettre's `AsyncSmtpTransport`: its pool never sets `TCP_NODELAY`, so Nagle's
//! algorithm and the peer's delayed ACK cap each connection at ~22 messages/s (STYLE.md,
//! "Known pitfalls"). lettre still speaks the protocol: EHLO, STARTTLS, AUTH, the transaction
//! (with PIPELINING where the server offers it: `pipelining.rs`).

mod pipelining;
mod tls;
mod url;

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use lettre::transport::smtp::authentication::DEFAULT_MECHANISMS;
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;
use secrecy::SecretString;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
// Connection age is operational real time, not business time: the service Clock's rule
// (clippy.toml) is about the latter.
use tokio::time::Instant;

use self::pipelining::{Pipelined, Watch, Watched};
use self::tls::{Tls, TlsTcp};
pub use self::url::ConfigError;
use self::url::Endpoint;
use super::{Accepted, SendError, Transport};

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// A connection idle for less than this is reused without a NOOP first (a round trip per
/// message otherwise). Servers close idle connections after tens of seconds at the earliest.
const TRUST_IDLE: Duration = Duration::from_secs(2);

/// Sends over SMTP, keeping up to `pool_size` connections open and reusing idle ones.
pub struct SmtpTransport {
    endpoint: Endpoint,
    tls: Tls,
    hello: ClientId,
    timeout: Duration,
    /// At most `pool_size` sends (and so connections) at once.
    slots: Semaphore,
    /// Idle connections with when they were last used.
    idle: Mutex<Vec<(Pipelined, Instant)>>,
    opened: AtomicU64,
}

impl std::fmt::Debug for SmtpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpTransport")
            .field("endpoint", &self.endpoint.describe())
            .finish_non_exhaustive()
    }
}

impl SmtpTransport {
    /// From an SMTP URL: `smtp://host[:port]` (plain, 25), `smtp://host[:port]?tls=required`
    /// (STARTTLS, 587), `smtps://host[:port]` (implicit TLS, 465); `user:password@` in the
    /// user info (percent-encoded) makes it authenticate. TLS trusts the system's roots.
    pub fn from_url(url: &SecretString, pool_size: usize) -> Result<Self, ConfigError> {
        if pool_size == 0 {
            return Err(ConfigError("the pool size must be at least 1".to_owned()));
        }
        let endpoint = url::parse(url)?;
        if endpoint.credentials.is_some() && endpoint.security == url::Security::Plain {
            tracing::warn!(
                smtp = %endpoint.describe(),
                "SMTP credentials will be sent without TLS; use smtps:// or ?tls=required"
            );
        }
        Ok(Self {
            tls: Tls::new(&endpoint, b"")?,
            endpoint,
            hello: ClientId::default(),
            timeout: DEFAULT_TIMEOUT,
            slots: Semaphore::new(pool_size),
            idle: Mutex::new(Vec::with_capacity(pool_size)),
            opened: AtomicU64::new(0),
        })
    }

    /// Also trusts the CA certificates in `pem` (e.g. a company's private relay CA).
    pub fn with_root_certificates(mut self, pem: &[u8]) -> Result<Self, ConfigError> {
        self.tls = Tls::new(&self.endpoint, pem)?;
        Ok(self)
    }

    /// How long one step (connect, greeting, EHLO, STARTTLS, AUTH, NOOP, the whole mail
    /// transaction) may take before the connection is given up. Default 30 s.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The name sent with EHLO: this machine's fully qualified domain name, which relays
    /// check (some refuse or score down a bare address literal). Default: the address
    /// literal `[127.0.0.1]`, lettre's; the server always sets one (`smtp_helo_name`).
    pub fn with_hello_name(mut self, name: impl Into<String>) -> Self {
        self.hello = ClientId::Domain(name.into());
        self
    }

    /// Connections opened so far. Each failed send costs a new one (lettre closes the
    /// connection after a negative reply), so this minus the pool size counts reconnects.
    pub fn connections_opened(&self) -> u64 {
        self.opened.load(Ordering::Relaxed)
    }

    /// Says QUIT on every idle connection (on shutdown).
    pub async fn close(&self) {
        let idle = std::mem::take(&mut *self.idle());
        for (mut connection, _) in idle {
            let _ = tokio::time::timeout(self.timeout, connection.inner.quit()).await;
        }
    }

    fn idle(&self) -> MutexGuard<'_, Vec<(Pipelined, Instant)>> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// An idle connection that still answers NOOP, or a new one.
    async fn checkout(&self) -> Result<Pipelined, SendError> {
        loop {
            let Some((mut connection, used)) = self.idle().pop() else {
                return self.connect().await;
            };
            // A server closes idle connections after its own timeout; find out with a NOOP
            // before starting a transaction on one idle for a while (not on one used a moment
            // ago: that would cost a round trip per message).
            let alive = !connection.inner.has_broken()
                && (used.elapsed() < TRUST_IDLE
                    || tokio::time::timeout(self.timeout, connection.inner.test_connected())
                        .await
                        .unwrap_or(false));
            if alive {
                return Ok(connection);
            }
            tracing::debug!(smtp = %self.endpoint.describe(), "dropping a stale SMTP connection");
        }
    }

    async fn connect(&self) -> Result<Pipelined, SendError> {
        let (host, port) = (self.endpoint.host.as_str(), self.endpoint.port);
        let tcp = self
            .step("connect", TcpStream::connect((host, port)))
            .await?
            .map_err(|e| SendError::transient(format!("cannot connect to {host}:{port}: {e}")))?;
        tcp.set_nodelay(true)
            .map_err(|e| SendError::transient(format!("cannot set TCP_NODELAY: {e}")))?;
        // What the server offers is read off its replies in the clear (`pipelining.rs`).
        let watch = Watch::new(!matches!(self.tls, Tls::Upgrade(_)));
        let stream: Box<dyn AsyncTokioStream> = match &self.tls {
            Tls::Implicit {
                connector,
                server_name,
            } => {
                let tls = self
                    .step("TLS handshake", connector.connect(server_name.clone(), tcp))
                    .await?
                    .map_err(|e| {
                        SendError::transient(format!("TLS with {host}:{port} failed: {e}"))
                    })?;
                Box::new(Watched::new(TlsTcp(tls), &watch))
            }
            Tls::None | Tls::Upgrade(_) => Box::new(Watched::new(tcp, &watch)),
        };
        let mut connection = self
            .step(
                "greeting",
                AsyncSmtpConnection::connect_with_transport(stream, &self.hello),
            )
            .await?
            .map_err(smtp_error)?;
        if let Tls::Upgrade(parameters) = &self.tls {
            self.step(
                "STARTTLS",
                connection.starttls(parameters.clone(), &self.hello),
            )
            .await?
            .map_err(smtp_error)?;
        }
        if let Some(credentials) = &self.endpoint.credentials {
            self.step("AUTH", connection.auth(DEFAULT_MECHANISMS, credentials))
                .await?
                .map_err(smtp_error)?;
        }
        let pipelining = watch.finish();
        let opened = self.opened.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::debug!(smtp = %self.endpoint.describe(), opened, pipelining, "opened an SMTP connection");
        Ok(Pipelined {
            inner: connection,
            pipelining,
        })
    }

    /// Runs one protocol step under the timeout.
    async fn step<T>(&self, what: &str, future: impl Future<Output = T>) -> Result<T, SendError> {
        tokio::time::timeout(self.timeout, future)
            .await
            .map_err(|_| {
                SendError::transient(format!(
                    "{what} with {} timed out after {} s",
                    self.endpoint.describe(),
                    self.timeout.as_secs_f64()
                ))
            })
    }
}

#[async_trait]
impl Transport for SmtpTransport {
    async fn send(&self, message: &lettre::Message) -> Result<Accepted, SendError> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| SendError::transport("the SMTP transport is shut down"))?;
        // Whatever fails before the mail transaction (connect, TLS, greeting, EHLO,
        // STARTTLS, AUTH) fails for every message alike: the transport's fault.
        let mut connection = self.checkout().await.map_err(SendError::of_transport)?;
        let bytes = message.formatted();
        // After any error the connection is dropped: lettre has already aborted it after a
        // negative reply, and after a timeout its state is unknown.
        let response = self
            .step("sending", connection.send(message.envelope(), &bytes))
            .await?
            .map_err(smtp_error)?;
        self.idle().push((connection, Instant::now()));
        Ok(Accepted {
            reply: reply_text(&response),
        })
    }

    fn describe(&self) -> String {
        self.endpoint.describe()
    }

    async fn close(&self) {
        SmtpTransport::close(self).await;
    }
}

/// "250 2.0.0 Ok: queued as X".
fn reply_text(response: &Response) -> String {
    let lines: Vec<&str> = response.message().collect();
    format!("{} {}", response.code(), lines.join(" "))
}

/// Replies to the mail transaction that speak of the connection or the session, not of the
/// message: 421 the service is closing, 454 TLS or authentication temporarily unavailable,
/// 530 authentication required, 534 mechanism too weak, 535 credentials invalid, 538
/// encryption required. Every message would get them.
const TRANSPORT_REPLIES: [u16; 6] = [421, 454, 530, 534, 535, 538];

/// A reply about the session ([`TRANSPORT_REPLIES`]) is the transport's fault; any other 5xx
/// is permanent and any other 4xx transient. Without a reply: our client refusing this
/// message (e.g. an address it cannot send) is permanent; a network error or a lost
/// connection in the middle of the transaction is transient.
fn smtp_error(error: lettre::transport::smtp::Error) -> SendError {
    match error.status() {
        Some(code) => {
            let text = std::error::Error::source(&error)
                .map(ToString::to_string)
                .unwrap_or_default();
            let reply = format!("{code} {text}").trim_end().to_owned();
            let number = u16::from(code);
            if TRANSPORT_REPLIES.contains(&number) {
                SendError::transport(reply)
            } else if error.is_permanent() {
                SendError::permanent(reply)
            } else {
                SendError::transient(reply)
            }
        }
        None if error.is_client() => SendError::permanent(error.to_string()),
        None => SendError::transient(error.to_string()),
    }
}
