//! Header text built from what people typed reaches a reader as typed (SPEC §11): an encoded
//! word typed as a name is shown literally, never decoded into what it hides; CR/LF and bidi
//! controls never reach a header.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use provisio_domain::{EmailKind, Locale};
use provisio_mail::Mailbox;

use crate::{email, parse, render};

/// An encoded word that a reader would decode into a right-to-left override and a line
/// that looks like a `Bcc:` header.
fn smuggler() -> String {
    let hidden = "\u{202E}moc.live@yps\r\nBcc: spy@evil.example";
    format!("=?utf-8?b?{}?=", STANDARD.encode(hidden))
}

fn rendered(mail: &provisio_mail::ProvisioningEmail) -> (String, mail_parser::Message<'static>) {
    let bytes = render(mail).unwrap().formatted();
    let text = String::from_utf8(bytes.clone()).unwrap();
    (text, parse(&bytes))
}

/// No header of the message is a `Bcc`, and nothing decoded holds a bidi control or a break.
fn assert_nothing_smuggled(raw: &str, message: &mail_parser::Message<'_>) {
    let head = &raw[..raw.find("\r\n\r\n").unwrap()];
    assert!(
        !head.to_ascii_lowercase().contains("\nbcc:"),
        "a Bcc header: {head}"
    );
    assert!(message.bcc().is_none(), "{head}");
    // Not even inside quotes: some readers decode encoded words there too.
    assert!(
        !head.contains(&smuggler()),
        "the typed encoded word is in the head as typed: {head}"
    );
    let mut shown = vec![message.subject().unwrap_or_default().to_owned()];
    for list in [message.from(), message.to(), message.reply_to()] {
        let first = list.and_then(|l| l.first()).unwrap();
        shown.push(first.name().unwrap_or_default().to_owned());
    }
    for text in shown {
        assert!(
            !text.contains(['\u{202E}', '\r', '\n']),
            "decoded into {text:?}: {head}"
        );
    }
}

#[test]
fn an_encoded_word_typed_as_the_customers_name_is_the_subjects_literal_text() {
    for locale in Locale::ALL {
        let mut mail = email(locale, EmailKind::Initial);
        mail.end_customer = smuggler();
        let (raw, message) = rendered(&mail);
        let subject = message.subject().unwrap();
        assert!(
            subject.contains(&format!("(Sub1000042, {})", smuggler())),
            "{locale}: {subject:?}"
        );
        assert!(subject.contains("W123"), "{subject}");
        assert_nothing_smuggled(&raw, &message);
        // Every line of the head stays short, also for the encoded subject.
        let head = &raw[..raw.find("\r\n\r\n").unwrap()];
        assert!(head.lines().all(|l| l.len() <= 78), "{head}");
    }
}

/// lettre writes such a name as encoded words of its own; this keeps it so.
#[test]
fn an_encoded_word_typed_as_a_display_name_is_shown_literally_in_every_address_header() {
    let mut mail = email(Locale::En, EmailKind::Initial);
    mail.envelope.from = Mailbox::new(Some(smuggler()), "provisio@provisio.example");
    mail.envelope.to = Mailbox::new(Some(smuggler()), "kim@kund.example");
    mail.envelope.reply_to = Some(Mailbox::new(Some(smuggler()), "olle@partner.example"));
    let (raw, message) = rendered(&mail);
    for (list, address) in [
        (message.from(), "provisio@provisio.example"),
        (message.to(), "kim@kund.example"),
        (message.reply_to(), "olle@partner.example"),
    ] {
        let first = list.and_then(|l| l.first()).unwrap();
        assert_eq!(first.name(), Some(smuggler().as_str()), "{raw}");
        assert_eq!(first.address(), Some(address));
    }
    assert_nothing_smuggled(&raw, &message);
    // The envelope is the addresses, whatever the names say.
    let envelope = render(&mail).unwrap().envelope().clone();
    assert_eq!(envelope.to()[0].to_string(), "kim@kund.example");
}

#[test]
fn breaks_and_bidi_controls_stored_in_names_never_reach_a_header() {
    let mut mail = email(Locale::En, EmailKind::Initial);
    mail.end_customer = "Kund AB\r\nBcc: spy@evil.example".to_owned();
    mail.envelope.to = Mailbox::new(
        Some("Kim\u{202E}nossdnuK\nBcc: spy@evil.example".to_owned()),
        "kim@kund.example",
    );
    let (raw, message) = rendered(&mail);
    assert_nothing_smuggled(&raw, &message);
    assert_eq!(
        message.subject(),
        Some(
            "Provisioning information required for order W123 (Sub1000042, Kund AB  Bcc: spy@evil.example)"
        )
    );
    let to = message.to().and_then(|l| l.first()).unwrap();
    assert_eq!(to.name(), Some("KimnossdnuK Bcc: spy@evil.example"));
}

#[test]
fn ordinary_names_are_written_as_before() {
    let mail = email(Locale::En, EmailKind::Initial);
    let (raw, _) = rendered(&mail);
    assert!(
        raw.contains("\r\nTo: \"Kim Kundsson\" <kim@kund.example>\r\n"),
        "{raw}"
    );
    assert!(
        !raw.contains("=?utf-8?b?"),
        "no encoded words where none are needed"
    );
}
