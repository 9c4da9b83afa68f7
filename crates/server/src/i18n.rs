//! Translations: `locales/{en,sv}/*.ftl` at the workspace root, embedded at compile time by
//! the mail crate and shared with the pages, so emails and pages speak with one voice. Errors
//! are rendered from their [`Message`] here, in the language the edge chooses.

pub use provisio_mail::i18n::*;

use provisio_domain::Locale;

use crate::error::{Arg, Message};

/// The translation key of an event type's label: `line.closed` → `event-line-closed`.
/// Why a line needs a person, in words ("Last email failed").
pub fn attention_label(locale: Locale, a: provisio_domain::attention::Attention) -> String {
    text(locale, &attention_key(a, ""))
}

/// What to do about it, in words.
pub fn attention_todo(locale: Locale, a: provisio_domain::attention::Attention) -> String {
    text(locale, &attention_key(a, "-todo"))
}

fn attention_key(a: provisio_domain::attention::Attention, suffix: &str) -> String {
    format!("web-attention-{}{suffix}", a.as_str().replace('_', "-"))
}

pub fn event_key(kind: &str) -> String {
    format!("event-{}", kind.replace('.', "-"))
}

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
    use std::path::Path;

    /// Every string literal in the crates' sources and page templates that names a
    /// translation key (by its prefix) exists in both languages: a renamed or forgotten key fails here, not in front
    /// of a user. (Keys built at run time, like `email-subject-{kind}`, are checked where
    /// they are built.)
    #[test]
    fn every_key_the_code_names_exists_in_both_languages() {
        const PREFIXES: &[&str] = &[
            "value-",
            "order-",
            "denied-",
            "refused-",
            "error-",
            "not-found-",
            "exists-",
            "auth-",
            "request-",
            "setup-",
            "page-",
            "web-",
            "admin-",
            "timeline-",
        ];
        let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut keys = std::collections::BTreeSet::new();
        let mut dirs = vec![crates];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                if path.is_dir() && name != "target" && name != "tests" {
                    dirs.push(path);
                } else if name.ends_with(".rs") || name.ends_with(".html") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for literal in text.split('"').skip(1).step_by(2) {
                        let is_key = PREFIXES.iter().any(|p| literal.starts_with(p))
                            && !literal.ends_with('-')
                            && literal
                                .bytes()
                                .all(|b| b.is_ascii_lowercase() || b == b'-' || b == b'_');
                        if is_key {
                            keys.insert(literal.to_owned());
                        }
                    }
                }
            }
        }
        assert!(keys.len() > 60, "the scan finds the keys: {keys:?}");
        for locale in ["en", "sv"] {
            let known = ftl_keys(
                &Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../../locales")
                    .join(locale),
            );
            let missing: Vec<_> = keys.iter().filter(|k| !known.contains(*k)).collect();
            assert!(
                missing.is_empty(),
                "{locale}: keys without a text: {missing:?}"
            );
        }
    }

    /// The keys an `.ftl` directory defines.
    fn ftl_keys(dir: &Path) -> std::collections::BTreeSet<String> {
        let mut keys = std::collections::BTreeSet::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for line in text.lines() {
                if let Some((key, _)) = line.split_once(" =")
                    && !key.is_empty()
                    && !key.starts_with(['#', ' ', '.'])
                {
                    keys.insert(key.trim().to_owned());
                }
            }
        }
        keys
    }

    /// Keys the pages build at run time from a value's name.
    #[test]
    fn every_kind_state_and_status_has_a_label_in_both_languages() {
        use provisio_domain::event::EventType;
        use provisio_domain::{EmailKind, EmailState, LineStatus};
        for locale in ["en", "sv"] {
            let known = ftl_keys(
                &Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../../locales")
                    .join(locale),
            );
            let keys = EmailKind::ALL
                .iter()
                .map(|k| format!("kind-{}", k.as_str()))
                .chain(
                    EmailState::ALL
                        .iter()
                        .map(|s| format!("email-state-{}", s.as_str())),
                )
                .chain(
                    LineStatus::ALL
                        .iter()
                        .map(|s| format!("status-{}", s.as_str())),
                )
                .chain(
                    EventType::ALL
                        .iter()
                        .map(|e| crate::i18n::event_key(e.as_str())),
                );
            for key in keys {
                assert!(known.contains(&key), "{locale}: no text for {key}");
            }
        }
    }

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
