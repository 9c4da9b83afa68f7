//! The typed provisioning email and its rendering into a MIME message (SPEC §4).
//!
//! The outbox stores what to say (kind, line, recipient, locale); the scheduler fills a
//! [`ProvisioningEmail`] at each attempt and calls [`render`], so the deadline and the setup
//! link are those of that attempt, while the `Message-ID` stays the one fixed when queued.

use lettre::message::{
    MultiPart,
    header::{HeaderName, HeaderValue},
};
use provisio_domain::{EmailKind, Locale};

use crate::body::Body;

/// A person or role with an address, as shown in a header or in the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub name: Option<String>,
    pub address: String,
}

impl Mailbox {
    pub fn new(name: Option<String>, address: impl Into<String>) -> Self {
        Self {
            name,
            address: address.into(),
        }
    }

    /// The name when there is one, else the address.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.address)
    }
}

/// Everything one provisioning email says. Built by the scheduler at each attempt.
#[derive(Debug, Clone)]
pub struct ProvisioningEmail {
    pub kind: EmailKind,
    pub locale: Locale,
    /// E.g. `0190f3…@provisio`, without angle brackets; fixed when queued, reused on retries.
    pub message_id: String,
    /// The attempt time from the service clock.
    pub date: jiff::Timestamp,
    pub from: Mailbox,
    /// The ordering contact.
    pub reply_to: Option<Mailbox>,
    /// The provisioning contact.
    pub to: Mailbox,
    pub web_order_id: String,
    pub subscription_ref: String,
    pub end_customer: String,
    pub partner: String,
    pub offer: String,
    pub quantity: u32,
    pub requested_start_date: jiff::civil::Date,
    /// When the line closes by policy; shown as a date and time in `time_zone`.
    pub deadline: jiff::Timestamp,
    pub time_zone: jiff::tz::TimeZone,
    pub setup_url: String,
    pub admin_portal_url: Option<String>,
    /// Whom to contact with questions: the ordering contact (partner side).
    pub help_contact: Mailbox,
}

/// Why an email could not be rendered. Messages never contain an email address.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("the {header} address is not a valid email address")]
    Address { header: &'static str },
    #[error("the Message-ID must look like local@domain without angle brackets or spaces")]
    MessageId,
    #[error("the Date is out of the system's time range")]
    Date,
    #[error("the {locale} translation has no text '{key}'")]
    MissingText { locale: Locale, key: String },
    #[error("the HTML template failed: {0}")]
    Template(#[from] askama::Error),
    #[error("the message could not be built: {0}")]
    Build(#[from] lettre::error::Error),
}

/// Renders `email` into a multipart/alternative (text + HTML) message in its locale, with
/// `Message-ID`, `Date`, `From`, `Reply-To` (when given) and `To`.
pub fn render(email: &ProvisioningEmail) -> Result<lettre::Message, RenderError> {
    let message_id = checked_message_id(&email.message_id)?;
    let body = Body::new(email)?;
    // Every jiff timestamp fits a SystemTime on the platforms we build for.
    let date = std::time::SystemTime::try_from(email.date).map_err(|_| RenderError::Date)?;
    let mut builder = lettre::Message::builder()
        .message_id(Some(format!("<{message_id}>")))
        .date(date)
        .from(mailbox(&email.from, "From")?)
        .to(mailbox(&email.to, "To")?)
        .subject(body.subject.clone())
        .raw_header(raw(CONTENT_LANGUAGE, email.locale.as_str()))
        // An automatic message: out-of-office replies should not answer it (RFC 3834).
        .raw_header(raw(AUTO_SUBMITTED, "auto-generated"));
    if let Some(reply_to) = &email.reply_to {
        builder = builder.reply_to(mailbox(reply_to, "Reply-To")?);
    }
    let parts = MultiPart::alternative_plain_html(body.text(), body.html()?);
    Ok(builder.multipart(parts)?)
}

const CONTENT_LANGUAGE: HeaderName = HeaderName::new_from_ascii_str("Content-Language");
const AUTO_SUBMITTED: HeaderName = HeaderName::new_from_ascii_str("Auto-Submitted");

fn raw(name: HeaderName, value: &str) -> HeaderValue {
    HeaderValue::new(name, value.to_owned())
}

fn mailbox(
    mailbox: &Mailbox,
    header: &'static str,
) -> Result<lettre::message::Mailbox, RenderError> {
    let address = mailbox
        .address
        .parse::<lettre::Address>()
        .map_err(|_| RenderError::Address { header })?;
    Ok(lettre::message::Mailbox::new(mailbox.name.clone(), address))
}

fn checked_message_id(id: &str) -> Result<&str, RenderError> {
    let valid = id
        .split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
        && id
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>' | '"' | '\\' | ','));
    if valid {
        Ok(id)
    } else {
        Err(RenderError::MessageId)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_bare_local_at_domain() {
        for good in ["0190f3a1-7c2e@provisio", "a.b+c@mail.example"] {
            assert!(checked_message_id(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "<x@provisio>",
            "x@",
            "@provisio",
            "no-at",
            "a b@provisio",
            "x@prov\nisio",
        ] {
            assert!(checked_message_id(bad).is_err(), "{bad}");
        }
    }
}
