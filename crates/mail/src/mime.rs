//! The MIME message around a composed mail: `Message-ID`, `Date`, `From`, `Reply-To`, `To`,
//! the subject, and a multipart/alternative of the text and HTML parts (SPEC §4). Text people
//! typed reaches the headers through `header_text.rs`.
//!
//! A mail that belongs to a thread (a support case's notices: `Envelope::thread`) names it in
//! `In-Reply-To` and `References` (RFC 5322 §3.6.4), the headers mail programs thread by,
//! while its own `Message-ID` stays the one fixed when it was queued.
//!
//! Addresses go out in ASCII: an internationalized domain as its A-labels (`bücher.example`
//! → `xn--bcher-kva.example`), in the headers and so in the envelope, because provisio does
//! not use SMTPUTF8 and a relay without it would refuse the message. A non-ASCII local part
//! has no ASCII form; input refuses it (`ContactEmail`), and one that is stored anyway fails
//! to render here (permanently) instead of being retried against every relay.

use lettre::message::{
    Body, MultiPart, SinglePart,
    header::{self, ContentTransferEncoding, ContentType, HeaderName, HeaderValue},
};

use crate::compose::{self, Composed};
use crate::error::RenderError;
use crate::header_text;
use crate::outbound::{Envelope, Mailbox, Outbound};
use crate::transfer;

/// Renders `mail` with the composer of its kind into a multipart/alternative (text + HTML)
/// message in its locale.
pub fn render(mail: &Outbound) -> Result<lettre::Message, RenderError> {
    let composed = compose::compose(mail)?;
    build(mail.envelope(), mail.reply_to(), composed)
}

fn build(
    envelope: &Envelope,
    reply_to: Option<&Mailbox>,
    composed: Composed,
) -> Result<lettre::Message, RenderError> {
    let message_id = checked_message_id(&envelope.message_id).ok_or(RenderError::MessageId)?;
    let thread = match &envelope.thread {
        Some(thread) => Some(checked_message_id(thread).ok_or(RenderError::Thread)?),
        None => None,
    };
    // Every jiff timestamp fits a SystemTime on the platforms we build for.
    let date = std::time::SystemTime::try_from(envelope.date).map_err(|_| RenderError::Date)?;
    let mut builder = lettre::Message::builder()
        .message_id(Some(format!("<{message_id}>")))
        .date(date)
        .from(mailbox(&envelope.from, "From")?)
        .to(mailbox(&envelope.to, "To")?)
        .raw_header(header_text::subject(&header_text::clean(&composed.subject)))
        .raw_header(raw(CONTENT_LANGUAGE, envelope.locale.as_str()))
        // An automatic message: out-of-office replies should not answer it (RFC 3834).
        .raw_header(raw(AUTO_SUBMITTED, "auto-generated"));
    if let Some(reply_to) = reply_to {
        builder = builder.reply_to(mailbox(reply_to, "Reply-To")?);
    }
    if let Some(thread) = thread {
        // The thread's root is the only ancestor provisio knows of: both headers name it.
        builder = builder
            .in_reply_to(format!("<{thread}>"))
            .references(format!("<{thread}>"));
    }
    let parts = MultiPart::alternative()
        .singlepart(part(ContentType::TEXT_PLAIN, &composed.text))
        .singlepart(part(ContentType::TEXT_HTML, &composed.html));
    // lettre writes a multipart's Content-Type with its body, outside the message's headers,
    // where its DKIM signer cannot see it. The same bytes as a raw body with Content-Type
    // and MIME-Version among the headers make one identical message that DKIM can cover.
    let content_type = parts
        .headers()
        .get_raw("Content-Type")
        .ok_or(RenderError::Mime)?
        .to_owned();
    let formatted = parts.formatted();
    let body = formatted
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| formatted[at + 4..].to_vec())
        .ok_or(RenderError::Mime)?;
    // Each part is 7bit or quoted-printable (`transfer.rs`): the whole is 7-bit.
    let body = Body::dangerous_pre_encoded(body, ContentTransferEncoding::SevenBit);
    Ok(builder
        .header(header::MIME_VERSION_1_0)
        .raw_header(raw(CONTENT_TYPE, &content_type))
        .body(body)?)
}

/// A text or HTML part, encoded so that no soft line break falls inside a link.
fn part(content_type: ContentType, text: &str) -> SinglePart {
    let (bytes, encoding) = transfer::encode(text);
    SinglePart::builder()
        .header(content_type)
        .body(Body::dangerous_pre_encoded(bytes, encoding))
}

const CONTENT_TYPE: HeaderName = HeaderName::new_from_ascii_str("Content-Type");

const CONTENT_LANGUAGE: HeaderName = HeaderName::new_from_ascii_str("Content-Language");
const AUTO_SUBMITTED: HeaderName = HeaderName::new_from_ascii_str("Auto-Submitted");

fn raw(name: HeaderName, value: &str) -> HeaderValue {
    HeaderValue::new(name, value.to_owned())
}

fn mailbox(
    mailbox: &Mailbox,
    header: &'static str,
) -> Result<lettre::message::Mailbox, RenderError> {
    let address = ascii_address(&mailbox.address)
        .and_then(|a| a.parse::<lettre::Address>().ok())
        .ok_or(RenderError::Address { header })?;
    let name = mailbox.name.as_deref().map(header_text::clean);
    Ok(lettre::message::Mailbox::new(name, address))
}

/// The address with its domain as A-labels; `None` when the local part is not ASCII or the
/// domain is not a valid internationalized name.
fn ascii_address(address: &str) -> Option<String> {
    let (local, domain) = address.rsplit_once('@')?;
    if !local.is_ascii() {
        return None;
    }
    if domain.is_ascii() {
        return Some(address.to_owned());
    }
    let domain = idna::domain_to_ascii(domain).ok()?;
    Some(format!("{local}@{domain}"))
}

/// `id` when it is a bare `local@domain` (no angle brackets, spaces or quotes), as a
/// Message-ID and a thread id must be.
fn checked_message_id(id: &str) -> Option<&str> {
    let valid = id
        .split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
        && id
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>' | '"' | '\\' | ','));
    valid.then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_go_out_as_a_labels_and_non_ascii_local_parts_not_at_all() {
        assert_eq!(
            ascii_address("kim@bücher.example").as_deref(),
            Some("kim@xn--bcher-kva.example")
        );
        assert_eq!(
            ascii_address("kim@kund.example").as_deref(),
            Some("kim@kund.example")
        );
        assert_eq!(ascii_address("kär@kund.example"), None);
        assert_eq!(ascii_address("no-at"), None);
    }

    #[test]
    fn message_ids_are_bare_local_at_domain() {
        for good in ["0190f3a1-7c2e@provisio", "a.b+c@mail.example"] {
            assert!(checked_message_id(good).is_some(), "{good}");
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
            assert!(checked_message_id(bad).is_none(), "{bad}");
        }
    }
}
