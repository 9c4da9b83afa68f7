use jiff::Timestamp;
use provisio_domain::event::{Attempt, Event, Via};
use provisio_domain::{ContactEmail, EmailKind, EmailState, Locale, Role};
use provisio_store::{EmailRecord, EventRecord};
use uuid::Uuid;

use super::*;
use crate::i18n::render;

fn at(minute: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + minute * 60).unwrap()
}

fn email(s: &str) -> ContactEmail {
    ContactEmail::parse(s).unwrap()
}

fn stored(event: Event, minute: i64, who: Option<(&str, Role)>) -> EventRecord {
    EventRecord {
        kind: event.kind().as_str().to_owned(),
        at: at(minute),
        actor_email: who.map(|_| "someone@acme.test".to_owned()),
        actor_name: who.map(|(name, _)| name.to_owned()),
        actor_role: who.map(|(_, role)| role),
        data: event.data(),
    }
}

fn mail(id: Uuid, kind: EmailKind, to: &str, state: EmailState, minute: i64) -> EmailRecord {
    EmailRecord {
        id,
        kind,
        to: email(to),
        state,
        attempts: 3,
        queued_at: at(minute),
        sent_at: None,
        last_reply: Some("451 4.3.0 Try again later".into()),
        to_name: None,
        locale: Locale::En,
        hand_off: None,
        requested_by: None,
    }
}

fn words(item: &TimelineItem, locale: Locale) -> (String, String, String) {
    let details: Vec<String> = item.details().iter().map(|m| render(locale, m)).collect();
    (
        render(locale, &item.actor()),
        render(locale, &item.title()),
        details.join(" "),
    )
}

#[test]
fn who_did_what_newest_first() {
    let (first, resent, handed) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
    let pia = Some(("Pia Partner", Role::Member));
    let events = vec![
        stored(Event::OrderCreated { lines: 1 }, 0, pia),
        stored(
            Event::EmailQueued {
                email_id: first,
                kind: EmailKind::Initial,
                to: email("kim@kund.test"),
            },
            1,
            None,
        ),
        stored(
            Event::EmailFailed(Attempt {
                email_id: first,
                kind: EmailKind::Initial,
                to: email("kim@kund.test"),
                attempts: 1,
                reply: "550 5.1.1 No such user".into(),
            }),
            2,
            None,
        ),
        stored(
            Event::ResendRequested {
                email_id: resent,
                to: email("kim@kund.test"),
                first_send: false,
                via: None,
                case_id: None,
            },
            3,
            Some(("Sam", Role::SupportAgent)),
        ),
        stored(
            Event::EmailQueued {
                email_id: resent,
                kind: EmailKind::Resend,
                to: email("kim@kund.test"),
            },
            3,
            Some(("Sam", Role::SupportAgent)),
        ),
        stored(
            Event::ContactChanged {
                from: email("kim@kund.test"),
                to: email("lo@kund.test"),
                send_now: true,
                via: Some(Via::SetupLink),
            },
            4,
            None,
        ),
        stored(
            Event::EmailQueued {
                email_id: handed,
                kind: EmailKind::ContactChanged,
                to: email("lo@kund.test"),
            },
            4,
            None,
        ),
    ];
    let emails = vec![
        mail(
            handed,
            EmailKind::ContactChanged,
            "lo@kund.test",
            EmailState::Retrying,
            4,
        ),
        mail(
            resent,
            EmailKind::Resend,
            "kim@kund.test",
            EmailState::Cancelled,
            3,
        ),
        mail(
            first,
            EmailKind::Initial,
            "kim@kund.test",
            EmailState::Failed,
            1,
        ),
    ];
    let items = items(&events, &emails);
    let en: Vec<_> = items.iter().map(|i| words(i, Locale::En)).collect();
    let who: Vec<&str> = en.iter().map(|(who, _, _)| who.as_str()).collect();
    assert_eq!(
        who,
        [
            "the customer, on the setup page",
            "Sam, support agent",
            "provisio",
            "provisio, on the requested start date",
            "Pia Partner",
        ],
        "{en:#?}"
    );
    // The email a resend or a contact change queues is shown with it.
    assert_eq!(items[1].kind, "resend.requested");
    assert_eq!(items[1].email.as_ref().map(|e| e.id), Some(resent));
    assert_eq!(items[0].email.as_ref().map(|e| e.id), Some(handed));
    assert_eq!(en[0].1, "Setup handed off to a colleague");
    assert!(
        en[0].2.contains("From kim@kund.test to lo@kund.test."),
        "{}",
        en[0].2
    );
    // The colleague's email is still on its way: its state and the last reply show.
    assert!(
        en[0]
            .2
            .contains("Delivery now: Retrying, 3 attempts so far."),
        "{}",
        en[0].2
    );
    assert!(
        en[0].2.contains("asked to try again later: 451"),
        "{}",
        en[0].2
    );
    assert_eq!(en[2].1, "Email could not be delivered");
    assert!(
        en[2]
            .2
            .contains("The mail server refused it: 550 5.1.1 No such user"),
        "{}",
        en[2].2
    );
    let sv = words(&items[3], Locale::Sv);
    assert_eq!(sv.0, "provisio, på begärt startdatum");
}

#[test]
fn a_support_agent_on_a_case_and_an_unknown_kind() {
    let mut event = stored(
        Event::ResendRequested {
            email_id: Uuid::from_u128(9),
            to: email("kim@kund.test"),
            first_send: true,
            via: None,
            case_id: None,
        },
        0,
        Some(("Sam", Role::SupportAgent)),
    );
    event.data["case_id"] = serde_json::json!(12);
    let unknown = EventRecord {
        kind: "case.opened".into(),
        data: serde_json::json!({}),
        ..stored(Event::OrderCreated { lines: 1 }, 1, None)
    };
    let items = items(&[event, unknown], &[]);
    let (who, what, _) = words(&items[1], Locale::En);
    assert_eq!(who, "Sam, support agent, for case 12");
    assert_eq!(what, "Resend requested");
    let (who, what, details) = words(&items[0], Locale::Sv);
    assert_eq!(
        (who.as_str(), what.as_str()),
        ("provisio", "Annan händelse")
    );
    assert!(!details.contains("case."), "{details}");
}

#[test]
fn every_event_type_has_words_in_both_languages_and_no_code() {
    use provisio_domain::event::EventType;
    for kind in EventType::ALL {
        let event = EventRecord {
            kind: kind.as_str().to_owned(),
            at: at(0),
            actor_email: None,
            actor_name: None,
            actor_role: None,
            data: serde_json::json!({"to": "kim@kund.test", "code": "resend_rate_limited",
                "reason": "provisioning_window_lapsed", "action": "resend", "user": "kim@kund.test"}),
        };
        let item = &items(&[event], &[])[0];
        for locale in Locale::ALL {
            let (who, what, details) = words(item, locale);
            for text in [&who, &what, &details] {
                assert!(
                    !text.contains(kind.as_str())
                        && !text.contains('_')
                        && !text.contains("timeline-"),
                    "{locale} {kind:?}: {text}"
                );
            }
            assert!(!what.is_empty(), "{locale} {kind:?}");
        }
    }
}
