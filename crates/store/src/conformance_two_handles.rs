//! The two-handles chapter: two store handles on one database, as two instances of provisio,
//! run planners, closure sweeps, claims, results and line actions at the same time. Whatever
//! interleaving the database allows, never two initial emails for a line, never a line closed
//! twice, every email claimed once and every result recorded once. This holds by the schema
//! (a unique key, compare-and-set on the line's version, claims of due emails only, results
//! fenced by lease owner and attempt), not by a backend having a single writer.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use provisio_domain::delivery::Outcome;
use provisio_domain::policy::window_of;
use provisio_domain::{
    CompanyKind, EmailKind, EmailState, LineState, OfferSku, Role, Stage, SubRef, decide,
};

use super::concurrency::{at_most, resends};
use super::outbox::{claim, first_send, request};
use super::{company, new_order, now, raw_line, user};
use crate::{Decided, Finished, PolicyChange, Store, User};

/// Lines in the race.
const LINES: usize = 60;
/// Tasks per handle in each race.
const TASKS: usize = 4;

pub async fn story(a: Arc<dyn Store>, b: Arc<dyn Store>) {
    let acme = company(a.as_ref(), "Two Partner", CompanyKind::Partner).await;
    let pia = user(a.as_ref(), &acme, "pia@two.test", Role::Member).await;
    let lines = (0..LINES)
        .map(|i| raw_line(&format!("c{i}@kund.test")))
        .collect();
    let order = new_order(&acme, &pia, Some("W-TWO"), lines);
    let order = a.create_order(order).await.unwrap().into_inner();
    // The other handle sees what the first wrote.
    let seen = b.order(&order.web_order_id).await.unwrap().unwrap();
    assert_eq!(seen.lines.len(), LINES);
    let refs: Vec<SubRef> = order.lines.iter().map(|l| l.sub_ref.clone()).collect();

    planners(&a, &b, &refs).await;
    claims_and_results(&a, &b, &refs).await;
    policy_moves(&a, &b, &refs, &pia).await;
    sweeps(&a, &b, &refs).await;
    line_actions(&a, &b, &refs[0]).await;
}

/// Runs `TASKS` copies of `work` on each handle at once; returns every result.
async fn race<T, F, Fut>(a: &Arc<dyn Store>, b: &Arc<dyn Store>, work: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(Arc<dyn Store>, usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
{
    let tasks: Vec<_> = (0..TASKS * 2)
        .map(|i| {
            let store = if i % 2 == 0 { a } else { b };
            tokio::spawn(work(Arc::clone(store), i))
        })
        .collect();
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

fn rsd() -> Timestamp {
    "2026-05-10T00:00:00Z".parse().unwrap()
}

/// Planners on both handles at once: each line's initial email is queued once.
async fn planners(a: &Arc<dyn Store>, b: &Arc<dyn Store>, refs: &[SubRef]) {
    let queued = race(a, b, |store, _| async move {
        let mut n = 0;
        loop {
            // Small batches, so the planners interleave.
            match store.queue_first_sends(rsd(), 7, &first_send(rsd())).await {
                Ok(0) => return n,
                Ok(k) => n += k,
                // A lost race is the retryable error; the next round looks again.
                Err(e) if e.is_retryable() => {}
                Err(e) => panic!("a planner failed: {e}"),
            }
        }
    })
    .await;
    assert_eq!(queued.iter().sum::<usize>(), LINES, "each line queued once");
    for r in refs {
        let initials = a
            .line_emails(r)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.kind == EmailKind::Initial)
            .count();
        assert_eq!(initials, 1, "{r} has one initial email");
        let events = b.line_events(r).await.unwrap();
        let queued = events.iter().filter(|e| e.kind == "email.queued").count();
        assert_eq!(queued, 1, "{r}: one email.queued");
    }
}

/// Claimers on both handles at once each get their own emails; results sent from both
/// handles for the same attempt are recorded once, and a result from an owner that does not
/// hold the lease is ignored.
async fn claims_and_results(a: &Arc<dyn Store>, b: &Arc<dyn Store>, refs: &[SubRef]) {
    let real: Timestamp = "2031-01-01T00:00:00Z".parse().unwrap();
    let claimed = race(a, b, move |store, i| async move {
        let mut mine = vec![];
        for round in 0.. {
            let owner = format!("inst-{i}-{round}");
            let got = claim(store.as_ref(), &owner, rsd(), real, 3).await;
            if got.is_empty() {
                return mine;
            }
            mine.extend(got.into_iter().map(|c| (owner.clone(), c)));
        }
        mine
    })
    .await;
    let claimed: Vec<_> = claimed.into_iter().flatten().collect();
    let ids: HashSet<_> = claimed.iter().map(|(_, c)| c.email.id).collect();
    assert_eq!(ids.len(), claimed.len(), "no email was claimed twice");
    assert_eq!(ids.len(), LINES, "every due email was claimed");

    // Every result is sent twice, once through each handle, at the same time; and once more
    // by an intruder that holds no lease.
    let sent_at = rsd() + SignedDuration::from_mins(1);
    let finished: Vec<Finished> = claimed
        .iter()
        .map(|(owner, c)| Finished {
            email_id: c.email.id,
            kind: c.email.kind,
            to: c.email.to.clone(),
            attempt: c.email.attempts + 1,
            owner: owner.clone(),
            at: sent_at,
            outcome: Outcome::Sent {
                reply: "250 ok".into(),
            },
        })
        .collect();
    let intruders: Vec<Finished> = finished
        .iter()
        .map(|f| Finished {
            owner: "intruder".into(),
            outcome: Outcome::Failed {
                reply: "550 late".into(),
            },
            ..f.clone()
        })
        .collect();
    let batches = [finished.clone(), finished, intruders];
    let tasks: Vec<_> = batches
        .into_iter()
        .enumerate()
        .map(|(i, batch)| {
            let store = Arc::clone(if i % 2 == 0 { a } else { b });
            tokio::spawn(
                async move { crate::retrying(|| store.finish_emails(batch.clone())).await },
            )
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    for r in refs {
        let emails = a.line_emails(r).await.unwrap();
        assert_eq!(
            (emails[0].state, emails[0].attempts),
            (EmailState::Sent, 1),
            "{r}: one attempt recorded"
        );
        let line = b.line(r).await.unwrap().unwrap();
        assert_eq!(line.line.state.stage, Stage::AwaitingProvisioning);
        assert_eq!(line.line.state.first_sent_at, Some(sent_at));
        let events = a.line_events(r).await.unwrap();
        let sent = events.iter().filter(|e| e.kind == "email.sent").count();
        assert_eq!(sent, 1, "{r}: one email.sent");
        assert!(events.iter().all(|e| e.kind != "email.failed"));
    }
}

/// A policy change's deadlines moved by batches on both handles at once (as the scheduler
/// of every instance does): every running line ends with the new deadline, moved once.
async fn policy_moves(a: &Arc<dyn Store>, b: &Arc<dyn Store>, refs: &[SubRef], by: &User) {
    let sent_at = rsd() + SignedDuration::from_mins(1);
    for days in [14, 7] {
        a.set_offer_policy(PolicyChange {
            offer: OfferSku::parse("A-FLEX").unwrap(),
            window_days: days,
            actor: by.id,
            now: now(),
        })
        .await
        .unwrap();
        let moved = race(a, b, move |store, _| async move {
            let follow = super::policies_chapter::follow;
            let mut n = 0;
            loop {
                match store.move_deadlines(7, &follow).await {
                    Ok(None) => return n,
                    Ok(Some(k)) => n += k,
                    Err(e) if e.is_retryable() => {}
                    Err(e) => panic!("a batch failed: {e}"),
                }
            }
        })
        .await;
        assert_eq!(moved.iter().sum::<usize>(), LINES, "each line moved once");
        for r in refs {
            let state = b.line(r).await.unwrap().unwrap().line.state;
            assert_eq!(state.closes_at, Some(sent_at + window_of(days)), "{r}");
        }
    }
}

/// Closure sweeps on both handles at once: each line closes once.
async fn sweeps(a: &Arc<dyn Store>, b: &Arc<dyn Store>, refs: &[SubRef]) {
    let deadline = rsd() + SignedDuration::from_mins(1) + window_of(7);
    let closed = race(a, b, move |store, _| async move {
        let close = |state: &LineState, _: &OfferSku| decide::close(state, window_of(7), deadline);
        let mut n = 0;
        loop {
            match store.close_lapsed(deadline, 7, &close).await {
                Ok(0) => return n,
                Ok(k) => n += k,
                Err(e) if e.is_retryable() => {}
                Err(e) => panic!("a sweep failed: {e}"),
            }
        }
    })
    .await;
    assert_eq!(closed.iter().sum::<usize>(), LINES, "each line closed once");
    let mut closures: HashMap<&SubRef, usize> = HashMap::new();
    for r in refs {
        let events = b.line_events(r).await.unwrap();
        let n = events.iter().filter(|e| e.kind == "line.closed").count();
        closures.insert(r, n);
    }
    assert!(
        closures.values().all(|n| *n == 1),
        "every line has one line.closed event: {closures:?}"
    );
}

/// Line actions on one line from both handles at once see each other: a decision that
/// allows three resends in all lets exactly three through.
async fn line_actions(a: &Arc<dyn Store>, b: &Arc<dyn Store>, r: &SubRef) {
    const ALLOWED: usize = 3;
    let line = a.line(r).await.unwrap().unwrap();
    let decide = at_most(line, ALLOWED);
    let r2 = r.clone();
    let results = race(a, b, move |store, _| {
        let (decide, r) = (Arc::clone(&decide), r2.clone());
        async move {
            crate::retrying(|| store.update_line(&r, request(now()), Arc::clone(&decide))).await
        }
    })
    .await;
    let applied = results
        .into_iter()
        .filter(|res| matches!(res, Ok(Some(Decided::Applied { .. }))))
        .count();
    assert_eq!(applied, ALLOWED, "exactly the allowed number got through");
    assert_eq!(
        resends(a.as_ref(), r).await,
        ALLOWED,
        "and exactly that many emails were queued"
    );
}
