//! Where a line of the HTML part may break on a narrow screen (375 px). A browser breaks
//! text at spaces and after hyphens, so `2025-03-21` may end up as `2025-` / `03-21`; and it
//! breaks a long address wherever `overflow-wrap` lets it, mid-word. Each composer names the
//! dates and addresses its texts contain ([`Marks`]); the HTML part then keeps a date on one
//! line (`white-space:nowrap`) and offers an address break points after `@` and before each
//! dot (`<wbr>`), where a reader expects the break. The text part is not touched.

use std::fmt;

use askama::filters::{Html, escape};

/// The dates and addresses a mail's texts contain.
#[derive(Debug, Default)]
pub(crate) struct Marks {
    /// Kept on one line each, e.g. `2025-03-21 09:00`, `Europe/Stockholm`.
    dates: Vec<String>,
    /// Broken only after `@` or before a dot.
    addresses: Vec<String>,
}

impl Marks {
    pub(crate) fn date(mut self, text: impl Into<String>) -> Self {
        let text = text.into();
        if !text.is_empty() {
            self.dates.push(text);
        }
        self
    }

    pub(crate) fn address(mut self, text: impl Into<String>) -> Self {
        let text = text.into();
        if !text.is_empty() {
            self.addresses.push(text);
        }
        self
    }

    /// `text` as escaped HTML with its marks applied; for `{{ …|safe }}` in a template.
    pub(crate) fn html<'a>(&'a self, text: &'a str) -> Rich<'a> {
        Rich { text, marks: self }
    }

    /// The first mark in `text` at or after its start: (offset, the mark, is it a date).
    fn next_in<'a>(&'a self, text: &str) -> Option<(usize, &'a str, bool)> {
        let dates = self.dates.iter().map(|d| (d.as_str(), true));
        let addresses = self.addresses.iter().map(|a| (a.as_str(), false));
        dates
            .chain(addresses)
            .filter_map(|(mark, date)| text.find(mark).map(|at| (at, mark, date)))
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
        while let Some((at, mark, date)) = self.marks.next_in(rest) {
            write!(f, "{}", escaped(&rest[..at]))?;
            if date {
                write!(
                    f,
                    "<span style=\"white-space:nowrap\">{}</span>",
                    escaped(mark)
                )?;
            } else {
                address(f, mark)?;
            }
            rest = &rest[at + mark.len()..];
        }
        write!(f, "{}", escaped(rest))
    }
}

/// `kim.kundsson@kund.example` → `kim<wbr>.kundsson@<wbr>kund<wbr>.example`.
fn address(f: &mut fmt::Formatter<'_>, address: &str) -> fmt::Result {
    for c in address.chars() {
        if c == '.' {
            f.write_str("<wbr>")?;
        }
        write!(f, "{}", escaped(c))?;
        if c == '@' {
            f.write_str("<wbr>")?;
        }
    }
    Ok(())
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
            .date("Europe/Stockholm")
            .address("kim.k@kund.example");
        let html = marks
            .html("By 2025-03-21 09:00 Europe/Stockholm, <ask> kim.k@kund.example & 2025-03-21.")
            .to_string();
        assert_eq!(
            html,
            "By <span style=\"white-space:nowrap\">2025-03-21 09:00</span> \
             <span style=\"white-space:nowrap\">Europe/Stockholm</span>, &#60;ask&#62; \
             kim<wbr>.k@<wbr>kund<wbr>.example &#38; \
             <span style=\"white-space:nowrap\">2025-03-21</span>."
        );
        assert_eq!(Marks::default().html("a < b").to_string(), "a &#60; b");
    }
}
