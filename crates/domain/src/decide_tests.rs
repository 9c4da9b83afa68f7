use super::*;
use crate::fixtures::{RSD, email, facts, pia, t};
use crate::mail::MailId;
use crate::state::{EmailState, Stage};

fn ids() -> impl MintMail {
    let mut n = 100u128;
    move || {
        n += 1;
        MailId {
            id: Uuid::from_u128(n),
            message_id: format!("{n}@test"),
        }
    }
}

fn mail(n: u128, kind: EmailKind, to: &str, state: EmailState, at: &str) -> MailFact {
    MailFact {
        id: Uuid::from_u128(n),
        kind,
        to: email(to),
        state,
        queued_at: t(at),
        requested_by: None,
    }
}

fn applied(d: Decision) -> Effects {
    match d {
        Decision::Apply(e) => *e,
        other => panic!("not applied: {other:?}"),
    }
}

#[test]
fn a_contact_change_returns_every_effect() {
    let mut f = facts();
    f.mail = vec![
        mail(
            1,
            EmailKind::Initial,
            "kim@kund.test",
            EmailState::Retrying,
            RSD,
        ),
        mail(
            2,
            EmailKind::HandedOff,
            "pia@partner.test",
            EmailState::Queued,
            RSD,
        ),
        mail(
            3,
            EmailKind::Resend,
            "kim@kund.test",
            EmailState::Failed,
            RSD,
        ),
    ];
    let new = NewContact {
        email: email("ines@kund.test"),
        name: Some("Ines".into()),
        locale: None,
    };
    let e = applied(change_contact(
        &f,
        &pia(),
        &new,
        t("2026-05-05T00:00:00Z"),
        &mut ids(),
    ));
    assert_eq!(e.links, Some(LinkState::Revoked));
    assert_eq!(
        e.cancel,
        [Uuid::from_u128(1)],
        "the waiting provisioning email only"
    );
    assert_eq!(e.queue.len(), 1);
    assert_eq!(e.queue[0].kind, EmailKind::ContactChanged);
    assert_eq!(e.queue[0].to.email, email("ines@kund.test"));
    assert_eq!(
        e.queue[0].to.locale,
        Locale::Sv,
        "the line's language by default"
    );
    assert_eq!(e.queue[0].requested_by, Some(pia().user_id));
    assert_eq!(e.queue[0].hand_off, None, "a contact change is no hand-off");
    let kinds: Vec<_> = e.events.iter().map(|e| e.kind().as_str()).collect();
    assert_eq!(kinds, ["contact.changed", "email.queued"]);
    assert_eq!(e.contact.unwrap().name.as_deref(), Some("Ines"));
}

#[test]
fn the_same_address_again_changes_only_the_name() {
    let new = NewContact {
        email: email("KIM@kund.test"),
        name: Some("Kim Lund".into()),
        locale: None,
    };
    let e = applied(change_contact(&facts(), &pia(), &new, t(RSD), &mut ids()));
    assert!(e.queue.is_empty() && e.cancel.is_empty() && e.events.is_empty());
    assert_eq!(e.links, None);
    let contact = e.contact.unwrap();
    assert_eq!(contact.email, email("kim@kund.test"));
    assert_eq!(contact.name.as_deref(), Some("Kim Lund"));
}

#[test]
fn before_the_rsd_a_new_contact_waits_for_the_first_send() {
    let new = NewContact {
        email: email("ines@kund.test"),
        name: None,
        locale: None,
    };
    let e = applied(change_contact(
        &facts(),
        &pia(),
        &new,
        t("2026-05-01T00:00:00Z"),
        &mut ids(),
    ));
    assert!(e.queue.is_empty());
    assert_eq!(e.state.first_send_due_at(), Some(t(RSD)));
}

#[test]
fn the_first_send_is_due_once_and_queues_the_initial_email() {
    let f = facts();
    assert!(first_send(&f.state, &f.contact, t("2026-05-03T00:00:00Z"), &mut ids()).is_none());
    let e = first_send(&f.state, &f.contact, t(RSD), &mut ids()).unwrap();
    assert!(e.state.initial_queued);
    assert_eq!(e.queue[0].kind, EmailKind::Initial);
    assert_eq!(e.queue[0].to, f.contact);
    assert_eq!(e.queue[0].requested_by, None);
    assert!(first_send(&e.state, &f.contact, t(RSD), &mut ids()).is_none());
}

#[test]
fn a_double_click_replays_and_a_key_does_not() {
    let mut f = facts();
    let mut first = mail(
        7,
        EmailKind::Resend,
        "kim@kund.test",
        EmailState::Queued,
        RSD,
    );
    first.requested_by = Some(pia().user_id);
    f.mail = vec![first];
    let ask = ResendAsk {
        by: Asker::User(pia()),
        keyed: false,
        limit: ResendLimit::default(),
        now: t("2026-05-04T00:00:03Z"),
        for_case: None,
    };
    assert_eq!(
        resend(&f, &ask, &mut ids()),
        Decision::Replay(Uuid::from_u128(7))
    );
    let keyed = ResendAsk {
        keyed: true,
        ..ask.clone()
    };
    let e = applied(resend(&f, &keyed, &mut ids()));
    assert_eq!(e.queue[0].kind, EmailKind::Resend);
    // The setup page is another asker.
    let link = ResendAsk {
        by: Asker::SetupLink,
        ..ask
    };
    assert!(matches!(resend(&f, &link, &mut ids()), Decision::Apply(_)));
}

#[test]
fn fresh_links_have_their_own_budget_and_are_refused_silently() {
    let mut f = facts();
    f.mail = (0..3)
        .map(|i| {
            mail(
                i,
                EmailKind::Resend,
                "kim@kund.test",
                EmailState::Sent,
                "2026-05-04T00:10:00Z",
            )
        })
        .collect();
    let now = t("2026-05-04T00:30:00Z");
    let link = ResendAsk {
        by: Asker::SetupLink,
        keyed: false,
        limit: ResendLimit::default(),
        now,
        for_case: None,
    };
    match resend(&f, &link, &mut ids()) {
        Decision::Refuse { refusal, events } => {
            assert!(matches!(refusal, Refusal::RateLimited { limit: 3, .. }));
            assert!(events.is_empty(), "the asker learns nothing: no event");
        }
        other => panic!("{other:?}"),
    }
    // The partner's five are untouched by the setup page's three.
    let user = ResendAsk {
        by: Asker::User(pia()),
        ..link
    };
    assert!(matches!(resend(&f, &user, &mut ids()), Decision::Apply(_)));
}

#[test]
fn hand_offs_are_capped_per_line_and_notify_the_ordering_contact() {
    let mut f = facts();
    let link = LinkHeld {
        state: LinkState::Live,
        sent_to: email("kim@kund.test"),
    };
    let ordering = Recipient {
        email: email("pia@partner.test"),
        name: Some("Pia".into()),
        locale: Locale::En,
    };
    let now = t("2026-05-05T00:00:00Z");
    let e = applied(hand_off(
        &f,
        &link,
        &email("ines@kund.test"),
        &ordering,
        now,
        &mut ids(),
    ));
    let kinds: Vec<_> = e.queue.iter().map(|m| m.kind).collect();
    assert_eq!(kinds, [EmailKind::ContactChanged, EmailKind::HandedOff]);
    assert_eq!(e.queue[1].to, ordering);
    let handed = Some(HandOff {
        from: email("kim@kund.test"),
        to: email("ines@kund.test"),
    });
    assert_eq!(e.queue[1].hand_off, handed);
    // The colleague's email says who handed the line to them.
    assert_eq!(e.queue[0].to.email, email("ines@kund.test"));
    assert_eq!(e.queue[0].hand_off, handed);
    assert_eq!(e.links, Some(LinkState::Revoked));
    f.mail = (0..HAND_OFFS_PER_HOUR as u128)
        .map(|i| {
            mail(
                i,
                EmailKind::HandedOff,
                "pia@partner.test",
                EmailState::Sent,
                "2026-05-04T23:30:00Z",
            )
        })
        .collect();
    assert!(matches!(
        hand_off(
            &f,
            &link,
            &email("ines@kund.test"),
            &ordering,
            now,
            &mut ids()
        ),
        Decision::Refuse {
            refusal: Refusal::RateLimited { .. },
            ..
        }
    ));
}

#[test]
fn onboarding_and_cancelling_end_the_links_and_the_waiting_mail() {
    let mut f = facts();
    f.mail = vec![mail(
        1,
        EmailKind::Resend,
        "kim@kund.test",
        EmailState::Queued,
        RSD,
    )];
    let org = Organization {
        id: "org-1".into(),
        name: "Kund AB".into(),
    };
    let link = LinkHeld {
        state: LinkState::Live,
        sent_to: email("kim@kund.test"),
    };
    let e = applied(onboard(&f, Reporter::Link(&link), &org, t(RSD), &mut ids()));
    assert_eq!(e.state.stage, Stage::Onboarded);
    assert_eq!(e.links, Some(LinkState::Spent));
    assert_eq!(e.cancel, [Uuid::from_u128(1)]);
    assert_eq!(e.organization, Some(org));
    let stale = LinkHeld {
        sent_to: email("old@kund.test"),
        ..link
    };
    assert!(matches!(
        onboard(
            &f,
            Reporter::Link(&stale),
            &e.organization.clone().unwrap(),
            t(RSD),
            &mut ids()
        ),
        Decision::Refuse {
            refusal: Refusal::NotFound,
            ..
        }
    ));
    let c = applied(cancel(&f, &pia(), t(RSD)));
    assert_eq!(c.state.stage, Stage::Cancelled);
    assert_eq!(c.links, Some(LinkState::Revoked));
    assert_eq!(c.cancel, [Uuid::from_u128(1)]);
}
