use provisio_domain::{EmailKind, Locale};

/// Why an email could not be rendered. Messages never contain an email address.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("the {header} address is not a valid email address")]
    Address { header: &'static str },
    #[error("the Message-ID must look like local@domain without angle brackets or spaces")]
    MessageId,
    #[error("the thread id must look like local@domain without angle brackets or spaces")]
    Thread,
    #[error("the Date is out of the system's time range")]
    Date,
    #[error("a {kind} email is not a case notice")]
    NotACase { kind: EmailKind },
    #[error("the {locale} translation has no text '{key}'")]
    MissingText { locale: Locale, key: String },
    #[error("the HTML template failed: {0}")]
    Template(#[from] askama::Error),
    #[error("the multipart body could not be laid out")]
    Mime,
    #[error("the message could not be built: {0}")]
    Build(#[from] lettre::error::Error),
}
