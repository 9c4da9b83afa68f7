//! The HTML part of an email at 375 px in real Chromium (issue 19 point 7): it never scrolls
//! sideways, a date stays on one line, and a time zone and an address break only where they
//! may (after a `/`; after the `@` or before a dot), never mid-word. The email is rendered by `provisio-mail` as delivery
//! renders it, with long words on purpose, and opened from a file.

use jiff::{civil::date, tz::TimeZone};
use provisio_domain::{EmailKind, Locale};
use provisio_mail::{Envelope, Mailbox, Outbound, ProvisioningEmail, compose};
use serde_json::{Value, json};

use super::*;

/// Contact: a long address in the help sentence, and a hand-off from another long one.
fn long_email(locale: Locale) -> ProvisioningEmail {
    let ordering = Mailbox::new(
        Some("Olle Ordersson".to_owned()),
        "olle.ordersson-lindqvist@partnerforetaget-i-norden.example",
    );
    ProvisioningEmail {
        envelope: Envelope {
            locale,
            message_id: "x@provisio".to_owned(),
            date: "2025-03-14T08:00:05Z".parse().unwrap(),
            from: Mailbox::new(None, "provisio@provisio.example"),
            reply_to: Some(ordering.clone()),
            to: Mailbox::new(None, "lo@kund.example"),
            thread: None,
        },
        kind: EmailKind::ContactChanged,
        web_order_id: "W123".to_owned(),
        subscription_ref: "Sub1000042".to_owned(),
        end_customer: "Kundföretaget Åberg & Öhman i Västerås AB".to_owned(),
        partner: "Partner AB".to_owned(),
        offer: "A-FLEX".to_owned(),
        quantity: 25,
        requested_start_date: date(2025, 3, 14),
        deadline: "2025-03-21T08:00:05Z".parse().unwrap(),
        time_zone: TimeZone::get("America/Argentina/Buenos_Aires").unwrap(),
        setup_url: "https://provisio.example/setup/Qx3vT0cJ9mK2pL8wZ4nR7sY1bH6dF5gA0eU2iO9uXyz"
            .to_owned(),
        admin_portal_url: Some("https://admin.example.com".to_owned()),
        help_contact: ordering,
        handed_off_by: Some(Mailbox::new(
            None,
            "ada.kristina.andersson@kundforetaget-aberg-ohman.example",
        )),
    }
}

/// Each piece kept whole (a date, a piece of an address between its break points) with the
/// number of lines it takes, as [text, lines]: all must be 1.
const LINES: &str = "
    return [...document.querySelectorAll('span[style*=nowrap]')].map(span => {
        const r = document.createRange(); r.selectNodeContents(span);
        const tops = new Set([...r.getClientRects()].map(c => Math.round(c.top)));
        return [span.textContent, tops.size];
    });";

/// The innermost elements that reach past the window, for a failure message.
const WIDE: &str = "
    const w = document.documentElement.clientWidth;
    return [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > w
            && ![...e.children].some(c => c.getBoundingClientRect().right > w))
        .map(e => `${Math.round(e.getBoundingClientRect().right)}: ${e.outerHTML.slice(0, 160)}`);";

/// Whether the element containing `text` takes more than one line.
fn wraps(text: &str) -> String {
    format!(
        "const p = [...document.querySelectorAll('p, td')].find(e => e.textContent.includes('{text}'));
         const r = document.createRange(); r.selectNodeContents(p);
         return new Set([...r.getClientRects()].map(c => Math.round(c.top))).size > 1;"
    )
}

#[tokio::test]
async fn at_375_px_dates_stay_whole_and_zones_and_addresses_break_only_where_they_may() {
    let dir = tempfile::tempdir().unwrap();
    let b = Browser::start("http://127.0.0.1:9").await;
    b.client().set_window_size(375, 800).await.unwrap();
    for locale in Locale::ALL {
        let html = compose(&Outbound::from(long_email(locale))).unwrap().html;
        let file = dir.path().join(format!("{locale}.html"));
        std::fs::write(&file, &html).unwrap();
        b.goto(&format!("file://{}", file.display())).await;
        let width = b.client().execute("return window.innerWidth", vec![]).await;
        assert!(
            width.as_ref().unwrap().as_i64().unwrap() <= 375,
            "{width:?}"
        );
        let sideways = b
            .client()
            .execute(
                "const e = document.documentElement; return [e.scrollWidth, e.clientWidth];",
                vec![],
            )
            .await
            .unwrap();
        if sideways[0].as_i64() > sideways[1].as_i64() {
            let wide = b.client().execute(WIDE, vec![]).await.unwrap();
            panic!("{locale}: scrolls sideways {sideways}: {wide}");
        }
        let lines = b.client().execute(LINES, vec![]).await.unwrap();
        let lines = lines.as_array().unwrap();
        // Dates whole; the zone, too long for the column, in pieces cut after its slashes.
        for date in [
            "2025-03-21 05:00",
            "2025-03-14",
            "Argentina/",
            "Buenos_Aires",
        ] {
            assert!(
                lines.contains(&json!([date, 1])),
                "{locale}: {date} in {lines:?}"
            );
        }
        let broken: Vec<&Value> = lines.iter().filter(|l| l[1] != json!(1)).collect();
        assert!(broken.is_empty(), "{locale}: broken mid-word: {broken:?}");
        // The long addresses did break, at their marks: a whole piece is a line's end.
        for piece in ["partnerforetaget-i-norden", "kundforetaget-aberg-ohman"] {
            assert!(lines.iter().any(|l| l[0] == json!(piece)), "{lines:?}");
        }
        let wrapped = b
            .client()
            .execute(&wraps("ada.kristina"), vec![])
            .await
            .unwrap();
        assert_eq!(
            wrapped,
            json!(true),
            "{locale}: the long address had to wrap"
        );
    }
}
