//! provisio's outbound email: the typed provisioning email rendered per locale
//! ([`render`]), and the transports that hand it over ([`FileTransport`], [`SmtpTransport`]).
//! The scheduler decides when to send and what to record; nothing here reads the clock.

mod body;
mod dkim;
pub mod i18n;
mod message;
pub mod transport;

pub use dkim::{Dkim, DkimError};
pub use message::{Mailbox, ProvisioningEmail, RenderError, render};
pub use transport::{
    Accepted, ConfigError, FileTransport, MemoryTransport, SendError, SmtpTransport, Transport,
};
