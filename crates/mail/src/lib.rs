//! provisio's outbound email: typed mail ([`Outbound`]: provisioning emails, the hand-off
//! notice, support-case notifications), one composer per kind rendering it per locale ([`render`]), and the
//! transports that hand it over ([`FileTransport`], [`SmtpTransport`]). The scheduler decides
//! when to send and what to record; nothing here reads the clock.
//!
//! The modules depend one way: `outbound` (the values) ← `compose` (the words of each kind) ←
//! `mime` (headers and parts).

mod compose;
mod dkim;
mod error;
mod header_text;
pub mod i18n;
mod mime;
mod outbound;
mod transfer;
pub mod transport;

pub use compose::{Composed, compose};
pub use dkim::{Dkim, DkimError};
pub use error::RenderError;
pub use mime::render;
pub use outbound::{CaseNotice, Envelope, HandOffNotice, Mailbox, Outbound, ProvisioningEmail};
pub use transport::{
    Accepted, ConfigError, Fault, FileTransport, MemoryTransport, SendError, SmtpTransport,
    Transport,
};
