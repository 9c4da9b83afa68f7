//! The policy chapter: the lines a policy change moves are those of its offer whose window
//! runs (sent and open), listed with their order, and exactly those get the new deadline,
//! which the closure sweep then follows.

use std::sync::Arc;

use jiff::SignedDuration;
use provisio_domain::policy::window_of;
use provisio_domain::{CompanyKind, LineStatus, OfferSku, Role, Stage};

use super::outbox::{applying, request};
use super::{company, new_order, now, raw_line, user};
use crate::{Decide, PolicyChange, Store};
use provisio_domain::Effects;

pub(super) async fn story(store: &dyn Store) {
    let partner = company(store, "Policy Partner", CompanyKind::Partner).await;
    let by = user(store, &partner, "policy@partner.test", Role::Member).await;
    let mut other_offer = raw_line("b@kund.test");
    other_offer.offer = "A-POLICY-OTHER".into();
    let mut lines = vec![
        raw_line("a@kund.test"),
        raw_line("c@kund.test"),
        other_offer,
    ];
    for l in &mut lines[..2] {
        l.offer = "A-POLICY".into();
    }
    let order = new_order(&partner, &by, Some("W-POLICY-1"), lines);
    let order = store.create_order(order).await.unwrap().into_inner();
    let refs: Vec<_> = order.lines.iter().map(|l| l.sub_ref.clone()).collect();
    let sent = now() - SignedDuration::from_hours(24);
    let send: Decide = applying(move |facts| {
        let mut state = facts.state.clone();
        state.stage = Stage::AwaitingProvisioning;
        state.first_sent_at = Some(sent);
        state.closes_at = Some(sent + window_of(30));
        Effects::new(state)
    });
    // The first line and the other offer's are sent; the second A-POLICY line is not.
    for r in [&refs[0], &refs[2]] {
        store
            .update_line(r, request(now()), Arc::clone(&send))
            .await
            .unwrap();
    }
    let offer = OfferSku::parse("A-POLICY").unwrap();
    let running = store.running_lines(&offer).await.unwrap();
    assert_eq!(
        running.iter().map(|l| &l.sub_ref).collect::<Vec<_>>(),
        vec![&refs[0]],
        "only the sent, open line of that offer"
    );
    let line = &running[0];
    assert_eq!(line.web_order_id.as_str(), "W-POLICY-1");
    assert_eq!(
        (line.state.status, line.state.first_sent_at),
        (LineStatus::Open, Some(sent))
    );
    let moved_to = line.state.deadline_under(window_of(3));
    store
        .set_offer_policy(PolicyChange {
            offer: offer.clone(),
            window_days: 3,
            actor: by.id,
            now: now(),
        })
        .await
        .unwrap();
    let after = store.line(&refs[0]).await.unwrap().unwrap();
    assert_eq!(
        after.line.state.closes_at, moved_to,
        "the deadline moved as previewed"
    );
    let untouched = store.line(&refs[2]).await.unwrap().unwrap();
    assert_eq!(untouched.line.state.closes_at, Some(sent + window_of(30)));
    // The closure sweep follows the moved deadline, and only that line is due.
    let deadline = moved_to.unwrap();
    let close = |state: &provisio_domain::LineState, offer: &OfferSku| {
        let days = if offer.as_str() == "A-POLICY" { 3 } else { 30 };
        provisio_domain::decide::close(state, window_of(days), deadline)
    };
    assert_eq!(store.close_lapsed(deadline, 100, &close).await.unwrap(), 1);
    let closed = store.line(&refs[0]).await.unwrap().unwrap();
    assert_eq!(closed.line.state.status, LineStatus::Closed);
    assert!(store.running_lines(&offer).await.unwrap().is_empty());
}
