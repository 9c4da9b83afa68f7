//! The language of a reply when the user has not chosen one: the first of the client's
//! `Accept-Language` preferences (by weight) that we speak, else English. The pages use it,
//! and so does the API where it answers in words (a line's timeline).

use axum::http::{HeaderMap, header};
use provisio_domain::Locale;

pub fn preferred_locale(headers: &HeaderMap) -> Locale {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    from_accept_language(accept)
}

/// `sv-SE,sv;q=0.9,en;q=0.8` → Swedish; `de,sv;q=0.5` → Swedish; `da` → English.
fn from_accept_language(accept: &str) -> Locale {
    let mut best: Option<(f32, usize, Locale)> = None;
    for (position, item) in accept.split(',').enumerate() {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let weight = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let primary = tag.split('-').next().unwrap_or("");
        let Ok(locale) = Locale::parse(primary) else {
            continue;
        };
        if weight <= 0.0 {
            continue;
        }
        // Higher weight wins; among equal weights, the one listed first.
        let better = match best {
            None => true,
            Some((w, p, _)) => weight > w || (weight == w && position < p),
        };
        if better {
            best = Some((weight, position, locale));
        }
    }
    best.map_or(Locale::En, |(_, _, l)| l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browsers_first_language_we_speak_wins() {
        assert_eq!(from_accept_language("sv-SE"), Locale::Sv);
        assert_eq!(from_accept_language("sv"), Locale::Sv);
        assert_eq!(from_accept_language("SV-se,sv;q=0.9,en;q=0.8"), Locale::Sv);
        assert_eq!(from_accept_language("de-DE,sv;q=0.5,en;q=0.4"), Locale::Sv);
        assert_eq!(from_accept_language("en-GB,sv;q=0.9"), Locale::En);
        assert_eq!(from_accept_language("en;q=0.5, sv;q=0.8"), Locale::Sv);
        assert_eq!(from_accept_language("sv;q=0, en"), Locale::En);
        assert_eq!(from_accept_language("da, nb"), Locale::En);
        assert_eq!(from_accept_language(""), Locale::En);
        assert_eq!(from_accept_language("*"), Locale::En);
    }
}
