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

/// Waits until no offer's deadlines are being moved.
async fn move_ended(t: &TestApp) {
    t.until("the move ends", || async {
        t.store
            .moving_policies()
            .await
            .unwrap()
            .is_empty()
            .then_some(())
    })
    .await;
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
    // Reads show the new deadline at once (the next test); the stored one follows.
    let sub_ref = provisio_domain::SubRef::parse(&sub).unwrap();
    t.until("the scheduler moved the stored deadline", || async {
        let stored = t.store.line(&sub_ref).await.unwrap().unwrap();
        (stored.line.state.closes_at == Some(twenty)).then_some(())
    })
    .await;
    move_ended(t).await;
    let moved = t.line_json(&w.pia, &sub).await;
    assert_eq!(at(&moved["closes_at"]), twenty);
    assert_eq!(moved["status"], "open");

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
    move_ended(t).await;
    assert!(!a.get("/admin/policies").await.has(MOVING));
}

/// Reads show a running line's deadline under its offer's policy as it is now, before any
/// batch moved the stored one: the line, its order (whole and a page of it), the lists, and
/// an action's answer. (The server is stopped so that no batch runs.)
#[tokio::test]
async fn reads_show_the_new_deadline_before_the_batches_move_it() {
    let mut w = World::new().await;
    let sub = w.line_due_today("W-READS", "flex@kund.test").await;
    let t = &w.t;
    let sent = line_when(t, &w.pia, &sub, "sent", |l| {
        l["last_email"]["state"] == "sent"
    })
    .await;
    let first = at(&sent["first_sent_at"]);
    let seven = first + SignedDuration::from_hours(7 * 24);
    assert_eq!(at(&sent["closes_at"]), seven);
    let admin = admin_id(t).await;
    w.t.shut_down().await;
    let t = &w.t;
    t.store
        .set_offer_policy(change("A-FLEX", 20, admin, t))
        .await
        .unwrap();
    let twenty = Some(first + SignedDuration::from_hours(20 * 24));
    let sub_ref = provisio_domain::SubRef::parse(&sub).unwrap();
    let stored = t.store.line(&sub_ref).await.unwrap().unwrap();
    assert_eq!(stored.line.state.closes_at, Some(seven), "no batch ran");

    let pia = t.app.actor_by_email("pia@acme.test").await.unwrap();
    let line = t.app.line(&pia, &sub).await.unwrap();
    assert_eq!(line.line.state.closes_at, twenty, "the line");
    let order = t.app.order(&pia, "W-READS").await.unwrap();
    assert_eq!(order.lines[0].state.closes_at, twenty, "its order");
    let window = provisio_store::LineWindow {
        offset: 0,
        limit: 50,
    };
    let page = t.app.order_window(&pia, "W-READS", window).await.unwrap();
    assert_eq!(page.order.lines[0].state.closes_at, twenty, "a page of it");
    let all = provisio_store::PageRequest {
        after: None,
        limit: 50,
    };
    let filter = provisio::app::line_list::LineFilter::default();
    let listed = t.app.list_lines(&pia, &filter, all).await.unwrap();
    assert_eq!(
        listed.items[0].line.line.state.closes_at, twenty,
        "the list"
    );
    let input = provisio::app::lines::ContactInput {
        email: "flex2@kund.test".to_owned(),
        name: Some("Flex".to_owned()),
        locale: None,
    };
    let after = t.app.change_contact(&pia, &sub, input).await.unwrap();
    assert_eq!(after.line.state.closes_at, twenty, "an action's answer");
}
