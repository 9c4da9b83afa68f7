//! The policy chapter: the lines a policy change moves are those of its offer whose window
//! runs (sent and open), listed with their order, and exactly those get the new deadline, in
//! batches after the change, which the closure sweep then follows (and repairs a line it finds
//! by a deadline a newer change moved).

use std::sync::Arc;

use jiff::SignedDuration;
use jiff::Timestamp;
use provisio_domain::policy::window_of;
use provisio_domain::{CompanyKind, LineState, LineStatus, OfferSku, Role, Stage, decide};

use super::outbox::{applying, request};
use super::{company, new_order, now, raw_line, user};
use crate::{Decide, PolicyChange, PolicyMoves, Store};
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
    let preview = store.policy_moves(&offer, 3, &follow, 10).await.unwrap();
    assert_eq!(
        preview.first.iter().map(|l| &l.sub_ref).collect::<Vec<_>>(),
        vec![&refs[0]],
        "only the sent, open line of that offer"
    );
    assert_eq!(preview.moved, 1);
    let counted_only = store.policy_moves(&offer, 3, &follow, 0).await.unwrap();
    assert_eq!((counted_only.moved, counted_only.first.len()), (1, 0));
    let same = store.policy_moves(&offer, 30, &follow, 10).await.unwrap();
    assert_eq!(
        same,
        PolicyMoves::default(),
        "the window it has moves nothing"
    );
    let line = &preview.first[0];
    assert_eq!(line.web_order_id.as_str(), "W-POLICY-1");
    assert_eq!(
        (line.state.status, line.state.first_sent_at),
        (LineStatus::Open, Some(sent))
    );
    let moved_to = line.state.deadline_under(window_of(3));
    let change = |days| PolicyChange {
        offer: offer.clone(),
        window_days: days,
        actor: by.id,
        now: now(),
    };
    store.set_offer_policy(change(3)).await.unwrap();
    let closes_at = async |r| store.line(r).await.unwrap().unwrap().line.state.closes_at;
    assert_eq!(
        closes_at(&refs[0]).await,
        Some(sent + window_of(30)),
        "deadlines follow in batches, not in the change's transaction"
    );
    assert_eq!(store.moving_policies().await.unwrap(), vec![offer.clone()]);
    // One line a batch: the running line moves; the unsent one is looked at and kept; the
    // move ends with a batch shorter than the limit, then there is nothing left to move.
    let mut batches = Vec::new();
    while let Some(moved) = store.move_deadlines(1, &follow).await.unwrap() {
        batches.push(moved);
        assert!(batches.len() < 10, "the move ends");
    }
    assert_eq!(batches, [1, 0, 0]);
    assert!(store.moving_policies().await.unwrap().is_empty());
    assert_eq!(closes_at(&refs[0]).await, moved_to, "moved as previewed");
    assert_eq!(
        closes_at(&refs[2]).await,
        Some(sent + window_of(30)),
        "another offer's line keeps its deadline"
    );

    // The closure sweep decides with the window it is given (the policy as it is now): a
    // line it finds by a deadline a newer change has moved, and whose window still runs,
    // gets the new deadline, is not counted as closed, and is not found by the old one again.
    let sweep = |days: u32, at: Timestamp| {
        move |state: &LineState, offer: &OfferSku| {
            let days = if offer.as_str() == "A-POLICY" {
                days
            } else {
                30
            };
            decide::close(state, window_of(days), at)
        }
    };
    store.set_offer_policy(change(60)).await.unwrap();
    let old = moved_to.unwrap();
    assert_eq!(
        store.close_lapsed(old, 100, &sweep(60, old)).await.unwrap(),
        0
    );
    assert_eq!(closes_at(&refs[0]).await, Some(sent + window_of(60)));
    let after = store.line(&refs[0]).await.unwrap().unwrap().line.state;
    assert_eq!(after.status, LineStatus::Open);
    assert_eq!(
        store.close_lapsed(old, 100, &sweep(60, old)).await.unwrap(),
        0
    );
    follow_policies(store).await;

    // Back to 3 days: the sweep follows the moved deadline, and only that line is due.
    store.set_offer_policy(change(3)).await.unwrap();
    follow_policies(store).await;
    assert_eq!(closes_at(&refs[0]).await, moved_to);
    let deadline = moved_to.unwrap();
    assert_eq!(
        store
            .close_lapsed(deadline, 100, &sweep(3, deadline))
            .await
            .unwrap(),
        1
    );
    let closed = store.line(&refs[0]).await.unwrap().unwrap();
    assert_eq!(closed.line.state.status, LineStatus::Closed);
    let after = store.policy_moves(&offer, 10, &follow, 10).await.unwrap();
    assert_eq!(
        after,
        PolicyMoves::default(),
        "a closed line's window is over"
    );
}

/// The rule the app gives a policy change's batches and its preview.
pub(super) fn follow(state: &LineState, days: u32) -> Option<LineState> {
    decide::follow_policy(state, window_of(days))
}

/// Moves every changed policy's deadlines, as the app does after a change.
pub(super) async fn follow_policies(store: &dyn Store) {
    while store.move_deadlines(500, &follow).await.unwrap().is_some() {}
}
