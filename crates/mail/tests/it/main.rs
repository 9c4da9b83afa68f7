//! One test binary for provisio-mail (STYLE habit 9): rendering, files, SMTP against a real
//! peer on loopback.
// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod case;
mod commands;
mod dkim;
mod file;
mod headers;
mod peer;
mod render;
mod sample;
mod smtp;
mod trust;

use provisio_domain::{EmailKind, Locale};
use provisio_mail::{Envelope, HandOffNotice, Mailbox, Outbound, ProvisioningEmail, RenderError};

pub use sample::{SETUP_URL, email};

/// The notice to Olle (the ordering contact) that Kim handed the setup of Sub1000042 off to
/// Lo.
pub fn notice(locale: Locale) -> HandOffNotice {
    let base = email(locale, EmailKind::Initial);
    HandOffNotice {
        envelope: Envelope {
            to: Mailbox::new(Some("Olle Ordersson".to_owned()), "olle@partner.example"),
            reply_to: Some(Mailbox::new(None, "kim@kund.example")),
            ..base.envelope
        },
        web_order_id: "W123".to_owned(),
        subscription_ref: "Sub1000042".to_owned(),
        end_customer: "Kund AB".to_owned(),
        partner: "Partner AB".to_owned(),
        offer: "A-FLEX".to_owned(),
        from: Mailbox::new(None, "kim@kund.example"),
        to: Mailbox::new(None, "lo@kund.example"),
        line_url: LINE_URL.to_owned(),
    }
}

pub const LINE_URL: &str = "https://provisio.example/orders/W123#line-Sub1000042";

/// Renders a provisioning email as delivery does: as one kind of [`Outbound`] mail.
pub fn render(email: &ProvisioningEmail) -> Result<lettre::Message, RenderError> {
    provisio_mail::render(&Outbound::from(email.clone()))
}

pub fn parse(bytes: &[u8]) -> mail_parser::Message<'static> {
    mail_parser::MessageParser::default()
        .parse(bytes)
        .expect("a parsable message")
        .into_owned()
}

/// The HTML with each piece kept on one line (`<span style="white-space:nowrap">…</span>`)
/// written `[…]`, for short assertions.
pub fn marked(html: &str) -> String {
    html.replace("<span style=\"white-space:nowrap\">", "[")
        .replace("</span>", "]")
}
