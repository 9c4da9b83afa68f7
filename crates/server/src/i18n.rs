//! Translations: `locales/{en,sv}/*.ftl` at the workspace root, embedded at compile time by
//! the mail crate and shared with the pages, so emails and pages speak with one voice. Errors
//! are rendered from their [`Message`] here, in the language the edge chooses.

pub use provisio_mail::i18n::*;

use provisio_domain::Locale;

use crate::error::{Arg, Message};

/// The message's words in `locale`, nested messages rendered first.
pub fn render(locale: Locale, message: &Message) -> String {
    let args: Vec<(&str, String)> = message
        .args
        .iter()
        .map(|(name, arg)| {
            let value = match arg {
                Arg::Text(t) => t.clone(),
                Arg::Message(m) => render(locale, m),
            };
            (*name, value)
        })
        .collect();
    let args: Vec<(&str, &str)> = args.iter().map(|(n, v)| (*n, v.as_str())).collect();
    text_with(locale, message.key, &args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_messages_are_rendered_in_the_same_language() {
        let m = Message::new("error-field")
            .with("field", "email")
            .with_message("message", Message::new("value-email-empty"));
        assert_eq!(render(Locale::En, &m), "email: the email address is empty");
        let sv = render(Locale::Sv, &m);
        assert!(
            sv.starts_with("email: ") && sv.contains("e-postadress"),
            "{sv}"
        );
    }
}
