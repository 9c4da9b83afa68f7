//! The MIME message around a composed mail: `Message-ID`, `Date`, `From`, `Reply-To`, `To`,
//! the subject, and a multipart/alternative of the text and HTML parts (SPEC §4).

use lettre::message::{
    MultiPart,
    header::{HeaderName, HeaderValue},
};

use crate::compose::{self, Composed};
use crate::error::RenderError;
use crate::outbound::{Envelope, Mailbox, Outbound};

/// Renders `mail` with the composer of its kind into a multipart/alternative (text + HTML)
/// message in its locale.
pub fn render(mail: &Outbound) -> Result<lettre::Message, RenderError> {
    let composed = compose::compose(mail)?;
    build(mail.envelope(), composed)
}

fn build(envelope: &Envelope, composed: Composed) -> Result<lettre::Message, RenderError> {
    let message_id = checked_message_id(&envelope.message_id)?;
    // Every jiff timestamp fits a SystemTime on the platforms we build for.
    let date = std::time::SystemTime::try_from(envelope.date).map_err(|_| RenderError::Date)?;
    let mut builder = lettre::Message::builder()
        .message_id(Some(format!("<{message_id}>")))
        .date(date)
        .from(mailbox(&envelope.from, "From")?)
        .to(mailbox(&envelope.to, "To")?)
        .subject(composed.subject)
        .raw_header(raw(CONTENT_LANGUAGE, envelope.locale.as_str()))
        // An automatic message: out-of-office replies should not answer it (RFC 3834).
        .raw_header(raw(AUTO_SUBMITTED, "auto-generated"));
    if let Some(reply_to) = &envelope.reply_to {
        builder = builder.reply_to(mailbox(reply_to, "Reply-To")?);
    }
    let parts = MultiPart::alternative_plain_html(composed.text, composed.html);
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
