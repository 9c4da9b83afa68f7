//! The outbox part of the conformance story: first sends, claims with leases, attempt results,
//! policy deadlines, closure, overtaken emails, setup links, idempotent resends.

use jiff::{SignedDuration, Timestamp};
use provisio_domain::delivery::Outcome;
use provisio_domain::policy::window_of;
use provisio_domain::{
    CompanyKind, ContactEmail, Decision, Effects, EmailKind, EmailState, LineState, LineStatus,
    LinkState, Locale, MailId, OfferSku, Recipient, Role, Stage, SubRef, decide,
};

use super::{company, mail_for, new_order, now, raw_line, user};
use std::sync::Arc;

use crate::{
    ClaimRequest, ClaimedEmail, Decide, Decided, Finished, IdempotencyKey, LineContext, MailOf,
    MailSubject, PolicyChange, Store, StoreError, UpdateRequest, Wake,
};

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// Mints mail identities for the domain's decisions.
pub(super) fn ids() -> impl FnMut() -> MailId {
    || {
        let id = uuid::Uuid::now_v7();
        MailId {
            id,
            message_id: format!("{}@test", id.simple()),
        }
    }
}

/// The planner's rule: the domain's first send.
pub(super) fn first_send(now: Timestamp) -> impl Fn(&LineState, &Recipient) -> Option<Effects> {
    move |state, contact| decide::first_send(state, contact, now, &mut ids())
}

/// A decision that applies `make`'s effects.
pub(super) fn applying(
    make: impl Fn(&provisio_domain::LineFacts) -> Effects + Send + Sync + 'static,
) -> Decide {
    Arc::new(move |facts| Decision::Apply(Box::new(make(facts))))
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
        MailSubject::Case { .. } => panic!("a case notice, not a line's email"),
    }
}

pub(super) fn request(now: Timestamp) -> UpdateRequest {
    UpdateRequest {
        actor: None,
        now,
        mail_since: now - SignedDuration::from_hours(1),
        idempotency: None,
        open_cases: false,
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
    // R1: nothing is due before the RSD starts; at its start both lines are queued, once
    // (the planner finds them by the instant the domain stored with their state).
    assert_eq!(
        store
            .queue_first_sends(now(), 100, &first_send(now()))
            .await
            .unwrap(),
        0,
        "not due before the RSD"
    );
    let rsd = at("2026-05-10T00:00:00Z");
    let due = first_send(rsd);
    assert_eq!(store.queue_first_sends(rsd, 100, &due).await.unwrap(), 2);
    assert_eq!(
        store.queue_first_sends(rsd, 100, &due).await.unwrap(),
        0,
        "queued once"
    );
    let l1 = line(store, &r1).await;
    assert!(l1.line.state.initial_queued);
    let initial = l1.line.last_email.unwrap();
    assert_eq!(
        (initial.kind, initial.state),
        (EmailKind::Initial, EmailState::Queued)
    );
    // The mail the decisions read: the same asked by the lines or by their order.
    let since = rsd - SignedDuration::from_hours(24);
    let of = |of| async move { store.recent_mail(of, since).await.unwrap() };
    let both = [r1.clone(), r2.clone()];
    let by_lines = of(MailOf::Lines(&both)).await;
    assert_eq!(by_lines.len(), 2, "each line's initial email, queued");
    assert_eq!(of(MailOf::Order(&order.web_order_id)).await, by_lines);
    assert_eq!(of(MailOf::Lines(&both[..1])).await, by_lines[..1]);
    assert!(of(MailOf::Lines(&[])).await.is_empty());
    let other = provisio_domain::WebOrderId::parse("W901").unwrap();
    assert!(of(MailOf::Order(&other)).await.is_empty());

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

    // The SMTP server's acceptance starts the window (A-FLEX: 7 days).
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
    assert_eq!(l1.line.state.closes_at, Some(sent_at + window_of(7)));
    let emails = store.line_emails(&r1).await.unwrap();
    assert_eq!((emails[0].state, emails[0].attempts), (EmailState::Sent, 1));
    // A late second result for the same attempt (the lease holder's retry of its commit, or
    // an instance that lost the lease) changes nothing: results are fenced by the attempt.
    finish(
        store,
        first,
        first_owner,
        sent_at,
        Outcome::Failed {
            reply: "550 late".into(),
        },
    )
    .await;
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
    // A lease its holder renews (a long send) outlives its first end; only the holder's
    // leases are renewed.
    let secs = SignedDuration::from_secs;
    let held = [again[0].email.id];
    let renew = |owner: &'static str, emails: Vec<uuid::Uuid>| async move {
        store
            .renew_leases(owner, &emails, real + secs(50), real + secs(110))
            .await
            .unwrap()
    };
    assert_eq!(renew("nobody", held.to_vec()).await, 0);
    assert_eq!(renew("d", vec![]).await, 0, "only the emails named");
    assert_eq!(renew("d", held.to_vec()).await, 1);
    assert!(
        claim(store, "x", rsd, real + secs(61), 5).await.is_empty(),
        "a renewed lease is kept past its first end"
    );
    assert!(
        claim(store, "e", rsd, real + secs(111), 5).await.len() == 1,
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

    // A contact change cancels what the decision names (claims skip it); the facts carry
    // the waiting email.
    let new_contact = ContactEmail::parse("new@kund.test").unwrap();
    let decided = store
        .update_line(
            &r2,
            request(rsd),
            applying(move |facts| {
                let waiting: Vec<_> = facts
                    .mail
                    .iter()
                    .filter(|m| m.waiting())
                    .map(|m| m.id)
                    .collect();
                assert_eq!(waiting.len(), 1, "the retrying initial email: {facts:?}");
                let mut effects = Effects::new(facts.state.clone());
                effects.contact = Some(Recipient {
                    email: new_contact.clone(),
                    name: None,
                    locale: Locale::En,
                });
                effects.links = Some(LinkState::Revoked);
                effects.cancel = waiting;
                effects
            }),
        )
        .await
        .unwrap();
    assert!(
        matches!(&decided, Some(Decided::Applied { queued, .. }) if queued.is_empty()),
        "{decided:?}"
    );
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
            applying(|facts| {
                let mut effects = Effects::new(facts.state.clone());
                effects.links = Some(LinkState::Spent);
                effects
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
    super::policies_chapter::follow_policies(store).await;
    let deadline = sent_at + window_of(14);
    assert_eq!(line(store, &r1).await.line.state.closes_at, Some(deadline));
    let close = |now: Timestamp| {
        move |state: &LineState, _: &OfferSku| decide::close(state, window_of(14), now)
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
    assert_eq!(
        store
            .close_lapsed(deadline, 100, &close(deadline))
            .await
            .unwrap(),
        0,
        "closed once"
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
    let queue = resend_of(store, &r1).await;
    let first = store
        .update_line(&r1, resend(key("h")), queue.clone())
        .await
        .unwrap();
    let Some(Decided::Applied { queued, .. }) = first else {
        panic!("{first:?}")
    };
    let e1 = &queued[0];
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
    let history = store.line_emails(&r1).await.unwrap();
    assert_eq!(history.len(), 2, "one initial, one resend");
    assert_eq!(
        line(store, &r1).await.line.last_email.map(|e| e.id),
        Some(e1.id),
        "a provisioning email queued is the line's last email"
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

/// A decision that queues a resend of `r`'s line to its contact (as the domain would).
async fn resend_of(store: &dyn Store, r: &SubRef) -> Decide {
    let l = store.line(r).await.unwrap().unwrap();
    let mail = mail_for(&l, EmailKind::Resend);
    applying(move |facts| {
        let mut effects = Effects::new(facts.state.clone());
        effects.queue.push(mail.clone());
        effects
    })
}
