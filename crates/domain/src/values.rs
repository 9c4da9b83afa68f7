//! Values parsed at the edge. Each newtype has a private field and one constructor that
//! validates, so an invalid subscription reference or address cannot exist past the edge.

use std::fmt;

use serde::{Serialize, Serializer};

/// Why a raw value was rejected: a translation key (`locales/*/errors.ftl`) with its
/// arguments, which each edge renders in its own words and language.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key} {args:?}")]
pub struct ValueError {
    /// `invalid_email` for addresses, `invalid_request` for everything else.
    pub code: &'static str,
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl ValueError {
    /// An `invalid_request` value error.
    pub fn invalid(key: &'static str, args: Vec<(&'static str, String)>) -> Self {
        Self {
            code: "invalid_request",
            key,
            args,
        }
    }
    fn email(key: &'static str, args: Vec<(&'static str, String)>) -> Self {
        Self {
            code: "invalid_email",
            key,
            args,
        }
    }
}

fn value(raw: &str) -> Vec<(&'static str, String)> {
    vec![("value", raw.to_owned())]
}

macro_rules! string_value {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

/// An email address of a person (provisioning contact or user): a bare address, no display
/// name, at most 254 characters, a domain with at least one dot. Stored lower-cased, since
/// people type their address in any case and we compare addresses to find "the same person".
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContactEmail(String);
string_value!(ContactEmail);

impl ContactEmail {
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(ValueError::email("value-email-empty", vec![]));
        }
        if trimmed.chars().count() > 254 {
            return Err(ValueError::email("value-email-too-long", vec![]));
        }
        if trimmed.contains(['<', '>']) || trimmed.chars().any(char::is_whitespace) {
            return Err(ValueError::email("value-email-not-bare", value(trimmed)));
        }
        // provisio sends without SMTPUTF8 (a relay without it refuses such mail), and a local
        // part has no ASCII form. An internationalized domain is fine: it is sent as A-labels.
        if trimmed
            .rsplit_once('@')
            .is_some_and(|(local, _)| !local.is_ascii())
        {
            return Err(ValueError::email(
                "value-email-non-ascii-local",
                value(trimmed),
            ));
        }
        let options = email_address::Options::default()
            .with_required_tld()
            .without_domain_literal()
            .without_display_text();
        email_address::EmailAddress::parse_with_options(trimmed, options).map_err(|e| {
            ValueError::email(
                "value-email-invalid",
                vec![("value", trimmed.to_owned()), ("reason", e.to_string())],
            )
        })?;
        Ok(Self(trimmed.to_lowercase()))
    }

    /// An address as stored: [`ContactEmail::parse`] made it when it was written, so reading it
    /// back checks only that it still has that form (ASCII, lower-case, bare, `local@domain.tld`)
    /// and otherwise parses it again in full. The full parse cost ~1 µs an address: an order of
    /// 1,000 lines reads 2,000.
    pub fn from_stored(raw: &str) -> Result<Self, ValueError> {
        let bare = raw.len() <= 254
            && raw
                .bytes()
                .all(|b| b.is_ascii_graphic() && !b.is_ascii_uppercase() && b != b'<' && b != b'>');
        let shaped = raw.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.contains('@')
        });
        if bare && shaped {
            Ok(Self(raw.to_owned()))
        } else {
            Self::parse(raw)
        }
    }

    /// The address with most of the local part hidden, for logs: `k***@kund.test`.
    pub fn masked(&self) -> String {
        mask_email(&self.0)
    }

    /// The part after the last `@`, as stored (lower-cased; Unicode or A-labels as given).
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, domain)| domain)
    }

    /// Whether the domain could pass for another one ([`domain_is_confusable`]): such an
    /// address is still accepted, but people are shown its A-label form with a warning.
    pub fn has_confusable_domain(&self) -> bool {
        domain_is_confusable(self.domain())
    }
}

/// The scripts whose letters pass for each other in a domain name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    Latin,
    Cyrillic,
    Greek,
}

fn script(c: char) -> Option<Script> {
    match c {
        'a'..='z' | 'A'..='Z' | '\u{00C0}'..='\u{024F}' | '\u{1E00}'..='\u{1EFF}' => {
            Some(Script::Latin)
        }
        '\u{0400}'..='\u{052F}' | '\u{1C80}'..='\u{1C8F}' | '\u{A640}'..='\u{A69F}' => {
            Some(Script::Cyrillic)
        }
        '\u{0370}'..='\u{03FF}' | '\u{1F00}'..='\u{1FFF}' => Some(Script::Greek),
        _ => None,
    }
}

/// Cyrillic and Greek small letters drawn like Latin ones (`а` U+0430 like `a`, `ο` U+03BF
/// like `o`, …).
const LATIN_LOOKALIKES: &str = "асԁеһіјӏорԛѕԝхуүνοιρυχαϲ";

/// Whether a domain could pass for another one in the eyes of a person, the rule behind the
/// warning on addresses (SPEC §11). A domain is confusable when one of its labels
///
/// - mixes letters of two of the scripts Latin, Cyrillic and Greek (`еvil.example` with a
///   Cyrillic `е`: no real name needs that, and it is how look-alike domains are made), or
/// - is made only of Cyrillic or Greek letters that look like Latin ones while another label
///   of the domain is Latin (`раураl.example`, all Cyrillic).
///
/// Digits and `-` belong to every script; other scripts (Arabic, CJK, …) do not imitate
/// Latin letters and are left alone, as are whole domains in one script (`пример.рф`,
/// `bücher.example`). A domain typed as A-labels (`xn--…`) is shown as typed and is not
/// judged. Browsers judge host names in the same spirit (Chromium's IDN display policy);
/// this is its simplest part, for the scripts seen in look-alike mail.
pub fn domain_is_confusable(domain: &str) -> bool {
    let labels: Vec<Vec<Script>> = domain
        .split('.')
        .map(|label| label.chars().filter_map(script).collect())
        .collect();
    let mixed = labels
        .iter()
        .any(|scripts| scripts.windows(2).any(|w| w[0] != w[1]));
    let any_latin = labels.iter().flatten().any(|s| *s == Script::Latin);
    let lookalike = |label: &str| {
        let mut letters = label.chars().filter(|c| script(*c).is_some()).peekable();
        letters.peek().is_some() && letters.all(|c| LATIN_LOOKALIKES.contains(c))
    };
    mixed || (any_latin && domain.split('.').any(lookalike))
}

/// Masks an address for logs (personal data): keeps the first character and the domain
/// (useful when one provider rejects mail).
pub fn mask_email(address: &str) -> String {
    match address.rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

/// A subscription reference: `Sub` followed by 1–18 digits, e.g. `Sub1000042`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubRef(String);
string_value!(SubRef);

impl SubRef {
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        match raw.strip_prefix("Sub") {
            Some(digits)
                if !digits.is_empty()
                    && digits.len() <= 18
                    && digits.bytes().all(|b| b.is_ascii_digit()) =>
            {
                Ok(Self(raw.to_owned()))
            }
            _ => Err(ValueError::invalid("value-sub-ref", value(raw))),
        }
    }

    /// The reference for a number handed out by the store's sequence.
    pub fn from_number(n: u64) -> Self {
        Self(format!("Sub{n}"))
    }
}

/// A web order id: 1–64 characters of letters, digits, `-`, `_` and `.`, e.g. `W123`, not
/// only dots: the id is a path segment (`/orders/{id}`), where `.` and `..` name the
/// directory itself or its parent, and a browser or proxy resolves them before we see them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WebOrderId(String);
string_value!(WebOrderId);

impl WebOrderId {
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let ok = !raw.is_empty()
            && raw.len() <= 64
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && raw.bytes().any(|b| b != b'.');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ValueError::invalid("value-web-order-id", value(raw)))
        }
    }

    /// The id the service assigns when the order does not bring one.
    pub fn from_number(n: u64) -> Self {
        Self(format!("W{n}"))
    }
}

/// An offer SKU such as `A-FLEX`: 1–40 letters, digits and `-`, upper-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OfferSku(String);
string_value!(OfferSku);

impl OfferSku {
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let ok = !raw.is_empty()
            && raw.len() <= 40
            && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && raw.bytes().any(|b| b.is_ascii_alphanumeric());
        if ok {
            Ok(Self(raw.to_ascii_uppercase()))
        } else {
            Err(ValueError::invalid("value-offer", value(raw)))
        }
    }
}

/// The first character a name must not contain, if any: control characters (C0, C1, DEL),
/// invisible format characters (bidirectional overrides and isolates such as U+202E, zero
/// width space, byte-order mark, …) and line or paragraph separators. They could reorder or
/// hide what a page, a Subject or a log shows. Zero-width (non-)joiners stay: some scripts
/// and emoji need them.
pub fn forbidden_in_name(text: &str) -> Option<char> {
    text.chars().find(|&c| is_forbidden_in_name(c))
}

/// Whether a name must not contain `c` (see [`forbidden_in_name`]).
pub fn is_forbidden_in_name(c: char) -> bool {
    use unicode_properties::{GeneralCategory as G, UnicodeGeneralCategory};
    // In ASCII only the controls are (no ASCII character is a format character or a
    // separator of lines or paragraphs): no look-up in the tables for the common case.
    if c.is_ascii() {
        return c.is_ascii_control();
    }
    !matches!(c, '\u{200C}' | '\u{200D}')
        && matches!(
            c.general_category(),
            G::Control | G::Format | G::LineSeparator | G::ParagraphSeparator
        )
}

/// The longest name, in characters.
pub const NAME_MAX_CHARS: usize = 200;

/// A person's or company's display name: trimmed, 1–200 characters, none of the characters
/// [`forbidden_in_name`] names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PersonName(String);
string_value!(PersonName);

impl PersonName {
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(ValueError::invalid("value-name-empty", vec![]));
        }
        let length = name.chars().count();
        if length > NAME_MAX_CHARS {
            return Err(ValueError::invalid(
                "value-name-too-long",
                vec![
                    ("max", NAME_MAX_CHARS.to_string()),
                    ("length", length.to_string()),
                ],
            ));
        }
        if let Some(c) = forbidden_in_name(name) {
            return Err(ValueError::invalid(
                "value-name-control",
                vec![("char", format!("U+{:04X}", u32::from(c)))],
            ));
        }
        Ok(Self(name.to_owned()))
    }
}

/// The languages provisio speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Locale {
    #[default]
    En,
    Sv,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::En, Locale::Sv];

    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        match raw {
            "en" => Ok(Self::En),
            "sv" => Ok(Self::Sv),
            other => Err(ValueError::invalid("value-locale", value(other))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Sv => "sv",
        }
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Locale {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
#[path = "values_tests.rs"]
mod tests;
