//! One Swedish glossary (issue 19): every Swedish text of pages, emails and errors uses the
//! support article's own words where it has one (shared/seed: etablering, etableringskontakt,
//! orderrad, Skicka igen, Stängd; "Provisioneringshjälp" stays the help topic's name).

use std::path::PathBuf;

/// A word the article does not use, and the article's word for it.
const NOT_OURS: &[(&str, &str)] = &[
    (
        "provisioner",
        "etablering / etableringskontakt / etableringsmeddelande",
    ),
    ("mejl", "e-postmeddelande"),
    ("beställningsrad", "orderrad"),
    ("onboard", "registrera (organisationen)"),
    ("kontaktperson", "etableringskontakt"),
];

/// The one name that keeps "provisionering": the help topic's (as in the article).
const HELP_TOPIC: &str = "provisioneringshjälp";

/// Keys whose Swedish text is exactly the article's word.
const EXACT: &[(&str, &str)] = &[
    ("web-resend", "Skicka igen"),
    ("status-closed", "Stängd"),
    ("web-nav-attention", "Behöver åtgärd"),
];

fn swedish() -> Vec<(String, String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../locales/sv");
    let mut texts = vec![];
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let body = std::fs::read_to_string(&path).unwrap();
        let mut key = String::new();
        for line in body.lines() {
            if line.trim_start().starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let text = match line.split_once(" = ") {
                Some((k, v)) if !line.starts_with(' ') => {
                    key = k.trim().to_owned();
                    v
                }
                _ => line,
            };
            texts.push((file.clone(), key.clone(), text.trim().to_owned()));
        }
    }
    assert!(
        texts.len() > 300,
        "the Swedish texts were read: {}",
        texts.len()
    );
    texts
}

#[test]
fn every_swedish_text_uses_the_articles_words() {
    let mut wrong = vec![];
    for (file, key, text) in swedish() {
        let lower = text.to_lowercase().replace(HELP_TOPIC, "");
        for (word, ours) in NOT_OURS {
            if lower.contains(word) {
                wrong.push(format!("{file} {key}: {word:?} (say {ours}): {text}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "not the glossary's words:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_articles_own_labels_are_used_as_they_are() {
    let texts = swedish();
    for (key, word) in EXACT {
        let found = texts.iter().find(|(_, k, _)| k == key);
        assert_eq!(
            found.map(|(_, _, t)| t.as_str()),
            Some(*word),
            "{key} is the article's word"
        );
    }
}

#[test]
fn the_glossary_test_catches_a_planted_word() {
    let planted = "Skicka provisioneringsmejlet igen".to_lowercase();
    assert!(NOT_OURS.iter().any(|(w, _)| planted.contains(w)));
    assert!(
        !"Öppna Provisioneringshjälp"
            .to_lowercase()
            .replace(HELP_TOPIC, "")
            .contains("provisioner")
    );
}
