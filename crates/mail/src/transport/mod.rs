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
    /// The SMTP reply ("250 2.0.0 Ok: queued as X"); empty for a file (which has none).
    pub reply: String,
}

/// The message was not handed over.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reply}")]
pub struct SendError {
    /// Whose fault it was, which decides what happens to the email.
    pub fault: Fault,
    /// The SMTP reply ("451 4.3.0 try later") or what went wrong on the way.
    pub reply: String,
}

/// Whose fault a failed delivery attempt was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// This message, for now: a 4xx reply to the mail transaction, a connection lost or a
    /// timeout in the middle of it. Worth retrying this email later.
    Transient,
    /// This message, for good: a 5xx reply to MAIL, RCPT or DATA. Retrying will not help.
    Permanent,
    /// Not the message's: the transport cannot send anything (the relay refuses our
    /// credentials or needs them, TLS fails, it cannot be reached, the mail directory cannot
    /// be written). Every other email would fail the same way, so delivery pauses and the
    /// email is not charged an attempt.
    Transport,
}

impl SendError {
    pub fn transient(reply: impl Into<String>) -> Self {
        Self::new(Fault::Transient, reply)
    }

    pub fn permanent(reply: impl Into<String>) -> Self {
        Self::new(Fault::Permanent, reply)
    }

    pub fn transport(reply: impl Into<String>) -> Self {
        Self::new(Fault::Transport, reply)
    }

    fn new(fault: Fault, reply: impl Into<String>) -> Self {
        Self {
            fault,
            reply: reply.into(),
        }
    }

    /// The same error, blamed on the transport.
    pub fn of_transport(self) -> Self {
        Self {
            fault: Fault::Transport,
            ..self
        }
    }
}
