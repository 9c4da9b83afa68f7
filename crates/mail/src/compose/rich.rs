//! Where a line of the HTML part may break on a narrow screen (375 px). A browser breaks
//! text at spaces and after hyphens, so `2025-03-21` may end up as `2025-` / `03-21`; and it
//! breaks a long address wherever `overflow-wrap` lets it, mid-word. Each composer names the
//! dates, time zones and addresses its texts contain ([`Marks`]); the HTML part then keeps a
//! date on one line (`white-space:nowrap`), and lets a zone break only after a `/` and an
//! address only after its `@` and before each dot (`<wbr>` between pieces kept whole), where
//! a reader expects the break. The text part is not touched.

use std::fmt;

use askama::filters::{Html, escape};

/// How a mark may break across lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Never: `2025-03-21 09:00`.
    Date,
    /// After each `/`: `America/` `Argentina/` `Buenos_Aires`.
    Zone,
    /// After its `@` and before each dot: `kim` `.kundsson@` `kund-ab` `.example`.
    Address,
}

impl Kind {
    /// Where a piece ends, given a character and its offset.
    fn cut(self, i: usize, c: char) -> Option<usize> {
        match (self, c) {
            (Kind::Zone, '/') | (Kind::Address, '@') => Some(i + c.len_utf8()),
            (Kind::Address, '.') => Some(i),
            _ => None,
        }
    }
}

/// The dates, time zones and addresses a mail's texts contain.
#[derive(Debug, Default)]
pub(crate) struct Marks(Vec<(String, Kind)>);

impl Marks {
    fn with(mut self, text: impl Into<String>, kind: Kind) -> Self {
        let text = text.into();
        if !text.is_empty() {
            self.0.push((text, kind));
        }
        self
    }

    /// A date, or a date and time: kept on one line.
    pub(crate) fn date(self, text: impl Into<String>) -> Self {
        self.with(text, Kind::Date)
    }

    /// A time zone's name: broken only after a `/`.
    pub(crate) fn zone(self, text: impl Into<String>) -> Self {
        self.with(text, Kind::Zone)
    }

    /// An email address: broken only after its `@` or before a dot.
    pub(crate) fn address(self, text: impl Into<String>) -> Self {
        self.with(text, Kind::Address)
    }

    /// `text` as escaped HTML with its marks applied; for `{{ …|safe }}` in a template.
    pub(crate) fn html<'a>(&'a self, text: &'a str) -> Rich<'a> {
        Rich { text, marks: self }
    }

    /// The first mark in `text`: (offset, the mark, its kind).
    fn next_in<'a>(&'a self, text: &str) -> Option<(usize, &'a str, Kind)> {
        self.0
            .iter()
            // Most texts (a fact's value) are shorter than most marks: no search for those.
            .filter(|(mark, _)| mark.len() <= text.len())
            .filter_map(|(mark, kind)| {
                text.find(mark.as_str())
                    .map(|at| (at, mark.as_str(), *kind))
            })
            // The earliest; at one place, the longest (a date and time before its date).
            .min_by_key(|(at, mark, _)| (*at, usize::MAX - mark.len()))
    }
}

/// A text rendered as HTML with its [`Marks`].
pub(crate) struct Rich<'a> {
    text: &'a str,
    marks: &'a Marks,
}

impl fmt::Display for Rich<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.text;
        while let Some((at, mark, kind)) = self.marks.next_in(rest) {
            write!(f, "{}", escaped(&rest[..at]))?;
            pieces(f, mark, kind)?;
            rest = &rest[at + mark.len()..];
        }
        write!(f, "{}", escaped(rest))
    }
}

/// `mark` in pieces its kind cuts it into, each kept on one line (a browser would break
/// `kund-` / `ab` at the hyphen), with a `<wbr>` between: the only places it may break.
fn pieces(f: &mut fmt::Formatter<'_>, mark: &str, kind: Kind) -> fmt::Result {
    let mut cuts: Vec<usize> = mark
        .char_indices()
        .filter_map(|(i, c)| kind.cut(i, c))
        .filter(|&cut| cut > 0 && cut < mark.len())
        .collect();
    cuts.push(mark.len());
    let mut start = 0;
    for cut in cuts {
        if cut > start {
            if start > 0 {
                f.write_str("<wbr>")?;
            }
            nowrap(f, &mark[start..cut])?;
            start = cut;
        }
    }
    Ok(())
}

fn nowrap(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    write!(
        f,
        "<span style=\"white-space:nowrap\">{}</span>",
        escaped(text)
    )
}

fn escaped<T: fmt::Display>(text: T) -> impl fmt::Display {
    let Ok(safe) = escape(text, Html);
    safe
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_stay_whole_addresses_break_at_dots_and_after_the_at_sign_and_all_is_escaped() {
        let marks = Marks::default()
            .date("2025-03-21 09:00")
            .date("2025-03-21")
            .zone("America/Argentina/Buenos_Aires")
            .address("kim.k@kund-ab.example");
        let html = marks
            .html(
                "By 2025-03-21 09:00 America/Argentina/Buenos_Aires, <ask> kim.k@kund-ab.example \
                 & 2025-03-21.",
            )
            .to_string()
            .replace("<span style=\"white-space:nowrap\">", "[")
            .replace("</span>", "]");
        assert_eq!(
            html,
            "By [2025-03-21 09:00] [America/]<wbr>[Argentina/]<wbr>[Buenos_Aires], &#60;ask&#62; \
             [kim]<wbr>[.k@]<wbr>[kund-ab]<wbr>[.example] &#38; [2025-03-21]."
        );
        let odd = Marks::default()
            .address(".a..b@")
            .html(".a..b@")
            .to_string();
        assert_eq!(
            odd.replace("<span style=\"white-space:nowrap\">", "[")
                .replace("</span>", "]"),
            "[.a]<wbr>[.]<wbr>[.b@]"
        );
        assert_eq!(Marks::default().html("a < b").to_string(), "a &#60; b");
    }
}
