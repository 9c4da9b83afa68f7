//! Where rendered messages go: SMTP for real use, `.eml` files when nothing is configured,
//! memory in tests. The scheduler holds one as `Arc<dyn Transport>` and records the reply.

mod file;
mod memory;
mod smtp;

use async_trait::async_trait;

pub use file::FileTransport;
pub use memory::MemoryTransport;
pub use smtp::{ConfigError, SmtpTransport};

/// Hands one message over.
#[async_trait]
pub trait Transport: Send + Sync {
    /// Sends `message` to its envelope (From → To). `Ok` once the peer has taken
    /// responsibility for it (SMTP 250, file renamed into place).
    async fn send(&self, message: &lettre::Message) -> Result<Accepted, SendError>;

    /// Where messages go, for the log: "files in /x/mail", "smtp://host:25". No credentials.
    fn describe(&self) -> String;

    /// Ends idle connections politely (SMTP QUIT) when the service stops.
    async fn close(&self) {}
}

/// The peer took the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The SMTP reply ("250 2.0.0 Ok: queued as X") or "written to x.eml" (the file name only).
    pub reply: String,
}

/// The message was not handed over.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reply}")]
pub struct SendError {
    /// A 5xx reply: retrying will not help. Everything else (4xx, connection, TLS,
    /// timeouts, disk) is transient and worth retrying.
    pub permanent: bool,
    /// The SMTP reply ("451 4.3.0 try later") or what went wrong on the way.
    pub reply: String,
}

impl SendError {
    pub fn transient(reply: impl Into<String>) -> Self {
        Self {
            permanent: false,
            reply: reply.into(),
        }
    }

    pub fn permanent(reply: impl Into<String>) -> Self {
        Self {
            permanent: true,
            reply: reply.into(),
        }
    }
}
