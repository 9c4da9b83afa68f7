//! The typical provisioning email the tests render (shared with `examples/render_cost.rs`,
//! which measures rendering it).

use jiff::{civil::date, tz::TimeZone};
use provisio_domain::{EmailKind, Locale};
use provisio_mail::{Envelope, Mailbox, ProvisioningEmail};

pub const SETUP_URL: &str = "https://provisio.example/setup/AbC123xyz_-";

/// A typical email: order W123, Sub1000042 for Kund AB, ordered by Partner AB.
pub fn email(locale: Locale, kind: EmailKind) -> ProvisioningEmail {
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
        setup_url: SETUP_URL.to_owned(),
        admin_portal_url: Some("https://admin.example.com".to_owned()),
        help_contact: Mailbox::new(Some("Olle Ordersson".to_owned()), "olle@partner.example"),
        handed_off_by: None,
    }
}
