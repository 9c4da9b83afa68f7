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

    /// The address with most of the local part hidden, for logs: `k***@kund.test`.
    pub fn masked(&self) -> String {
        mask_email(&self.0)
    }
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

/// A web order id: 1–64 characters of letters, digits, `-`, `_` and `.`, e.g. `W123`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WebOrderId(String);
string_value!(WebOrderId);

impl WebOrderId {
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let ok = !raw.is_empty()
            && raw.len() <= 64
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
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
    use unicode_properties::{GeneralCategory as G, UnicodeGeneralCategory};
    text.chars().find(|&c| {
        !matches!(c, '\u{200C}' | '\u{200D}')
            && matches!(
                c.general_category(),
                G::Control | G::Format | G::LineSeparator | G::ParagraphSeparator
            )
    })
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
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn emails_are_bare_lowercased_addresses() {
        assert_eq!(
            ContactEmail::parse(" Kim@Kund.Test ").unwrap().as_str(),
            "kim@kund.test"
        );
        for bad in [
            "",
            "kim",
            "kim@",
            "@kund.test",
            "Kim <kim@kund.test>",
            "kim@kund",
            "a b@c.d",
            "kim@[127.0.0.1]",
            "kim@@kund.test",
        ] {
            let err = ContactEmail::parse(bad).unwrap_err();
            assert_eq!(err.code, "invalid_email", "{bad:?}");
        }
        let long = format!("{}@kund.test", "a".repeat(250));
        assert!(ContactEmail::parse(&long).is_err());
    }

    #[test]
    fn an_internationalized_domain_is_accepted_a_non_ascii_local_part_not() {
        assert_eq!(
            ContactEmail::parse("kim@bücher.example").unwrap().as_str(),
            "kim@bücher.example"
        );
        let err = ContactEmail::parse("kär@kund.example").unwrap_err();
        assert_eq!(
            (err.code, err.key),
            ("invalid_email", "value-email-non-ascii-local")
        );
    }

    #[test]
    fn masking_hides_the_local_part() {
        assert_eq!(
            ContactEmail::parse("kim.berg@kund.test").unwrap().masked(),
            "k***@kund.test"
        );
        assert_eq!(mask_email("nonsense"), "***");
        assert_eq!(mask_email("å@kund.example"), "å***@kund.example");
        assert_eq!(mask_email("@kund.example"), "***@kund.example");
        assert_eq!(mask_email("\"a@b\"@kund.example"), "\"***@kund.example");
    }

    #[test]
    fn sub_refs_are_sub_and_digits() {
        assert!(SubRef::parse("Sub1000042").is_ok());
        for bad in [
            "",
            "Sub",
            "sub1",
            "SUB1",
            "Sub12a",
            "Sub-1",
            "1000",
            "Sub1234567890123456789",
        ] {
            assert!(SubRef::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(SubRef::from_number(1000042).as_str(), "Sub1000042");
    }

    #[test]
    fn offers_are_uppercased_and_names_trimmed() {
        assert_eq!(OfferSku::parse("a-flex-3").unwrap().as_str(), "A-FLEX-3");
        assert!(OfferSku::parse("A FLEX").is_err());
        assert!(OfferSku::parse("---").is_err());
        assert_eq!(PersonName::parse("  Kund AB ").unwrap().as_str(), "Kund AB");
        assert!(PersonName::parse("   ").is_err());
        assert!(PersonName::parse("a\u{0}b").is_err());
        for bad in [
            "Kund\u{202E}BA",
            "a\u{200B}b",
            "\u{FEFF}Kund",
            "a\u{2028}b",
            "a\u{85}b",
            "a\u{2066}b",
        ] {
            let e = PersonName::parse(bad).unwrap_err();
            assert_eq!(e.key, "value-name-control", "{bad:?}");
        }
        let e = PersonName::parse("Kund\u{202E}BA").unwrap_err();
        assert_eq!(e.args, vec![("char", "U+202E".to_owned())]);
        for good in [
            "Kund AB",
            "Åsa Öberg",
            "می\u{200C}خواهم",
            "👩\u{200D}💻 Dev",
            "東京株式会社",
        ] {
            assert!(PersonName::parse(good).is_ok(), "{good:?}");
        }
        let e = PersonName::parse(&"x".repeat(201)).unwrap_err();
        assert_eq!(e.key, "value-name-too-long");
        assert!(WebOrderId::parse("W 1").is_err());
        assert!(Locale::parse("de").is_err());
        assert_eq!(Locale::parse("sv").unwrap(), Locale::Sv);
    }

    proptest! {
        #[test]
        fn any_sub_ref_round_trips(n in 0u64..1_000_000_000_000_000_000) {
            let r = SubRef::from_number(n);
            prop_assert_eq!(SubRef::parse(r.as_str()).unwrap(), r);
        }

        #[test]
        fn parsed_emails_never_keep_uppercase_or_spaces(s in "[A-Za-z0-9._%+-]{1,20}@[A-Za-z0-9-]{1,10}\\.[A-Za-z]{2,6}") {
            if let Ok(e) = ContactEmail::parse(&s) {
                prop_assert_eq!(e.as_str(), s.to_lowercase());
            }
        }

        #[test]
        fn email_parsing_never_panics(s in "\\PC{0,300}") {
            let _ = ContactEmail::parse(&s);
        }
    }
}
