//! Emails a reader trusts (issue 19, point 7): the colleague of a hand-off is told who sent
//! it; the hand-off notice has the footer and a link to the line; the point of no return is
//! said in plain words; the setup link survives a copy from the raw message; dates and
//! addresses do not break mid-word on a phone.

use provisio_domain::{EmailKind, Locale};
use provisio_mail::{Mailbox, Outbound};

use crate::{LINE_URL, email, marked, notice, parse, render};

/// A token as the service mints them (32 random bytes, base64url): with a real host name the
/// setup link is longer than a quoted-printable line.
const LONG_SETUP_URL: &str =
    "https://provisio.partner-portal.example.com/setup/Qx3vT0cJ9mK2pL8wZ4nR7sY1bH6dF5gA0eU2iO9uXyz";

fn text_of(message: &mail_parser::Message<'_>) -> String {
    message.body_text(0).unwrap().replace("\r\n", "\n")
}

#[test]
fn the_colleague_of_a_hand_off_is_told_who_sent_it() {
    for (locale, says) in [
        (
            Locale::En,
            "ada@kund.example asked you to set up the service",
        ),
        (
            Locale::Sv,
            "ada@kund.example har bett dig att slutföra etableringen",
        ),
    ] {
        let mut handed = email(locale, EmailKind::ContactChanged);
        handed.envelope.to = Mailbox::new(None, "lo@kund.example");
        handed.handed_off_by = Some(Mailbox::new(None, "ada@kund.example"));
        let message = parse(&render(&handed).unwrap().formatted());
        let text = text_of(&message);
        assert!(text.contains(says), "{locale}:\n{text}");
        let by = match locale {
            Locale::En => "Handed off by:",
            Locale::Sv => "Överlämnad av:",
        };
        assert!(
            text.lines()
                .any(|l| l.starts_with(by) && l.ends_with(" ada@kund.example")),
            "{locale}: a fact row\n{text}"
        );
        let html = message.body_html(0).unwrap();
        assert!(
            marked(&html).contains("[ada@]<wbr>[kund]<wbr>[.example]"),
            "{html}"
        );

        // A contact change by the partner is no hand-off: its usual words.
        let changed = parse(
            &render(&email(locale, EmailKind::ContactChanged))
                .unwrap()
                .formatted(),
        );
        let text = text_of(&changed);
        assert!(
            !text.contains("ada@") && !text.contains(by),
            "{locale}:\n{text}"
        );
    }
}

#[test]
fn the_hand_off_notice_has_the_footer_and_a_link_to_the_line() {
    for (locale, footer) in [
        (Locale::En, "Sent by provisio on behalf of Partner AB."),
        (Locale::Sv, "Skickat av provisio på uppdrag av Partner AB."),
    ] {
        let raw = provisio_mail::render(&Outbound::from(notice(locale)))
            .unwrap()
            .formatted();
        let message = parse(&raw);
        let text = text_of(&message);
        assert!(text.lines().any(|l| l == LINE_URL), "{locale}:\n{text}");
        assert!(
            text.contains(&format!("\n-- \n{footer}")),
            "{locale}:\n{text}"
        );
        let html = message.body_html(0).unwrap();
        assert!(html.contains(&format!("<a href=\"{LINE_URL}\"")), "{html}");
        assert!(html.contains(footer), "{html}");
        // The provisioning email has the same footer, in the same place.
        let provisioning = text_of(&parse(
            &render(&email(locale, EmailKind::Initial))
                .unwrap()
                .formatted(),
        ));
        assert!(
            provisioning.contains(&format!("\n-- \n{footer}")),
            "{locale}:\n{provisioning}"
        );
    }
}

#[test]
fn the_point_of_no_return_is_said_in_plain_words() {
    for (locale, says) in [
        (
            Locale::En,
            "Once your organization is set up, this link stops working.",
        ),
        (
            Locale::Sv,
            "När organisationen har registrerats slutar den här länken att fungera.",
        ),
    ] {
        for kind in EmailKind::ALL.iter().filter(|k| k.traits().provisioning) {
            let message = parse(&render(&email(locale, *kind)).unwrap().formatted());
            let text = text_of(&message);
            let html = message.body_html(0).unwrap().to_lowercase();
            assert!(text.contains(says), "{locale} {kind}:\n{text}");
            for part in [text.to_lowercase(), html] {
                assert!(!part.contains("point of no return"), "{locale} {kind}");
                assert!(!part.contains("onboarded"), "{locale} {kind}: jargon");
            }
        }
    }
}

#[test]
fn the_setup_link_stands_whole_on_one_line_of_the_raw_message() {
    for locale in Locale::ALL {
        let mut long = email(locale, EmailKind::Initial);
        long.setup_url = LONG_SETUP_URL.to_owned();
        long.end_customer = "Kundföretaget Åberg & Öhman i Västerås AB".to_owned();
        let raw = render(&long).unwrap().formatted();
        let raw = String::from_utf8(raw).unwrap();
        assert!(raw.is_ascii(), "7-bit on the wire");
        let lines: Vec<&str> = raw.split("\r\n").collect();
        // The text part: the link alone on its line, exactly as it is.
        assert!(
            lines.contains(&LONG_SETUP_URL),
            "{locale}: no unbroken line with the link in\n{raw}"
        );
        // The HTML part: the link whole too (quoted-printable may write its `=` as `=3D`).
        let in_html = lines
            .iter()
            .filter(|l| l.contains(&format!("\"{LONG_SETUP_URL}\"")))
            .count();
        assert!(in_html >= 1, "{locale}: the href is broken in\n{raw}");
        // No line longer than SMTP allows, and quoted-printable lines stay short except
        // where a single word (a link) is longer.
        for line in &lines {
            assert!(line.len() <= 998, "{line}");
        }
        // A reader still sees every word (nothing lost to the line breaks).
        let message = parse(raw.as_bytes());
        assert!(text_of(&message).contains("Kundföretaget Åberg & Öhman i Västerås AB"));
        assert!(
            message
                .body_html(0)
                .unwrap()
                .contains(&format!("<a href=\"{LONG_SETUP_URL}\">"))
        );
    }
}

#[test]
fn dates_stay_whole_and_zones_and_addresses_break_only_at_their_slashes_dots_and_at_signs() {
    for locale in Locale::ALL {
        let message = parse(
            &render(&email(locale, EmailKind::Initial))
                .unwrap()
                .formatted(),
        );
        let html = message.body_html(0).unwrap();
        // The zone breaks only after its slash, in the facts and in the deadline sentence.
        let zone = "[Europe/]<wbr>[Stockholm]";
        assert_eq!(marked(&html).matches(zone).count(), 2, "{locale}: {html}");
        assert!(!html.contains("Europe/Stockholm"), "{locale}: {html}");
        for date in ["2025-03-14", "2025-03-21 09:00"] {
            let kept = format!("<span style=\"white-space:nowrap\">{date}</span>");
            assert!(html.contains(&kept), "{locale}: {kept} in\n{html}");
            // Never outside such a span (e.g. in the deadline sentence too).
            assert_eq!(
                html.matches(date).count(),
                html.matches(&kept).count(),
                "{locale}: {date} in\n{html}"
            );
        }
        assert!(
            marked(&html).contains("[olle@]<wbr>[partner]<wbr>[.example]"),
            "{locale}: {html}"
        );
        assert!(!html.contains("olle@partner.example"), "{locale}: {html}");
        // The values may still wrap as a last resort (a very long name), but never everywhere.
        assert!(!html.contains("word-break: break-word"), "{html}");
        // The text part is untouched.
        let text = text_of(&message);
        assert!(
            text.contains("2025-03-21 09:00 Europe/Stockholm")
                && text.contains("olle@partner.example")
                && !text.contains("<wbr>"),
            "{text}"
        );
    }
}
