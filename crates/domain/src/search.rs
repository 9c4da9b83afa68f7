//! What a search by `q` finds (SPEC §7: "case-insensitive substring of the web order id, end
//! customer, a subscription reference or a contact email"), decided here once for both
//! backends.
//!
//! Each line has one [`SearchText`]: its four searchable fields folded to lower case (Unicode,
//! so `Å` finds `å` on either backend) and joined by a line break. A [`Search`] is the
//! trimmed, folded term; a line matches when its text contains the term. The stores keep the
//! text in a trigram index (FTS5 on SQLite, `pg_trgm` on PostgreSQL) written with the line and
//! again when its contact changes, and ask the index for the lines containing the term, newest
//! first; they never fold or compare on their own.

/// Between two fields of a [`SearchText`]: neither a field nor a term holds one (both have
/// theirs turned into spaces), so a term never matches across two fields.
const SEPARATOR: char = '\n';

/// The shortest term a trigram index can look up; a shorter one is found by reading the
/// lines newest first until a page is full.
pub const INDEXED_LEN: usize = 3;

/// A search term: trimmed, never empty, folded to lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search(String);

impl Search {
    /// The term of `q`, or `None` when `q` is empty or only white space (no filter).
    pub fn parse(q: &str) -> Option<Search> {
        let q = q.trim();
        (!q.is_empty()).then(|| Search(fold(q)))
    }

    /// The folded term, as the stored texts are folded.
    pub fn folded(&self) -> &str {
        &self.0
    }

    /// Whether a trigram index can find the term (it has at least [`INDEXED_LEN`]
    /// characters).
    pub fn indexed(&self) -> bool {
        self.0.chars().count() >= INDEXED_LEN
    }

    /// The term's distinct runs of [`INDEXED_LEN`] characters, first seen first: a text that
    /// holds the term holds each of them (what a trigram index looks up; empty when the term
    /// is shorter).
    pub fn trigrams(&self) -> Vec<&str> {
        let starts: Vec<usize> = self.0.char_indices().map(|(i, _)| i).collect();
        let mut found: Vec<&str> = Vec::new();
        for k in 0..(starts.len() + 1).saturating_sub(INDEXED_LEN) {
            let end = starts.get(k + INDEXED_LEN).copied().unwrap_or(self.0.len());
            let run = &self.0[starts[k]..end];
            if !found.contains(&run) {
                found.push(run);
            }
        }
        found
    }

    /// Whether `text` holds the term: the rule the indexes implement.
    pub fn finds(&self, text: &SearchText) -> bool {
        text.0.contains(&self.0)
    }
}

/// The searchable text of one line: what a [`Search`] looks in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchText(String);

impl SearchText {
    /// The text of a line with subscription reference `sub_ref` and contact `contact`, of the
    /// order `web_order_id` for `end_customer`.
    pub fn of_line(sub_ref: &str, contact: &str, web_order_id: &str, end_customer: &str) -> Self {
        let fields = [sub_ref, contact, web_order_id, end_customer];
        let mut text = String::with_capacity(fields.iter().map(|f| f.len() + 1).sum());
        for (i, field) in fields.into_iter().enumerate() {
            if i > 0 {
                text.push(SEPARATOR);
            }
            text.push_str(&fold(field));
        }
        SearchText(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Lower case, Unicode, with no [`SEPARATOR`]: the one folding of stored fields and of terms.
fn fold(s: &str) -> String {
    s.to_lowercase().replace(SEPARATOR, " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text() -> SearchText {
        SearchText::of_line(
            "SUB-0001",
            "Kim.Berg@Kund.example",
            "W-ÅSA-7",
            "Åsa Kund AB",
        )
    }

    #[test]
    fn a_term_is_trimmed_and_folded_and_an_empty_one_is_no_filter() {
        assert_eq!(Search::parse("  Åsa ").unwrap().folded(), "åsa");
        assert_eq!(Search::parse(" \t "), None);
        assert_eq!(Search::parse(""), None);
    }

    #[test]
    fn any_part_of_any_field_is_found_whatever_its_case() {
        for q in [
            "sub-0001",
            "SUB-0001",
            "0001",
            "kim.berg@kund.example",
            "@KUND.ex",
            "w-åsa-7",
            "W-ÅSA",
            "åsa kund ab",
            "ÅSA",
            "kund",
        ] {
            assert!(Search::parse(q).unwrap().finds(&text()), "{q}");
        }
    }

    #[test]
    fn a_term_never_spans_two_fields_and_other_text_is_not_found() {
        for q in ["example w-åsa", "0001\nkim", "sub-0002", "åsa kund abc"] {
            assert!(!Search::parse(q).unwrap().finds(&text()), "{q}");
        }
    }

    #[test]
    fn a_terms_trigrams_are_its_distinct_runs_of_three_characters() {
        let trigrams = |q| Search::parse(q).unwrap().trigrams().join(" ");
        assert_eq!(trigrams("Sub1000"), "sub ub1 b10 100 000");
        assert_eq!(trigrams("åäöå"), "åäö äöå");
        assert_eq!(trigrams("abc"), "abc");
        assert_eq!(trigrams("ab"), "");
    }

    #[test]
    fn terms_of_three_characters_or_more_are_indexed() {
        assert!(!Search::parse("ab").unwrap().indexed());
        assert!(!Search::parse("åä").unwrap().indexed());
        assert!(Search::parse("åäö").unwrap().indexed());
    }
}
