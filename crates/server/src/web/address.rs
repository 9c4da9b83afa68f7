//! An email address as a person reads it on a page (SPEC §11): as stored, unless its domain
//! could pass for another one ([`ContactEmail::has_confusable_domain`], the domain's rule);
//! then in its A-label (punycode) form, which cannot imitate anything, with a warning beside
//! it. The address itself is unchanged and still used; only what is shown differs.

use provisio_domain::{ContactEmail, Locale};

use crate::i18n::text;

/// An address to show, and the warning to show with it, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub text: String,
    pub warning: Option<String>,
}

/// How `email` is shown to a person reading `locale`.
pub fn shown(locale: Locale, email: &ContactEmail) -> Shown {
    if !email.has_confusable_domain() {
        return Shown {
            text: email.to_string(),
            warning: None,
        };
    }
    let local = email
        .as_str()
        .strip_suffix(email.domain())
        .unwrap_or_default();
    // A stored address always has a valid domain; should it not convert, the escaped
    // characters still show what is there.
    let domain = idna::domain_to_ascii(email.domain())
        .unwrap_or_else(|_| email.domain().escape_unicode().to_string());
    Shown {
        text: format!("{local}{domain}"),
        warning: Some(text(locale, "web-address-mixed-scripts")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mixed_script_domain_is_shown_as_a_labels_with_a_warning() {
        let evil = ContactEmail::parse("kim@\u{0435}vil.example").unwrap();
        let s = shown(Locale::En, &evil);
        assert_eq!(s.text, "kim@xn--vil-qdd.example");
        assert!(s.warning.is_some());
        let fine = ContactEmail::parse("kim@bücher.example").unwrap();
        assert_eq!(
            shown(Locale::Sv, &fine),
            Shown {
                text: "kim@bücher.example".into(),
                warning: None
            }
        );
    }
}
