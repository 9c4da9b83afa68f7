//! What rendering one email costs, alone (README, Performance): a typical provisioning email
//! rendered and formatted N times (default 20,000), in English or, with `sv`, in Swedish;
//! `DUMP=1` prints one message instead.
//!
//!     cargo run --release -p provisio-mail --example render_cost -- 20000 sv
// A measurement by hand: a failed unwrap is a broken example, with its location.
#![allow(clippy::unwrap_used)]
use jiff::{civil::date, tz::TimeZone};
use provisio_domain::{EmailKind, Locale};
use provisio_mail::{Envelope, Mailbox, Outbound, ProvisioningEmail};
fn email(locale: Locale, kind: EmailKind) -> ProvisioningEmail {
    ProvisioningEmail {
        envelope: Envelope {
            locale,
            message_id: "0190f3a1-7c2e-7000-8000-000000000001@provisio".to_owned(),
            date: "2025-03-14T08:00:05Z".parse().unwrap(),
            from: Mailbox::new(Some("Provisio".to_owned()), "provisio@provisio.example"),
            reply_to: Some(Mailbox::new(
                Some("Olle Ordersson".to_owned()),
                "olle@partner.example",
            )),
            to: Mailbox::new(Some("Kim Kundsson".to_owned()), "kim@kund.example"),
            thread: None,
        },
        kind,
        web_order_id: "W123".to_owned(),
        subscription_ref: "Sub1000042".to_owned(),
        end_customer: "Kund AB".to_owned(),
        partner: "Partner AB".to_owned(),
        offer: "A-FLEX".to_owned(),
        quantity: 25,
        requested_start_date: date(2025, 3, 14),
        deadline: "2025-03-21T08:00:05Z".parse().unwrap(),
        time_zone: TimeZone::get("Europe/Stockholm").unwrap(),
        setup_url: "https://provisio.example/setup/AbC123xyz_-AbC123xyz_-AbC123xyz_-AbC123xyz"
            .to_owned(),
        admin_portal_url: None,
        help_contact: Mailbox::new(Some("Olle Ordersson".to_owned()), "olle@partner.example"),
        handed_off_by: None,
    }
}
fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().unwrap())
        .unwrap_or(20000);
    let locale = if std::env::args().nth(2).as_deref() == Some("sv") {
        Locale::Sv
    } else {
        Locale::En
    };
    let out = Outbound::from(email(locale, EmailKind::Initial));
    if std::env::var("DUMP").is_ok() {
        print!(
            "{}",
            String::from_utf8_lossy(&provisio_mail::render(&out).unwrap().formatted())
        );
        return;
    }
    #[allow(clippy::disallowed_methods)] // how long rendering takes is real time
    let t = std::time::Instant::now();
    let mut bytes = 0;
    for _ in 0..n {
        let m = provisio_mail::render(&out).unwrap();
        bytes += m.formatted().len();
    }
    let e = t.elapsed();
    println!(
        "{} renders, {:.2} us each, {} bytes each",
        n,
        e.as_secs_f64() * 1e6 / n as f64,
        bytes / n
    );
}
