//! Translations: `locales/{en,sv}/*.ftl` at the workspace root, embedded at compile time.
//! Pages and emails take every user-facing text from here.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{LazyLock, PoisonError, RwLock};

use fluent_templates::{LanguageIdentifier, Loader, fluent_bundle::FluentValue, static_loader};
use provisio_domain::{Locale, Stage};

mod placed;

static_loader! {
    static LOCALES = {
        locales: "../../locales",
        fallback_language: "en",
        // Plain text: no Unicode isolation marks around arguments.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

fn language(locale: Locale) -> LanguageIdentifier {
    match locale {
        Locale::En => fluent_templates::langid!("en"),
        Locale::Sv => fluent_templates::langid!("sv"),
    }
}

/// The text for `key` in `locale` (English when a Swedish text is missing).
pub fn text(locale: Locale, key: &str) -> String {
    LOCALES.lookup(&language(locale), key)
}

/// The text for `key` in `locale` with its `{ $name }` arguments filled in, e.g.
/// `text_with(Locale::Sv, "email-help", &[("name", "Olle"), ("email", "olle@partner.test")])`.
pub fn text_with(locale: Locale, key: &str, args: &[(&str, &str)]) -> String {
    LOCALES.lookup_with_args(&language(locale), key, &arguments(args))
}

/// Like [`text_with`], but `None` when neither `locale` nor English has `key`
/// (instead of a placeholder text), for callers that must not send a half-translated text.
pub fn try_text_with(locale: Locale, key: &str, args: &[(&str, &str)]) -> Option<String> {
    if args.is_empty() {
        return constant(locale, key);
    }
    placed::text(locale, key, args).or_else(|| fluent_text(locale, key, args))
}

/// [`try_text_with`] by fluent itself.
fn fluent_text(locale: Locale, key: &str, args: &[(&str, &str)]) -> Option<String> {
    LOCALES.try_lookup_with_args(&language(locale), key, &arguments(args))
}

/// A text without arguments, formatted once per locale and key: an email takes about ten of
/// them (labels, the button) each time it is rendered, and fluent's lookup (hashing the
/// language, resolving the pattern) showed in the profile of a dispatch.
fn constant(locale: Locale, key: &str) -> Option<String> {
    // Only keys the translations have are kept: at most every key of the `.ftl` files.
    type Texts = RwLock<HashMap<String, String>>;
    static CONSTANTS: [LazyLock<Texts>; 2] =
        [LazyLock::new(Texts::default), LazyLock::new(Texts::default)];
    let texts = &CONSTANTS[match locale {
        Locale::En => 0,
        Locale::Sv => 1,
    }];
    if let Some(text) = texts
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(key)
    {
        return Some(text.clone());
    }
    let text = LOCALES.try_lookup_with_args(&language(locale), key, &HashMap::new())?;
    texts
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(key.to_owned(), text.clone());
    Some(text)
}

fn arguments(args: &[(&str, &str)]) -> HashMap<Cow<'static, str>, FluentValue<'static>> {
    args.iter()
        .map(|(name, value)| {
            (
                Cow::Owned((*name).to_owned()),
                FluentValue::from((*value).to_owned()),
            )
        })
        .collect()
}

/// The stage as people know it ("Awaiting Provisioning Details").
pub fn stage_label(locale: Locale, stage: Stage) -> String {
    text(locale, &format!("stage-{}", stage.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn keys(locale: &str) -> BTreeSet<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../locales")
            .join(locale);
        let mut keys = BTreeSet::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for line in text.lines() {
                if let Some((key, _)) = line.split_once(" =")
                    && !key.starts_with(['#', ' ', '.'])
                    && !key.is_empty()
                {
                    keys.insert(key.trim().to_owned());
                }
            }
        }
        keys
    }

    #[test]
    fn both_locales_have_every_key() {
        let (en, sv) = (keys("en"), keys("sv"));
        assert!(!en.is_empty());
        assert_eq!(
            en.difference(&sv).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "missing in sv"
        );
        assert_eq!(
            sv.difference(&en).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "missing in en"
        );
    }

    #[test]
    fn every_stage_has_a_label_in_both_languages() {
        for locale in Locale::ALL {
            for stage in Stage::ALL {
                let label = stage_label(locale, *stage);
                assert!(
                    !label.is_empty() && !label.contains("stage-"),
                    "{locale} {stage}: {label}"
                );
            }
        }
        assert_eq!(
            stage_label(Locale::En, Stage::AwaitingProvisioning),
            "Awaiting Provisioning Details"
        );
        assert_eq!(
            stage_label(Locale::Sv, Stage::AwaitingProvisioning),
            "Väntar på information om etablering"
        );
        assert_eq!(text(Locale::Sv, "status-closed"), "Stängd");
    }

    #[test]
    fn arguments_are_filled_in_without_isolation_marks() {
        let help = text_with(
            Locale::Sv,
            "email-help",
            &[("name", "Olle Ordersson"), ("email", "olle@partner.test")],
        );
        assert!(
            help.starts_with("Frågor? Kontakta Olle Ordersson (olle@partner.test)"),
            "{help}"
        );
        assert!(!help.contains(['\u{2068}', '\u{2069}']), "{help:?}");
        assert_eq!(try_text_with(Locale::En, "email-no-such-key", &[]), None);
    }
}
