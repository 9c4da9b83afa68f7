//! Header text built from what people typed (the Subject, display names), made safe for a
//! header (SPEC §11): a reader shows exactly the text, never something it decoded from it.
//!
//! Two dangers. Control characters (CR/LF above all) and invisible format characters (bidi
//! overrides and isolates) could start a header of their own or reorder what a reader shows:
//! they never reach a header ([`clean`]; input refuses them already, this holds for anything
//! stored earlier too). And text that *looks* like an RFC 2047 encoded word, e.g. an end
//! customer named `=?utf-8?b?4oCu…?=`, is pure ASCII, so lettre writes it as it is, and the
//! reader decodes it into whatever it hides (a bidi override, a line that looks like a `Bcc:`
//! header). Such a Subject is written as encoded words of its own ([`encoded_words`]), so the
//! reader decodes it back to the literal characters typed. (Display names need nothing more:
//! lettre writes a name with `=` or `?` in it as encoded words of its own already.)

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use lettre::message::header::{HeaderName, HeaderValue};

/// The text without control and invisible format characters (the ones names refuse,
/// [`provisio_domain::values::forbidden_in_name`]); line breaks and tabs become spaces.
pub(crate) fn clean(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            '\r' | '\n' | '\t' => Some(' '),
            c if provisio_domain::values::is_forbidden_in_name(c) => None,
            c => Some(c),
        })
        .collect()
}

/// Whether lettre's own encoding would let a reader decode something out of `text`: it
/// writes ASCII words as they are, so anything that could open an encoded word (`=?`) must
/// be encoded by us.
pub(crate) fn needs_own_encoding(text: &str) -> bool {
    text.contains("=?")
}

/// UTF-8 bytes per encoded word: 39 bytes are 52 base64 characters, a word of 64 with its
/// `=?utf-8?b?` and `?=`, so that even after `Reply-To: ` a line stays within 78 characters
/// (RFC 5322) and every word within 75 (RFC 2047).
const WORD_BYTES: usize = 39;

/// `text` as RFC 2047 encoded words (`B` encoding), never splitting a character, folded one
/// word a line. A reader joins adjacent encoded words without the folding between them, so
/// it decodes exactly `text`.
pub(crate) fn encoded_words(text: &str) -> String {
    let mut words = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let mut end = rest.len().min(WORD_BYTES);
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        // A character longer than a word's bytes cannot be: UTF-8 has at most 4.
        let (word, after) = rest.split_at(end);
        words.push(format!("=?utf-8?b?{}?=", STANDARD.encode(word)));
        rest = after;
    }
    words.join("\r\n ")
}

/// A Subject header whose text a reader shows as written.
pub(crate) fn subject(text: &str) -> HeaderValue {
    let name = HeaderName::new_from_ascii_str("Subject");
    if needs_own_encoding(text) {
        HeaderValue::dangerous_new_pre_encoded(name, text.to_owned(), encoded_words(text))
    } else {
        HeaderValue::new(name, text.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaks_and_invisible_characters_never_reach_a_header() {
        assert_eq!(clean("Kund AB\r\nBcc: x@y"), "Kund AB  Bcc: x@y");
        assert_eq!(clean("a\u{202E}b\u{2066}c\u{200B}d\u{0}e"), "abcde");
        assert_eq!(clean("Åsa 👩\u{200D}💻"), "Åsa 👩\u{200D}💻");
    }

    #[test]
    fn encoded_words_are_short_and_split_only_between_characters() {
        let text = "=?utf-8?b?".to_owned() + &"é".repeat(50) + "?=";
        let encoded = encoded_words(&text);
        let mut decoded = Vec::new();
        for word in encoded.split("\r\n ") {
            assert!(word.len() <= 75, "{word}");
            let inner = word
                .strip_prefix("=?utf-8?b?")
                .and_then(|w| w.strip_suffix("?="))
                .unwrap();
            let bytes = STANDARD.decode(inner).unwrap();
            assert!(std::str::from_utf8(&bytes).is_ok(), "whole characters");
            decoded.extend(bytes);
        }
        assert_eq!(String::from_utf8(decoded).unwrap(), text);
        assert!(needs_own_encoding("Kund =?AB"));
        assert!(!needs_own_encoding("Kund AB (= ?)"));
    }
}
