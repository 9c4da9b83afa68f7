//! A policy change's deadlines follow in batches after the change (issue 22): what the
//! request did not move, the scheduler moves, also after a restart; meanwhile the closure
//! sweep decides with the new window.

use jiff::SignedDuration;
use provisio_domain::{ContactEmail, OfferSku};
use provisio_store::PolicyChange;

use crate::helpers::*;
use crate::lifecycle::{DAY, at, line_when};
use crate::web::{Visitor, with_passwords};

const MOVING: &str = "The deadlines of running lines are being moved to this window.";

async fn admin_id(t: &TestApp) -> provisio_domain::UserId {
    let email = ContactEmail::parse("admin@op.test").unwrap();
    t.store.user_by_email(&email).await.unwrap().unwrap().id
}

/// A change as stored before any of its lines moved.
fn change(offer: &str, days: u32, actor: provisio_domain::UserId, t: &TestApp) -> PolicyChange {
    PolicyChange {
        offer: OfferSku::parse(offer).unwrap(),
        window_days: days,
        actor,
        now: t.app.clock.now(),
    }
}

/// A change stored with none of its lines moved (its request ended, or the server stopped,
/// before the first batch): the scheduler moves them, and the line closes by the new window.
#[tokio::test]
async fn deadlines_a_change_left_unmoved_are_moved_by_the_scheduler() {
    let w = World::new().await;
    let t = &w.t;
    let sub = w.line_due_today("W-MOVES", "flex@kund.test").await;
    let sent = line_when(t, &w.pia, &sub, "sent", |l| {
        l["last_email"]["state"] == "sent"
    })
    .await;
    let first = at(&sent["first_sent_at"]);
    let admin = admin_id(t).await;
    t.store
        .set_offer_policy(change("A-FLEX", 20, admin, t))
        .await
        .unwrap();
    let twenty = first + SignedDuration::from_hours(20 * 24);
    let moved = line_when(t, &w.pia, &sub, "moved to the new deadline", |l| {
        at(&l["closes_at"]) == twenty
    })
    .await;
    assert_eq!(moved["status"], "open");
    assert!(t.store.moving_policies().await.unwrap().is_empty());

    // Past the new deadline it closes, by it.
    t.advance(21 * DAY).await;
    let closed = line_when(t, &w.pia, &sub, "closed", |l| l["status"] == "closed").await;
    assert_eq!(closed["closes_at"], moved["closes_at"]);
    assert_eq!(closed["closed_reason"], "provisioning_window_lapsed");
}

/// The policies page says which offers' deadlines are still being moved, and stops saying it
/// when they are.
#[tokio::test]
async fn the_policies_page_says_while_deadlines_are_being_moved() {
    let w = World::new().await;
    let t = &w.t;
    with_passwords(t, &["admin@op.test"]).await;
    let mut a = Visitor::new(t);
    a.sign_in("admin@op.test").await;
    assert!(!a.get("/admin/policies").await.has(MOVING));
    let admin = admin_id(t).await;
    // The scheduler may finish the move at any moment: a page read while the store says the
    // move runs both before and after it must say so (tried until one is).
    let mut shown = None;
    for days in 10..20 {
        t.store
            .set_offer_policy(change("A-FLEX", days, admin, t))
            .await
            .unwrap();
        let page = a.get("/admin/policies").await;
        if !t.store.moving_policies().await.unwrap().is_empty() {
            shown = Some(page);
            break;
        }
    }
    let page = shown.expect("a page read while the move ran");
    assert!(page.has(MOVING), "{}", page.body);
    t.until("the move ends", || async {
        t.store
            .moving_policies()
            .await
            .unwrap()
            .is_empty()
            .then_some(())
    })
    .await;
    assert!(!a.get("/admin/policies").await.has(MOVING));
}
