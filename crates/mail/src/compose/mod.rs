//! One composer per kind of mail: it turns the typed value into the words of the message
//! (subject, plain text, HTML), taken from `locales/*/email.ftl`. Headers are `mime.rs`'s.

mod case;
mod hand_off;
mod provisioning;
mod rich;

use provisio_domain::Locale;

use crate::error::RenderError;
use crate::i18n;
use crate::outbound::{Mailbox, Outbound};

/// A message's words, ready for the MIME builder (and for the page that shows an email as it
/// was sent).
#[derive(Debug, Clone)]
pub struct Composed {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Picks the composer of the mail's kind.
pub fn compose(mail: &Outbound) -> Result<Composed, RenderError> {
    match mail {
        Outbound::Provisioning(p) => provisioning::compose(p),
        Outbound::HandOff(n) => hand_off::compose(n),
        Outbound::Case(n) => case::compose(n),
    }
}

/// Looks texts up in one locale, failing on a missing key rather than sending a placeholder.
pub(crate) struct Texts(pub Locale);

impl Texts {
    pub(crate) fn get(&self, key: &str, args: &[(&str, &str)]) -> Result<String, RenderError> {
        i18n::try_text_with(self.0, key, args).ok_or_else(|| RenderError::MissingText {
            locale: self.0,
            key: key.to_owned(),
        })
    }
}

/// "Hello Kim Kundsson," when the recipient has a name, else "Hello,".
pub(crate) fn greeting(t: &Texts, to: &Mailbox) -> Result<String, RenderError> {
    match &to.name {
        Some(name) => t.get("email-greeting-named", &[("name", name)]),
        None => t.get("email-greeting", &[]),
    }
}

/// "Name (address)", or the address alone.
pub(crate) fn person(m: &Mailbox) -> String {
    match &m.name {
        Some(name) => format!("{name} ({})", m.address),
        None => m.address.clone(),
    }
}

/// "Label: value" lines with the values aligned, for a text part.
pub(crate) fn fact_lines(facts: &[(String, String)]) -> String {
    let width = facts
        .iter()
        .map(|(label, _)| label.chars().count())
        .max()
        .unwrap_or(0);
    facts
        .iter()
        .map(|(label, value)| {
            let pad = width - label.chars().count();
            format!("{label}:{:pad$} {value}\n", "")
        })
        .collect()
}
