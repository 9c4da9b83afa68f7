//! The outbox part of the conformance story: first sends, claims with leases, attempt results,
//! policy deadlines, closure, overtaken emails, setup links, idempotent resends.

use jiff::{SignedDuration, Timestamp};
use provisio_domain::delivery::Outcome;
use provisio_domain::policy::window_of;
use provisio_domain::{
    CompanyKind, ContactEmail, EmailKind, EmailState, LineStatus, LinkState, Locale, OfferSku,
    Role, Stage, SubRef,
};

use super::{company, new_order, now, raw_line, user};
use std::sync::Arc;

use crate::{
    ClaimRequest, ClaimedEmail, ContactUpdate, Decide, Decided, Decision, Finished, IdempotencyKey,
    LineChange, LineContext, MailSubject, NewEmail, PolicyChange, Store, StoreError, UpdateRequest,
    Wake,
};

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

pub(super) fn email_for(line: &LineContext, kind: EmailKind) -> NewEmail {
    let id = uuid::Uuid::now_v7();
    NewEmail {
        id,
        kind,
        to: line.line.contact_email.clone(),
        to_name: None,
        locale: Locale::Sv,
        requested_by: None,
        message_id: format!("{}@test", id.simple()),
        hand_off: None,
    }
}

pub(super) async fn claim(
    store: &dyn Store,
    owner: &str,
    now: Timestamp,
    real: Timestamp,
    n: usize,
) -> Vec<ClaimedEmail> {
    store
        .claim_emails(ClaimRequest {
            owner: owner.into(),
            now,
            real_now: real,
            lease_until: real + SignedDuration::from_secs(60),
            token_hashes: (0..n).map(|i| format!("{owner}-{now}-{i}")).collect(),
        })
        .await
        .unwrap()
}

async fn finish(store: &dyn Store, c: &ClaimedEmail, owner: &str, at: Timestamp, outcome: Outcome) {
    let f = Finished {
        email_id: c.email.id,
        kind: c.email.kind,
        to: c.email.to.clone(),
        attempt: c.email.attempts + 1,
        owner: owner.into(),
        at,
        outcome,
    };
    store.finish_emails(vec![f]).await.unwrap();
}

async fn line(store: &dyn Store, r: &SubRef) -> LineContext {
    store.line(r).await.unwrap().unwrap()
}

/// The line a claimed provisioning email is about.
pub(super) fn line_of(c: &ClaimedEmail) -> &LineContext {
    match &c.subject {
        MailSubject::Line(line) => line,
    }
}

pub(super) fn request(now: Timestamp) -> UpdateRequest {
    UpdateRequest {
        actor: None,
        now,
        resends_since: now - SignedDuration::from_hours(1),
        idempotency: None,
    }
}

pub async fn story(store: &dyn Store) {
    let acme = company(store, "Outbox Partner", CompanyKind::Partner).await;
    let pia = user(store, &acme, "pia@outbox.test", Role::Member).await;
    let order = new_order(
        &acme,
        &pia,
        Some("W900"),
        vec![raw_line("a@kund.test"), raw_line("b@kund.test")],
    );
    let order = store.create_order(order).await.unwrap().into_inner();
    let (r1, r2) = (
        order.lines[0].sub_ref.clone(),
        order.lines[1].sub_ref.clone(),
    );
    // Only this order's lines (earlier parts of the story left other due lines behind).
    let due = |l: &LineContext| {
        if l.web_order_id.as_str() != "W900" {
            return None;
        }
        let mut change = LineChange::new(l.line.state.clone());
        change.email = Some(email_for(l, EmailKind::Initial));
        Some(change)
    };

    // R1: nothing is due before the RSD starts; at its start both lines are queued, once.
    assert_eq!(
        store.queue_first_sends(now(), 100, &due).await.unwrap(),
        0,
        "not due before the RSD"
    );
    let rsd = at("2026-05-10T00:00:00Z");
    assert_eq!(store.queue_first_sends(rsd, 100, &due).await.unwrap(), 2);
    assert_eq!(
        store.queue_first_sends(rsd, 100, &due).await.unwrap(),
        0,
        "queued once"
    );
    assert_eq!(
        line(store, &r1).await.line.last_email.unwrap().state,
        EmailState::Queued
    );

    // Claims lease each email to one owner; leased ones are not claimed again.
    let real = at("2030-01-01T00:00:00Z");
    let a = claim(store, "a", rsd, real, 1).await;
    let b = claim(store, "b", rsd, real, 5).await;
    assert_eq!((a.len(), b.len()), (1, 1), "each email goes to one claimer");
    assert!(claim(store, "c", rsd, real, 5).await.is_empty());
    let a_first = line_of(&a[0]).line.sub_ref == r1;
    let (first, second) = if a_first {
        (&a[0], &b[0])
    } else {
        (&b[0], &a[0])
    };
    let first_owner = if a_first { "a" } else { "b" };
    let second_owner = if first_owner == "a" { "b" } else { "a" };
    assert_eq!(line_of(first).line.sub_ref, r1);
    assert_eq!(
        first.token,
        Some(0),
        "a provisioning email takes a setup token"
    );

    // A successful hand-off starts the window (A-FLEX is 10 days after the policy story).
    let sent_at = rsd + SignedDuration::from_mins(1);
    finish(
        store,
        first,
        first_owner,
        sent_at,
        Outcome::Sent {
            reply: "250 ok".into(),
        },
    )
    .await;
    let l1 = line(store, &r1).await;
    assert_eq!(l1.line.state.stage, Stage::AwaitingProvisioning);
    assert_eq!(l1.line.state.first_sent_at, Some(sent_at));
    assert_eq!(l1.line.state.closes_at, Some(sent_at + window_of(10)));
    let emails = store.line_emails(&r1).await.unwrap();
    assert_eq!((emails[0].state, emails[0].attempts), (EmailState::Sent, 1));

    // A result from someone who lost the lease is ignored.
    finish(
        store,
        second,
        "intruder",
        sent_at,
        Outcome::Sent {
            reply: "250".into(),
        },
    )
    .await;
    assert_eq!(
        store.line_emails(&r2).await.unwrap()[0].state,
        EmailState::Sending
    );
    // Released leases (a stopping instance) make the email claimable again; an abandoned
    // lease is claimable once its real time has passed.
    assert_eq!(store.release_leases(second_owner).await.unwrap(), 1);
    let again = claim(store, "d", rsd, real, 5).await;
    assert_eq!(again.len(), 1);
    assert!(
        claim(store, "e", rsd, real + SignedDuration::from_secs(61), 5)
            .await
            .len()
            == 1,
        "an expired lease is taken over"
    );
    let retry_at = rsd + SignedDuration::from_mins(2);
    finish(
        store,
        &again[0],
        "e",
        rsd,
        Outcome::RetryAt {
            at: retry_at,
            reply: "451 later".into(),
        },
    )
    .await;
    let e2 = &store.line_emails(&r2).await.unwrap()[0];
    assert_eq!(
        (e2.state, e2.attempts, e2.last_reply.as_deref()),
        (EmailState::Retrying, 1, Some("451 later"))
    );
    assert!(
        claim(store, "f", rsd, real, 5).await.is_empty(),
        "not due before its retry time"
    );
    assert_eq!(
        line(store, &r2).await.line.state.stage,
        Stage::Scheduled,
        "not sent yet"
    );

    // A contact change cancels what waits for the old address (claims skip it).
    let new_contact = ContactEmail::parse("new@kund.test").unwrap();
    let decided = store
        .update_line(
            &r2,
            request(rsd),
            Arc::new(move |snap| {
                let mut change = LineChange::new(snap.line.line.state.clone());
                change.contact = Some(ContactUpdate {
                    email: new_contact.clone(),
                    name: None,
                    locale: Locale::En,
                });
                change.links = Some(LinkState::Revoked);
                change.cancel_pending = true;
                Decision::Apply(Box::new(change))
            }),
        )
        .await
        .unwrap();
    assert!(matches!(
        decided,
        Some(Decided::Applied { email: None, .. })
    ));
    assert_eq!(
        store.line_emails(&r2).await.unwrap()[0].state,
        EmailState::Cancelled
    );
    assert!(claim(store, "g", retry_at, real, 5).await.is_empty());
    assert_eq!(
        line(store, &r2).await.line.contact_email.as_str(),
        "new@kund.test"
    );

    // Setup links are found by hash; onboarding spends them.
    let link = store
        .setup_link(&format!("{first_owner}-{rsd}-0"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (link.link, link.line.line.sub_ref.clone()),
        (LinkState::Live, r1.clone())
    );
    assert_eq!(link.sent_to.as_str(), "a@kund.test");
    assert!(store.setup_link("no-such-hash").await.unwrap().is_none());
    store
        .update_line(
            &r1,
            request(sent_at),
            Arc::new(|snap| {
                let mut change = LineChange::new(snap.line.line.state.clone());
                change.links = Some(LinkState::Spent);
                Decision::Apply(Box::new(change))
            }),
        )
        .await
        .unwrap();
    let spent = store
        .setup_link(&format!("{first_owner}-{rsd}-0"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(spent.link, LinkState::Spent);

    // A policy change moves the running deadline; closure follows it.
    store
        .set_offer_policy(PolicyChange {
            offer: OfferSku::parse("A-FLEX").unwrap(),
            window_days: 14,
            actor: pia.id,
            now: sent_at,
        })
        .await
        .unwrap();
    let deadline = sent_at + window_of(14);
    assert_eq!(line(store, &r1).await.line.state.closes_at, Some(deadline));
    let close = |now: Timestamp| {
        move |l: &LineContext| {
            let t = l.line.state.close_if_lapsed(now, window_of(14))?;
            let mut change = LineChange::new(t.line);
            change.events = t.events;
            Some(change)
        }
    };
    let early = deadline - SignedDuration::from_secs(1);
    assert_eq!(
        store.close_lapsed(early, 100, &close(early)).await.unwrap(),
        0
    );
    assert_eq!(
        store
            .close_lapsed(deadline, 100, &close(deadline))
            .await
            .unwrap(),
        1
    );
    let closed = line(store, &r1).await.line.state;
    assert_eq!(
        (closed.status, closed.stage),
        (LineStatus::Closed, Stage::AwaitingProvisioning)
    );

    // Idempotent resends: the same key replays the first email; another request conflicts.
    let key = |hash: &str| IdempotencyKey {
        user_id: pia.id,
        key: "k1".into(),
        request_hash: hash.into(),
        not_before: sent_at - SignedDuration::from_hours(24),
    };
    let resend = |key: IdempotencyKey| {
        let mut req = request(sent_at);
        req.idempotency = Some(key);
        req
    };
    let queue: Decide = Arc::new(|snap| {
        let mut change = LineChange::new(snap.line.line.state.clone());
        change.email = Some(email_for(&snap.line, EmailKind::Resend));
        Decision::Apply(Box::new(change))
    });
    let first = store
        .update_line(&r1, resend(key("h")), queue.clone())
        .await
        .unwrap();
    let Some(Decided::Applied {
        email: Some(e1), ..
    }) = first
    else {
        panic!("{first:?}")
    };
    let replay = store
        .update_line(&r1, resend(key("h")), queue.clone())
        .await
        .unwrap();
    let Some(Decided::Replayed { email: e2, .. }) = replay else {
        panic!("{replay:?}")
    };
    assert_eq!(e1.id, e2.id, "the same key answers with the first email");
    let conflict = store.update_line(&r1, resend(key("other")), queue).await;
    assert!(
        matches!(conflict, Err(StoreError::IdempotencyConflict)),
        "{conflict:?}"
    );
    assert_eq!(
        store.line_emails(&r1).await.unwrap().len(),
        2,
        "one initial, one resend"
    );
    let purged = store
        .purge_idempotency_keys(sent_at + SignedDuration::from_hours(25))
        .await
        .unwrap();
    assert!(purged >= 1, "keys older than the cut are forgotten");

    // The test clock's offset is shared through the store.
    assert_eq!(store.clock_offset().await.unwrap(), 0);
    assert_eq!(
        store.advance_clock_offset(86_400_000_000).await.unwrap(),
        86_400_000_000
    );
    assert_eq!(
        store.advance_clock_offset(1).await.unwrap(),
        86_400_000_001,
        "advances add up"
    );
    assert_eq!(store.clock_offset().await.unwrap(), 86_400_000_001);

    // A wake-up sent with nobody waiting is there for the next wait.
    store.wake(Wake::Delivery);
    tokio::time::timeout(
        std::time::Duration::from_secs(5),
        store.woken(Wake::Delivery),
    )
    .await
    .expect("the wake-up reaches the waiter");
}
