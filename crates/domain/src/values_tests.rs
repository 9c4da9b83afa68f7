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

#[test]
fn web_order_ids_of_only_dots_are_refused_dots_among_other_characters_are_fine() {
    for bad in [".", "..", "...", &".".repeat(64)] {
        let e = WebOrderId::parse(bad).unwrap_err();
        assert_eq!(
            (e.code, e.key),
            ("invalid_request", "value-web-order-id"),
            "{bad}"
        );
    }
    for good in ["W1.2", ".W", "W.", "..a", "-", "_"] {
        assert_eq!(WebOrderId::parse(good).unwrap().as_str(), good);
    }
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

#[test]
fn a_domain_mixing_scripts_or_imitating_latin_is_confusable_and_still_accepted() {
    for confusable in [
        "kim@\u{0435}vil.example",          // Cyrillic е among Latin letters
        "kim@evil.ex\u{0430}mple",          // … in another label
        "kim@g\u{03BF}\u{03BF}gle.example", // Greek ο
        "kim@\u{0440}\u{0430}\u{0443}\u{0440}\u{0430}\u{04CF}.example", // all Cyrillic "paypal"
        "kim@\u{0430}\u{043F}\u{03B1}.example", // Cyrillic and Greek in one label
    ] {
        let email = ContactEmail::parse(confusable).unwrap();
        assert!(email.has_confusable_domain(), "{confusable}");
    }
    for plain in [
        "kim@kund.example",
        "kim@bücher.example",
        "kim@\u{043F}\u{0440}\u{0438}\u{043C}\u{0435}\u{0440}.\u{0440}\u{0444}", // пример.рф
        "kim@\u{043F}\u{0440}\u{0438}\u{043C}\u{0435}\u{0440}.example", // not all look-alikes
        "kim@東京.example",
        "kim@xn--vil-qdd.example", // typed as A-labels: shown as typed
        "kim@sub-1.kund-2.example",
    ] {
        let email = ContactEmail::parse(plain).unwrap();
        assert!(!email.has_confusable_domain(), "{plain}");
    }
    assert_eq!(
        ContactEmail::parse("Kim@\u{0415}VIL.example")
            .unwrap()
            .domain(),
        "\u{0435}vil.example"
    );
}

#[test]
fn a_stored_address_reads_back_as_it_was_parsed_and_a_foreign_one_is_parsed_again() {
    for raw in [
        "Kim@Kund.TEST",
        "k.i+m@sub.kund.test",
        "anna@bücher.example",
    ] {
        let parsed = ContactEmail::parse(raw).unwrap();
        assert_eq!(ContactEmail::from_stored(parsed.as_str()).unwrap(), parsed);
    }
    // Not in the stored form: the full parse decides (lower-cases, or refuses).
    assert_eq!(
        ContactEmail::from_stored("KIM@kund.test").unwrap().as_str(),
        "kim@kund.test"
    );
    for corrupt in [
        "",
        "kim",
        "kim@kund",
        "@kund.test",
        "k m@kund.test",
        "<kim@kund.test>",
        "a@b@c.test",
    ] {
        assert!(ContactEmail::from_stored(corrupt).is_err(), "{corrupt:?}");
    }
}

proptest! {
    /// Whatever the full parse accepts reads back unchanged.
    #[test]
    fn stored_addresses_read_back_unchanged(local in "[a-zA-Z0-9._%+-]{1,20}", domain in "[a-zA-Z0-9-]{1,12}\\.[a-z]{2,6}") {
        if let Ok(parsed) = ContactEmail::parse(&format!("{local}@{domain}")) {
            prop_assert_eq!(ContactEmail::from_stored(parsed.as_str()).unwrap(), parsed);
        }
    }
}
