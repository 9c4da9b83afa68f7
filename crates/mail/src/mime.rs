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

use std::io::Write;

use lettre::message::{
    Body,
    header::{self, ContentTransferEncoding, HeaderName, HeaderValue},
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
    let (from, to) = (
        mailbox(&envelope.from, "From")?,
        mailbox(&envelope.to, "To")?,
    );
    // The SMTP envelope is the From and To written: given, lettre need not parse them back
    // out of the headers it has just written (a tenth of rendering went there).
    let smtp_envelope =
        lettre::address::Envelope::new(Some(from.email.clone()), vec![to.email.clone()])
            .map_err(|_| RenderError::Address { header: "To" })?;
    let mut builder = lettre::Message::builder()
        .envelope(smtp_envelope)
        .message_id(Some(format!("<{message_id}>")))
        .date(date)
        .from(from)
        .to(to)
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
    // The multipart/alternative is written here, as lettre's `MultiPart` writes it, straight
    // into the message's body: its Content-Type goes among the message's headers (where
    // lettre would write it with the body, out of its DKIM signer's sight), and the parts are
    // copied once instead of formatted, searched and copied again.
    let boundary = boundary();
    let (text, text_encoding) = transfer::encode(&composed.text);
    let (html, html_encoding) = transfer::encode(&composed.html);
    let mut body = Vec::with_capacity(text.len() + html.len() + 4 * boundary.len() + 256);
    for (content_type, bytes, encoding) in [
        ("text/plain", text, text_encoding),
        ("text/html", html, html_encoding),
    ] {
        // Writing to a Vec cannot fail.
        let _ = write!(
            body,
            "--{boundary}\r\nContent-Type: {content_type}; charset=utf-8\r\n\
             Content-Transfer-Encoding: {encoding}\r\n\r\n"
        );
        body.extend_from_slice(&bytes);
        body.extend_from_slice(b"\r\n");
    }
    let _ = write!(body, "--{boundary}--\r\n");
    // Each part is 7bit or quoted-printable (`transfer.rs`): the whole is 7-bit.
    let body = Body::dangerous_pre_encoded(body, ContentTransferEncoding::SevenBit);
    let content_type = format!("multipart/alternative; boundary=\"{boundary}\"");
    Ok(builder
        .header(header::MIME_VERSION_1_0)
        .raw_header(raw(CONTENT_TYPE, &content_type))
        .body(body)?)
}

/// A boundary between the parts, as lettre makes one: 40 random letters and digits, which a
/// part's text never contains by chance.
fn boundary() -> String {
    use rand::RngExt;
    use rand::distr::Alphanumeric;
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(40)
        .map(char::from)
        .collect()
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
