//! The concurrency chapter of the conformance story: what several requests, or several
//! instances, doing the same thing at the same moment must never break. Every step runs real
//! concurrent tasks against the one store.

use std::collections::HashSet;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use provisio_domain::{CompanyKind, EmailKind, EmailState, Role};

use super::outbox::{claim, first_send, line_of, request};
use super::{company, mail_for, new_order, now, raw_line, user};
use crate::{Decide, Decided, LineContext, Store};
use provisio_domain::{Decision, Effects};

/// How many tasks race in each step.
const RACERS: usize = 16;
/// The limit the racing decisions enforce.
const ALLOWED: usize = 3;

pub async fn story(store: Arc<dyn Store>) {
    let acme = company(store.as_ref(), "Race Partner", CompanyKind::Partner).await;
    let pia = user(store.as_ref(), &acme, "pia@race.test", Role::Member).await;
    let contacts: Vec<String> = (0..40).map(|i| format!("c{i}@kund.test")).collect();
    let lines = contacts.iter().map(|c| raw_line(c)).collect();
    let order = new_order(&acme, &pia, Some("W-RACE"), lines);
    let order = store.create_order(order).await.unwrap().into_inner();
    one_line_many_actions(&store, &order.lines[0].sub_ref).await;
    many_claimers(&store).await;
    taking_over(&store).await;
}

/// Concurrent read-decide-writes on one line see each other: a decision that allows only
/// [`ALLOWED`] emails in all lets exactly that many through, however many race.
async fn one_line_many_actions(store: &Arc<dyn Store>, sub_ref: &provisio_domain::SubRef) {
    let line = store.line(sub_ref).await.unwrap().unwrap();
    let decide = at_most(line, ALLOWED);
    let tasks: Vec<_> = (0..RACERS)
        .map(|_| {
            let (store, decide, sub_ref) = (Arc::clone(store), decide.clone(), sub_ref.clone());
            tokio::spawn(async move { store.update_line(&sub_ref, request(now()), decide).await })
        })
        .collect();
    let mut applied = 0;
    for t in tasks {
        match t.await.unwrap().unwrap() {
            Some(Decided::Applied { queued, .. }) if queued.len() == 1 => applied += 1,
            Some(Decided::Refused(_)) => {}
            other => panic!("every racer gets an answer: {other:?}"),
        }
    }
    assert_eq!(applied, ALLOWED, "exactly the allowed number got through");
    assert_eq!(
        resends(store.as_ref(), sub_ref).await,
        ALLOWED,
        "and exactly that many emails were queued"
    );
}

/// How many resends the line has.
pub(super) async fn resends(store: &dyn Store, sub_ref: &provisio_domain::SubRef) -> usize {
    store
        .line_emails(sub_ref)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == EmailKind::Resend)
        .count()
}

/// A decision that queues a resend of `line` while it has fewer than `allowed` resends, and
/// refuses after (a limit that only holds when concurrent decisions see each other).
pub(super) fn at_most(line: LineContext, allowed: usize) -> Decide {
    Arc::new(move |facts| {
        let resends = facts
            .mail
            .iter()
            .filter(|m| m.kind == EmailKind::Resend)
            .count();
        if resends >= allowed {
            return Decision::Refuse {
                refusal: provisio_domain::Refusal::RateLimited {
                    limit: allowed as u32,
                    retry_after_secs: 60,
                },
                events: vec![],
            };
        }
        let mut effects = Effects::new(facts.state.clone());
        effects.queue.push(mail_for(&line, EmailKind::Resend));
        Decision::Apply(Box::new(effects))
    })
}

/// Instances claiming at once each get their own emails: every due email is claimed once.
async fn many_claimers(store: &Arc<dyn Store>) {
    let rsd: Timestamp = "2026-05-10T00:00:00Z".parse().unwrap();
    let queued = store
        .queue_first_sends(rsd, 1000, &first_send(rsd))
        .await
        .unwrap();
    // The racing resends of the first line are due too.
    let expected = queued + ALLOWED;
    let real: Timestamp = "2031-01-01T00:00:00Z".parse().unwrap();
    let tasks: Vec<_> = (0..RACERS)
        .map(|i| {
            let store = Arc::clone(store);
            tokio::spawn(async move {
                let mut mine = vec![];
                for round in 0.. {
                    // Each round its own owner name: the helper derives token hashes from it.
                    let owner = format!("racer-{i}-{round}");
                    let got = claim(store.as_ref(), &owner, rsd, real, 3).await;
                    if got.is_empty() {
                        return mine;
                    }
                    mine.extend(
                        got.iter()
                            .map(|c| (c.email.id, line_of(c).web_order_id.clone())),
                    );
                }
                mine
            })
        })
        .collect();
    let mut seen = HashSet::new();
    for t in tasks {
        for (id, order) in t.await.unwrap() {
            assert_eq!(order.as_str(), "W-RACE");
            assert!(seen.insert(id), "email {id} was claimed twice");
        }
    }
    assert_eq!(seen.len(), expected, "every due email was claimed");
}

/// An instance that starts takes over leases that can no longer be live.
async fn taking_over(store: &Arc<dyn Store>) {
    let rsd: Timestamp = "2026-05-10T00:00:00Z".parse().unwrap();
    let real: Timestamp = "2031-01-01T00:00:00Z".parse().unwrap();
    let after_leases = real + SignedDuration::from_secs(61);
    let taken = store.take_over_leases(after_leases).await.unwrap();
    assert!(taken > 0, "leases that ended were taken over");
    let again = claim(store.as_ref(), "next-instance", rsd, after_leases, 1000).await;
    assert_eq!(again.len() as u64, taken, "their emails are due again");
    let c = &again[0];
    let history = store.line_emails(&line_of(c).line.sub_ref).await.unwrap();
    let now = history.iter().find(|e| e.id == c.email.id).unwrap();
    assert_eq!(now.state, EmailState::Sending, "and claimed anew");
}
