use provisio_domain::{EmailKind, Locale};
use provisio_mail::{Mailbox, RenderError};

use crate::{SETUP_URL, email, parse, render};

fn rendered(email: &provisio_mail::ProvisioningEmail) -> mail_parser::Message<'static> {
    parse(&render(email).unwrap().formatted())
}

#[test]
fn headers_are_correct_in_both_locales() {
    for locale in Locale::ALL {
        let message = rendered(&email(locale, EmailKind::Initial));
        assert_eq!(
            message.message_id(),
            Some("0190f3a1-7c2e-7000-8000-000000000001@provisio")
        );
        let raw_id = message.header_raw("Message-ID").unwrap().trim();
        assert_eq!(raw_id, "<0190f3a1-7c2e-7000-8000-000000000001@provisio>");
        let date: jiff::Timestamp = "2025-03-14T08:00:05Z".parse().unwrap();
        assert_eq!(message.date().unwrap().to_timestamp(), date.as_second());
        let from = message.from().unwrap().first().unwrap();
        assert_eq!(
            (from.name(), from.address()),
            (Some("Provisio"), Some("provisio@provisio.example"))
        );
        let reply_to = message.reply_to().unwrap().first().unwrap();
        assert_eq!(
            (reply_to.name(), reply_to.address()),
            (Some("Olle Ordersson"), Some("olle@partner.example"))
        );
        let to = message.to().unwrap().first().unwrap();
        assert_eq!(to.address(), Some("kim@kund.example"));
        assert_eq!(
            message.header_raw("Content-Language").map(str::trim),
            Some(locale.as_str())
        );
        assert!(
            message
                .header_raw("Content-Type")
                .unwrap()
                .contains("multipart/alternative")
        );
        assert_eq!(message.text_body_count(), 1);
        assert_eq!(message.html_body_count(), 1);
    }
}

#[test]
fn subjects_name_the_reference_the_order_and_the_customer_for_every_kind() {
    for locale in Locale::ALL {
        for kind in EmailKind::ALL.iter().filter(|k| k.traits().provisioning) {
            let subject = rendered(&email(locale, *kind))
                .subject()
                .unwrap()
                .to_owned();
            for part in ["Sub1000042", "W123", "Kund AB"] {
                assert!(subject.contains(part), "{locale} {kind}: {subject}");
            }
        }
    }
    let en = rendered(&email(Locale::En, EmailKind::Initial));
    assert_eq!(
        en.subject(),
        Some("Provisioning information required for order W123 (Sub1000042, Kund AB)")
    );
    let sv = rendered(&email(Locale::Sv, EmailKind::Initial));
    assert_eq!(
        sv.subject(),
        Some("Information om etablering krävs för beställning W123 (Sub1000042, Kund AB)")
    );
}

#[test]
fn the_text_part_has_every_fact_and_the_link_alone_on_its_line() {
    for locale in Locale::ALL {
        for kind in EmailKind::ALL.iter().filter(|k| k.traits().provisioning) {
            let message = rendered(&email(locale, *kind));
            let text = message.body_text(0).unwrap().replace("\r\n", "\n");
            assert!(
                text.lines().any(|line| line == SETUP_URL),
                "{locale} {kind}:\n{text}"
            );
            for fact in [
                "Partner AB",
                "Kund AB",
                "A-FLEX",
                " 25\n",
                "2025-03-14",
                "2025-03-21 09:00 Europe/Stockholm",
                "https://admin.example.com",
                "Olle Ordersson (olle@partner.example)",
                "Hej Kim Kundsson,|Hello Kim Kundsson,",
            ] {
                assert!(
                    fact.split('|').any(|f| text.contains(f)),
                    "{locale} {kind}: no {fact:?} in\n{text}"
                );
            }
            assert!(!text.contains('\u{2068}'), "no Unicode isolation marks");
        }
    }
}

#[test]
fn the_swedish_text_uses_the_articles_words() {
    let message = rendered(&email(Locale::Sv, EmailKind::Initial));
    let text = message.body_text(0).unwrap().replace("\r\n", "\n");
    for word in [
        "etableringskontakt",
        "Begärt startdatum: 2025-03-14",
        "Slutför etableringen",
        "När organisationen har registrerats slutar den här länken att fungera",
        "genom att logga in på administrationsportalen:\nhttps://admin.example.com\n",
        "Beställning:",
        "Slutkund:",
    ] {
        assert!(text.contains(word), "no {word:?} in\n{text}");
    }
    assert!(
        !text.contains("Provisioning"),
        "English leaked into:\n{text}"
    );
}

#[test]
fn the_html_part_has_the_button_and_escapes_every_value() {
    let mut hostile = email(Locale::En, EmailKind::Resend);
    hostile.end_customer = "Kund <AB> & Co".to_owned();
    hostile.partner = "Partner \"P\" AB".to_owned();
    hostile.envelope.to.name = Some("<script>alert(1)</script>".to_owned());
    let message = rendered(&hostile);
    let html = message.body_html(0).unwrap();
    assert!(
        html.contains(&format!("<a href=\"{SETUP_URL}\">")),
        "{html}"
    );
    assert!(
        html.contains("Kund &#60;AB&#62; &#38; Co") || html.contains("Kund &lt;AB&gt; &amp; Co"),
        "{html}"
    );
    assert!(
        !html.contains("<AB>") && !html.contains("<script>"),
        "{html}"
    );
    assert!(!html.contains("\"P\""), "{html}");
    assert!(html.contains("https://admin.example.com"));
    // The subject keeps the raw name; it is a header, not HTML.
    assert!(message.subject().unwrap().contains("Kund <AB> & Co"));
}

#[test]
fn optional_parts_may_be_missing() {
    let mut bare = email(Locale::En, EmailKind::ContactChanged);
    bare.envelope.reply_to = None;
    bare.admin_portal_url = None;
    bare.envelope.to = Mailbox::new(None, "kim@kund.example");
    let message = rendered(&bare);
    assert!(message.reply_to().is_none());
    let text = message.body_text(0).unwrap().replace("\r\n", "\n");
    assert!(text.starts_with("Hello,\n"), "{text}");
    assert!(!text.contains("admin.example.com"));
    assert!(!message.body_html(0).unwrap().contains("point of no return"));
}

#[test]
fn bad_addresses_and_message_ids_are_refused_without_showing_the_address() {
    let mut bad = email(Locale::En, EmailKind::Initial);
    bad.envelope.to.address = "kim-at-kund.example".to_owned();
    let error = render(&bad).unwrap_err();
    assert!(matches!(error, RenderError::Address { header: "To" }));
    assert!(!error.to_string().contains("kim"));

    let mut bad = email(Locale::En, EmailKind::Initial);
    bad.envelope.message_id = "<x@provisio>".to_owned();
    assert!(matches!(render(&bad), Err(RenderError::MessageId)));
}

#[test]
fn after_the_deadline_the_email_says_the_line_closed_yet_setup_still_works() {
    for locale in Locale::ALL {
        let mut late = email(locale, EmailKind::Resend);
        late.envelope.date = "2025-03-22T10:00:00Z".parse().unwrap();
        let text = rendered(&late).body_text(0).unwrap().replace("\r\n", "\n");
        let (closed, ahead) = match locale {
            Locale::Sv => (
                "Orderraden stängdes 2025-03-21 09:00",
                "Om etableringen inte är slutförd",
            ),
            Locale::En => (
                "The order line was closed on 2025-03-21 09:00",
                "If setup is not done by",
            ),
        };
        assert!(text.contains(closed), "{locale}:\n{text}");
        assert!(
            !text.contains(ahead),
            "{locale} still speaks of a deadline ahead:\n{text}"
        );
        assert!(
            text.lines().any(|line| line == SETUP_URL),
            "{locale}: the link is still there"
        );
        // Before the deadline, the usual note.
        let on_time = rendered(&email(locale, EmailKind::Resend))
            .body_text(0)
            .unwrap()
            .replace("\r\n", "\n");
        assert!(
            on_time.contains(ahead) && !on_time.contains(closed),
            "{locale}:\n{on_time}"
        );
    }
}

/// The style attribute of the first element in `html` that contains `inner`.
fn style_around(html: &str, inner: &str) -> String {
    let at = html
        .find(inner)
        .unwrap_or_else(|| panic!("no {inner:?} in {html}"));
    let open = html[..at].rfind('<').unwrap();
    let tag = &html[open..at];
    let style = tag
        .split("style=\"")
        .nth(1)
        .unwrap_or_else(|| panic!("no style in {tag}"));
    style[..style.find('"').unwrap()].to_owned()
}

#[test]
fn on_a_narrow_screen_the_links_wrap_instead_of_scrolling_sideways() {
    for locale in Locale::ALL {
        let message = rendered(&email(locale, EmailKind::Initial));
        let html = message.body_html(0).unwrap();
        // The setup link under the button and the admin-portal address: long unbroken
        // words, which only wrap when told to (inline: some clients drop <style>).
        for url in [SETUP_URL, "https://admin.example.com"] {
            let shown = format!(">{url}</a>");
            let style = style_around(&html, &shown);
            for rule in ["overflow-wrap:anywhere", "word-break:break-all"] {
                assert!(style.contains(rule), "{locale} {url}: {rule} in {style:?}");
            }
            assert!(
                html.contains(&format!("<a href=\"{url}\"")),
                "{locale}: {url} is a link"
            );
        }
        let card = style_around(&html, "<p>");
        assert!(
            card.contains("max-width:600px") && card.contains("width:100%"),
            "{card}"
        );
        for table in html.split("<table").skip(1) {
            let tag = &table[..table.find('>').unwrap()];
            assert!(
                tag.contains("width:100%"),
                "{locale}: a table without width 100%: {tag}"
            );
        }
    }
}

#[test]
fn the_admin_portal_address_stands_alone_without_a_full_stop() {
    for locale in Locale::ALL {
        let message = rendered(&email(locale, EmailKind::Initial));
        let text = message.body_text(0).unwrap().replace("\r\n", "\n");
        assert!(
            text.lines().any(|line| line == "https://admin.example.com"),
            "{locale}: the address alone on its line:\n{text}"
        );
        let html = message.body_html(0).unwrap().into_owned();
        for part in [&text, &html] {
            assert!(
                !part.contains("https://admin.example.com.")
                    && !part.contains("admin.example.com</a>."),
                "{locale}: no full stop after the address:\n{part}"
            );
        }
    }
}

#[test]
fn the_hand_off_notice_names_who_handed_off_to_whom_without_a_setup_link() {
    for (locale, says) in [
        (Locale::En, "has handed the setup off to a colleague"),
        (Locale::Sv, "har lämnat över etableringen till en kollega"),
    ] {
        let notice = crate::notice(locale);
        let raw = provisio_mail::render(&provisio_mail::Outbound::from(notice))
            .unwrap()
            .formatted();
        let message = parse(&raw);
        let subject = message.subject().unwrap();
        for part in ["Sub1000042", "W123", "Kund AB"] {
            assert!(subject.contains(part), "{locale}: {subject}");
        }
        let text = message.body_text(0).unwrap().into_owned();
        assert!(text.contains(says), "{locale}: {text}");
        assert!(
            text.contains("kim@kund.example") && text.contains("lo@kund.example"),
            "{text}"
        );
        assert!(!text.contains("/setup/"), "no setup link: {text}");
        let html = message.body_html(0).unwrap().into_owned();
        assert!(
            crate::marked(&html).contains("[lo@]<wbr>[kund]<wbr>[.example]"),
            "{html}"
        );
        let to = message.to().unwrap().first().unwrap();
        assert_eq!(to.address(), Some("olle@partner.example"));
    }
}
