use super::*;
use crate::event::EventType;
use crate::ids::UserId;
use crate::policy::window_of;
use proptest::prelude::*;
use uuid::Uuid;

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}
fn permit() -> LinePermit {
    crate::permission::testing::line(UserId::from_uuid(Uuid::from_u128(1)))
}
fn report() -> ReportPermit {
    crate::permission::testing::by_link()
}
fn cancel_permit() -> CancelPermit {
    crate::permission::testing::cancel(UserId::from_uuid(Uuid::from_u128(1)))
}
fn org(name: &str) -> Organization {
    Organization {
        id: format!("org-{name}"),
        name: name.into(),
    }
}
fn email(s: &str) -> ContactEmail {
    ContactEmail::parse(s).unwrap()
}
const RSD: &str = "2026-05-04T00:00:00Z";
fn scheduled() -> LineState {
    LineState::new(t(RSD))
}
fn sent_at(at: &str) -> LineState {
    scheduled()
        .record_acceptance(t(at), window_of(7))
        .unwrap()
        .line
}
fn onboarded() -> LineState {
    sent_at(RSD)
        .onboard(&report(), &org("Kund AB"))
        .unwrap()
        .line
}

#[test]
fn r1_first_send_is_due_at_the_start_of_the_rsd() {
    let line = scheduled();
    assert!(!line.first_send_due(t("2026-05-03T23:59:59Z")));
    assert!(line.first_send_due(t(RSD)));
    assert!(
        line.first_send_due(t("2026-06-01T00:00:00Z")),
        "late stays due"
    );
    let queued = LineState {
        initial_queued: true,
        ..line.clone()
    };
    assert!(!queued.first_send_due(t(RSD)), "not twice");
    assert_eq!(queued.first_send_due_at(), None);
    assert!(!sent_at(RSD).first_send_due(t("2026-06-01T00:00:00Z")));
}

#[test]
fn r1_first_acceptance_starts_the_window_and_later_ones_do_not() {
    let tr = scheduled()
        .record_acceptance(t("2026-05-04T08:00:00Z"), window_of(7))
        .unwrap();
    assert_eq!(tr.line.stage, Stage::AwaitingProvisioning);
    assert_eq!(tr.line.first_sent_at, Some(t("2026-05-04T08:00:00Z")));
    assert_eq!(tr.line.closes_at, Some(t("2026-05-11T08:00:00Z")));
    assert_eq!(
        tr.stage,
        StageChange {
            from: Stage::Scheduled,
            to: Stage::AwaitingProvisioning
        }
    );
    assert!(
        tr.line
            .record_acceptance(t("2026-05-06T08:00:00Z"), window_of(7))
            .is_none()
    );
}

#[test]
fn r1_an_email_in_flight_at_onboarding_still_starts_the_window() {
    let onboarded = scheduled()
        .onboard(&report(), &org("Kund AB"))
        .unwrap()
        .line;
    let tr = onboarded
        .record_acceptance(t("2026-05-04T08:00:00Z"), window_of(7))
        .unwrap();
    assert_eq!(tr.line.stage, Stage::Onboarded, "PONR is never left");
    assert_eq!(tr.line.first_sent_at, Some(t("2026-05-04T08:00:00Z")));
    assert_eq!(tr.line.closes_at, Some(t("2026-05-11T08:00:00Z")));
    let cancelled = scheduled().cancel(&cancel_permit(), t(RSD)).unwrap().line;
    assert!(cancelled.record_acceptance(t(RSD), window_of(7)).is_none());
}

#[test]
fn r2_resend_is_allowed_open_or_closed_until_ponr() {
    let limit = ResendLimit::default();
    let now = t("2026-06-01T00:00:00Z");
    let open = sent_at(RSD);
    assert_eq!(
        open.decide_resend(&permit(), &limit, &[], now),
        Ok(ResendPlan {
            is_first_send: false,
            via: None
        })
    );
    let closed = open.close_if_lapsed(now, window_of(7)).unwrap().line;
    assert_eq!(closed.status, LineStatus::Closed);
    assert!(
        closed.decide_resend(&permit(), &limit, &[], now).is_ok(),
        "closed stays actionable"
    );
    let before_rsd = scheduled().decide_resend(&permit(), &limit, &[], t("2026-05-01T00:00:00Z"));
    assert_eq!(
        before_rsd,
        Ok(ResendPlan {
            is_first_send: true,
            via: None
        })
    );
}

#[test]
fn from_the_setup_page_a_resend_and_a_contact_change_say_so() {
    let now = t("2026-06-01T00:00:00Z");
    let line = sent_at(RSD);
    let by_link = crate::permission::testing::line_by_link();
    let plan = line
        .decide_resend(&by_link, &ResendLimit::default(), &[], now)
        .unwrap();
    assert_eq!(plan.via, Some(Via::SetupLink));
    let kim = ContactEmail::parse("kim@kund.test").unwrap();
    let lo = ContactEmail::parse("lo@kund.test").unwrap();
    let change = line
        .decide_contact_change(&by_link, &kim, &lo, now)
        .unwrap();
    assert!(change.send_now);
    assert_eq!(
        change.event.data()["via"],
        serde_json::json!("setup_link"),
        "{:?}",
        change.event
    );
    // By a user: no `via` at all.
    let by_user = line
        .decide_contact_change(&permit(), &kim, &lo, now)
        .unwrap();
    assert!(by_user.event.data().get("via").is_none());
}

#[test]
fn r2_a_resend_neither_extends_the_window_nor_reopens() {
    let closed = sent_at(RSD)
        .close_if_lapsed(t("2026-05-20T00:00:00Z"), window_of(7))
        .unwrap()
        .line;
    assert!(
        closed
            .record_acceptance(t("2026-05-21T00:00:00Z"), window_of(7))
            .is_none()
    );
    assert_eq!(closed.status, LineStatus::Closed);
}

#[test]
fn r3_ponr_refuses_resend_and_contact_change() {
    let line = onboarded();
    let now = t("2026-05-05T00:00:00Z");
    let limit = ResendLimit::default();
    assert_eq!(
        line.decide_resend(&permit(), &limit, &[], now),
        Err(Refusal::PastPointOfNoReturn)
    );
    let change = line.decide_contact_change(&permit(), &email("a@b.test"), &email("c@d.test"), now);
    assert_eq!(change, Err(Refusal::PastPointOfNoReturn));
    let provisioned = line.mark_provisioned(&report(), now).unwrap().line;
    assert_eq!(
        provisioned.decide_resend(&permit(), &limit, &[], now),
        Err(Refusal::PastPointOfNoReturn)
    );
}

#[test]
fn r4_contact_change_sends_now_once_due_else_on_the_rsd() {
    let (a, b) = (email("old@kund.test"), email("new@kund.test"));
    let early = scheduled()
        .decide_contact_change(&permit(), &a, &b, t("2026-05-01T00:00:00Z"))
        .unwrap();
    assert!(!early.send_now);
    let due = scheduled()
        .decide_contact_change(&permit(), &a, &b, t(RSD))
        .unwrap();
    assert!(
        due.send_now,
        "RSD passed (e.g. the first email failed): send at once"
    );
    let sent = sent_at(RSD)
        .decide_contact_change(&permit(), &a, &b, t(RSD))
        .unwrap();
    assert!(sent.send_now);
    assert!(!sent.same_address);
    let same = sent_at(RSD)
        .decide_contact_change(&permit(), &a, &email("OLD@Kund.test"), t(RSD))
        .unwrap();
    assert!(same.same_address, "the same address in another case");
    assert!(!same.send_now, "the same address gets no email");
    assert_eq!(sent.event.kind(), EventType::ContactChanged);
    assert_eq!(sent.event.data()["from"], "old@kund.test");
    assert_eq!(sent.event.data()["to"], "new@kund.test");
}

#[test]
fn r6_closes_when_the_window_lapses_not_before() {
    let line = sent_at("2026-05-04T08:00:00Z");
    assert!(
        line.close_if_lapsed(t("2026-05-11T07:59:59Z"), window_of(7))
            .is_none()
    );
    let tr = line
        .close_if_lapsed(t("2026-05-11T08:00:00Z"), window_of(7))
        .unwrap();
    assert_eq!(tr.line.status, LineStatus::Closed);
    assert_eq!(
        tr.line.closed_reason,
        Some(ClosedReason::ProvisioningWindowLapsed)
    );
    assert_eq!(tr.line.closed_at, Some(t("2026-05-11T08:00:00Z")));
    assert_eq!(
        tr.line.stage,
        Stage::AwaitingProvisioning,
        "stage is independent of status"
    );
    assert!(tr.line.provisioning_in_progress());
    assert_eq!(tr.events.last().unwrap().kind(), EventType::LineClosed);
    assert!(
        tr.line
            .close_if_lapsed(t("2026-06-11T08:00:00Z"), window_of(7))
            .is_none(),
        "once"
    );
    assert!(
        scheduled()
            .close_if_lapsed(t("2027-01-01T00:00:00Z"), window_of(7))
            .is_none(),
        "never sent"
    );
}

#[test]
fn r6_thirty_day_offers_wait_thirty_days() {
    let line = sent_at(RSD);
    assert!(
        line.close_if_lapsed(t("2026-05-20T00:00:00Z"), window_of(30))
            .is_none()
    );
    assert!(
        line.close_if_lapsed(t("2026-06-03T00:00:00Z"), window_of(30))
            .is_some()
    );
}

#[test]
fn r6_policy_change_moves_running_deadlines_only() {
    let running = sent_at(RSD);
    assert_eq!(
        running.deadline_under(window_of(30)),
        Some(t("2026-06-03T00:00:00Z"))
    );
    let closed = running
        .close_if_lapsed(t("2026-05-20T00:00:00Z"), window_of(7))
        .unwrap()
        .line;
    assert_eq!(closed.deadline_under(window_of(30)), closed.closes_at);
}

#[test]
fn r6_a_read_shows_the_deadline_the_offers_window_says_now() {
    // Sent on the RSD under 7 days; its stored deadline not yet moved to a 30-day window.
    let stale = sent_at(RSD);
    let thirty = t("2026-06-03T00:00:00Z");
    let shown = stale.clone().as_window_says(window_of(30));
    assert_eq!(shown.closes_at, Some(thirty));
    assert_eq!(shown.closure_due_at(), Some(thirty));
    assert_eq!(
        stale.deadline_shown(t("2026-05-06T00:00:00Z"), window_of(30)),
        thirty
    );
    // A line whose window does not run keeps what it has.
    let closed = stale
        .close_if_lapsed(t("2026-05-20T00:00:00Z"), window_of(7))
        .unwrap()
        .line;
    assert_eq!(closed.clone().as_window_says(window_of(30)), closed);
    let unsent = LineState::new(t(RSD));
    assert_eq!(unsent.clone().as_window_says(window_of(30)), unsent);
}

#[test]
fn r6_a_line_found_by_a_deadline_a_policy_change_moved_takes_the_new_one() {
    // Sent on the RSD under 7 days; the offer's window is now 30 days.
    let mut stale = sent_at(RSD);
    stale.closes_at = Some(t("2026-05-11T00:00:00Z"));
    let longer = window_of(30);
    let due_by_old = t("2026-05-12T00:00:00Z");
    let moved = crate::decide::close(&stale, longer, due_by_old).expect("a move, not nothing");
    assert_eq!(
        moved.state.status,
        LineStatus::Open,
        "the new window still runs"
    );
    assert_eq!(moved.state.closes_at, Some(t("2026-06-03T00:00:00Z")));
    assert!(
        moved.events.is_empty(),
        "the policy change is the audited act"
    );
    assert_eq!(moved.state.closure_due_at(), moved.state.closes_at);
    // Once it has the new deadline, nothing to do until that passes; then it closes.
    assert!(crate::decide::close(&moved.state, longer, due_by_old).is_none());
    let closed = crate::decide::close(&moved.state, longer, t("2026-06-03T00:00:00Z")).unwrap();
    assert_eq!(closed.state.status, LineStatus::Closed);
    // A shorter window that has already run out closes at once.
    let shorter = crate::decide::close(&stale, window_of(3), t("2026-05-08T00:00:00Z")).unwrap();
    assert_eq!(shorter.state.status, LineStatus::Closed);
    // follow_policy moves running lines only.
    assert_eq!(
        crate::decide::follow_policy(&stale, longer).map(|s| s.closes_at),
        Some(Some(t("2026-06-03T00:00:00Z")))
    );
    assert!(crate::decide::follow_policy(&stale, window_of(7)).is_none());
    assert!(crate::decide::follow_policy(&closed.state, window_of(3)).is_none());
}

#[test]
fn r7_onboarding_is_the_point_of_no_return() {
    let line = onboarded();
    assert_eq!(line.stage, Stage::Onboarded);
    assert!(line.past_point_of_no_return());
    assert_eq!(line.status, LineStatus::Open);
    assert!(matches!(
        line.onboard(&report(), &org("x")),
        Err(Refusal::InvalidTransition { .. })
    ));
    let from_closed = sent_at(RSD)
        .close_if_lapsed(t("2026-06-01T00:00:00Z"), window_of(7))
        .unwrap()
        .line;
    assert_eq!(
        from_closed
            .onboard(&report(), &org("x"))
            .unwrap()
            .line
            .stage,
        Stage::Onboarded
    );
}

#[test]
fn r8_provisioned_needs_onboarding_and_closes_the_line() {
    let now = t("2026-05-06T00:00:00Z");
    assert!(matches!(
        sent_at(RSD).mark_provisioned(&report(), now),
        Err(Refusal::InvalidTransition { .. })
    ));
    let tr = onboarded().mark_provisioned(&report(), now).unwrap();
    assert_eq!(tr.line.stage, Stage::Provisioned);
    assert_eq!(tr.line.status, LineStatus::Closed);
    assert_eq!(tr.line.closed_reason, Some(ClosedReason::Provisioned));
    assert!(!tr.line.provisioning_in_progress());
    let kinds: Vec<_> = tr.events.iter().map(|e| e.kind()).collect();
    assert_eq!(kinds, [EventType::LineProvisioned, EventType::LineClosed]);
    assert!(matches!(
        tr.line.mark_provisioned(&report(), now),
        Err(Refusal::InvalidTransition { .. })
    ));
}

#[test]
fn r9_cancel_before_ponr_only_once() {
    let now = t("2026-05-06T00:00:00Z");
    let tr = sent_at(RSD).cancel(&cancel_permit(), now).unwrap();
    assert_eq!(tr.line.stage, Stage::Cancelled);
    assert_eq!(tr.line.closed_reason, Some(ClosedReason::Cancelled));
    assert!(!tr.line.provisioning_in_progress());
    assert!(matches!(
        tr.line.cancel(&cancel_permit(), now),
        Err(Refusal::InvalidTransition { .. })
    ));
    assert_eq!(
        onboarded().cancel(&cancel_permit(), now),
        Err(Refusal::PastPointOfNoReturn)
    );
    let limit = ResendLimit::default();
    assert_eq!(
        tr.line.decide_resend(&permit(), &limit, &[], now),
        Err(Refusal::LineCancelled)
    );
    assert_eq!(
        tr.line.onboard(&report(), &org("x")),
        Err(Refusal::LineCancelled)
    );
}

#[test]
fn r9_cancelling_a_lapsed_line_relabels_its_closure() {
    let lapsed = sent_at(RSD)
        .close_if_lapsed(t("2026-06-01T00:00:00Z"), window_of(7))
        .unwrap()
        .line;
    let tr = lapsed
        .cancel(&cancel_permit(), t("2026-06-02T00:00:00Z"))
        .unwrap();
    assert_eq!(tr.line.closed_reason, Some(ClosedReason::Cancelled));
    assert_eq!(tr.line.closed_at, lapsed.closed_at, "closed when it lapsed");
    assert_eq!(
        tr.events.iter().map(|e| e.kind()).collect::<Vec<_>>(),
        [EventType::LineCancelled]
    );
}

#[test]
fn r10_rate_limit_applies_to_resends() {
    let now = t("2026-05-06T00:00:00Z");
    let recent: Vec<_> = (1..=5)
        .map(|m| now - SignedDuration::from_mins(m))
        .collect();
    let refused = sent_at(RSD).decide_resend(&permit(), &ResendLimit::default(), &recent, now);
    assert!(matches!(refused, Err(Refusal::RateLimited { .. })));
}

#[derive(Debug, Clone)]
enum Action {
    Wait(i64),
    Acceptance,
    Resend,
    Onboard,
    Provisioned,
    Cancel,
    Close,
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        (0i64..20 * 86_400).prop_map(Action::Wait),
        Just(Action::Acceptance),
        Just(Action::Resend),
        Just(Action::Onboard),
        Just(Action::Provisioned),
        Just(Action::Cancel),
        Just(Action::Close),
    ]
}

proptest! {
    /// Whatever happens to a line, its two facts stay consistent: closed iff it has a reason,
    /// provisioned lines are closed as provisioned, PONR is never left, and the first send
    /// time never moves once set.
    #[test]
    fn lifecycle_invariants_hold(actions in proptest::collection::vec(action(), 0..40)) {
        let mut now = t("2026-05-01T00:00:00Z");
        let mut line = scheduled();
        let window = window_of(7);
        for a in actions {
            let before = line.clone();
            let next = match a {
                Action::Wait(s) => { now += SignedDuration::from_secs(s); None }
                Action::Acceptance => line.record_acceptance(now, window).map(|t| t.line),
                Action::Resend => { let _ = line.decide_resend(&permit(), &ResendLimit::default(), &[], now); None }
                Action::Onboard => line.onboard(&report(), &org("org")).ok().map(|t| t.line),
                Action::Provisioned => line.mark_provisioned(&report(), now).ok().map(|t| t.line),
                Action::Cancel => line.cancel(&cancel_permit(), now).ok().map(|t| t.line),
                Action::Close => line.close_if_lapsed(now, window).map(|t| t.line),
            };
            if let Some(n) = next { line = n; }
            prop_assert_eq!(line.status == LineStatus::Closed, line.closed_reason.is_some());
            prop_assert_eq!(line.status == LineStatus::Closed, line.closed_at.is_some());
            if line.stage == Stage::Provisioned {
                prop_assert_eq!(line.closed_reason, Some(ClosedReason::Provisioned));
            }
            if before.past_point_of_no_return() {
                prop_assert!(line.past_point_of_no_return());
            }
            if before.first_sent_at.is_some() {
                prop_assert_eq!(before.first_sent_at, line.first_sent_at);
            }
            if line.stage == Stage::AwaitingProvisioning {
                prop_assert!(line.first_sent_at.is_some());
            }
        }
    }
}
